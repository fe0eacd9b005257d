"""Staff ``Authorization: Token <key>`` with the per-address count of wrong
credentials (``config.api.throttling``: 429 once an address has too many).

Partner keys (``Authorization: Api-Key <key>``) are authenticated by the
partners app (``partners.api.authentication.ApiKeyAuthentication``), named in
``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]``.
"""

from __future__ import annotations

from rest_framework import authentication, exceptions

from config.api.throttling import auth_failure_record, auth_failures_guard


class KefuTokenAuthentication(authentication.TokenAuthentication):
    """DRF's ``Authorization: Token <key>`` for staff, with the same per-address
    count of wrong tokens (and 429 over the limit) as Api-Key."""

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        auth_failures_guard(request)
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            auth_failure_record(request)
            raise
