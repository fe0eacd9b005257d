"""``Authorization: Api-Key <key>`` authentication for partner tools; wrong keys
count against the client's address (``config.api.throttling``: 429 once an
address has too many). Staff tokens: ``config.api.authentication``."""

from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from config.api.throttling import auth_failure_record, auth_failures_guard
from partners.models import ApiKey
from partners.services import api_key_lookup

KEYWORD = "Api-Key"
# last_used_at is written at most once per this many seconds per key, so that a
# busy key does not turn every read into a write.
LAST_USED_RESOLUTION = 60


class PartnerClient:
    """``request.user`` of a request authenticated by an API key.

    Not a staff user: it has no roles and no model permissions; views narrow
    querysets with ``crm.scoping.visible_to_partner(request.auth.partner, ...)``.
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None
    username = ""
    department_id = None
    team_id = None

    def __init__(self, api_key: ApiKey):
        # No ``groups``: crm.scoping recognises a principal without groups as a
        # partner and scopes ``visible_to`` by ``partner``.
        self.api_key = api_key
        self.partner = api_key.partner

    def __str__(self):
        return f"partner:{self.partner.code}"

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def has_perms(self, perms, obj=None) -> bool:
        return False


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticates ``Authorization: Api-Key <key>``; ``request.auth`` is the ApiKey.

    A request without that header is left to the other authenticators (session,
    token). A wrong, expired or revoked key is a 401 with ``WWW-Authenticate``
    and counts as a failure of the client's address; an address over the limit
    gets 429 before its key is even looked up.
    """

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(
            "latin-1", errors="replace"
        )
        keyword, _sep, raw = header.partition(" ")
        if keyword.lower() != KEYWORD.lower():
            return None
        auth_failures_guard(request)
        raw = raw.strip()
        if not raw or " " in raw:
            auth_failure_record(request)
            raise exceptions.AuthenticationFailed(
                _("Invalid Api-Key header: expected 'Api-Key <key>'."),
                code="authentication_failed",
            )
        key = api_key_lookup(raw)
        if key is None:
            auth_failure_record(request)
            raise exceptions.AuthenticationFailed(
                _("Invalid, expired or revoked API key."),
                code="authentication_failed",
            )
        self._touch(key)
        return PartnerClient(key), key

    def authenticate_header(self, request):
        return f'{KEYWORD} realm="api"'

    @staticmethod
    def _touch(key: ApiKey) -> None:
        marker = f"kefu:apikey-used:{key.pk}"
        if cache.get(marker):
            return
        now = timezone.now()
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        cache.set(marker, 1, LAST_USED_RESOLUTION)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "partners.api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Partner API key: `Authorization: Api-Key <key>`. "
            "Create one with `manage.py create_api_key` or in the admin.",
        }
