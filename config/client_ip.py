"""The address of the client, for login lockout and API throttling.

``REMOTE_ADDR`` is the peer of the web process. Behind a load balancer that is
the balancer, and the client is in ``X-Forwarded-For`` — a header the client can
also write, so only the part appended by our own proxies is believed:
``KEFU_TRUSTED_PROXY_COUNT`` proxies append one address each, and the address
that many places from the right is the one the outermost trusted proxy saw
(DRF's ``NUM_PROXIES`` rule, which the API's rate throttle uses too). With 0,
the default, the header is ignored.
"""

from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.KEFU_TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if not forwarded:
        return remote
    return forwarded[-min(count, len(forwarded))]
