"""The partner credential every endpoint may meet as ``request.auth``.

The API's apps never import the partners app (it sits above them). They ask
this module instead: ``partner_of(request)`` names the partner organisation of
a request made with a partner's key, and ``PartnerCredential`` is the type of
that key (partners' ``ApiKey`` registers itself as one).
"""

from __future__ import annotations

import abc


class PartnerCredential(abc.ABC):
    """``request.auth`` of a request authenticated as a partner organisation.

    Has ``pk``, ``partner`` (a ``crm.PartnerOrganisation``) and ``has_scope``.
    A model registers with ``PartnerCredential.register(Model)`` (an abstract
    base class with a metaclass of its own cannot be a model's base).
    """

    @abc.abstractmethod
    def has_scope(self, scope: str) -> bool:
        """Whether the credential grants ``scope`` (a ``config.api.scopes.Scope``)."""


def partner_of(request):
    """The partner organisation of an API-key request, or None for staff."""
    auth = getattr(request, "auth", None)
    return auth.partner if isinstance(auth, PartnerCredential) else None
