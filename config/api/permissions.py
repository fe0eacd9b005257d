"""Endpoint-level permissions: scopes for API keys, model permissions for staff.

A view declares, per action, the scope an API key needs (``required_scopes``)
and the model permission a staff member needs (``required_perms``). Row-level
scoping is not done here but in the querysets (``crm.scoping``), and state rules
in the services.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from config.api.credentials import PartnerCredential


def _action(view, request) -> str:
    return getattr(view, "action", None) or request.method.lower()


class ScopeOrModelPermission(permissions.BasePermission):
    """API key: the action's scope. Staff: the action's model permission.

    An action missing from ``required_scopes`` is closed to API keys (staff only);
    an action missing from ``required_perms`` is closed to staff (partner only).
    """

    message = _("Your credentials do not allow this operation.")

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if getattr(view, "action", "") is None or (
            not hasattr(view, "action") and not hasattr(view, request.method.lower())
        ):
            # No handler for this method (a viewset's action is None; a plain
            # APIView lacks the method): let DRF answer 405, not a 403.
            return True
        action = _action(view, request)
        if isinstance(request.auth, PartnerCredential):
            scope = getattr(view, "required_scopes", {}).get(action)
            if scope is None:
                self.message = _("This endpoint is for staff only.")
                return False
            if not request.auth.has_scope(scope):
                self.message = _("This API key lacks the scope %(scope)s.") % {
                    "scope": scope
                }
                return False
            return True
        required = getattr(view, "required_perms", {})
        if action not in required:
            self.message = _("This endpoint is for partner API keys only.")
            return False
        perms = required[action]
        if isinstance(perms, str):
            perms = (perms,)
        return request.user.has_perms(perms)
