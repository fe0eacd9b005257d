"""Rate limits per API key, per staff user and per anonymous address.

The rate is ``settings.KEFU_API_RATE`` (e.g. ``"600/min"``), read on every
request so a deployment (or a test) can change it. Counters live in the Django
cache: use a shared cache (Redis, ``CACHE_URL``) when there are several web
processes. A refused request gets 429 with ``Retry-After``.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from partners.models import ApiKey


class KefuRateThrottle(SimpleRateThrottle):
    scope = "kefu"

    def get_rate(self):
        return getattr(settings, "KEFU_API_RATE", "600/min")

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"kefu:throttle:{ident}"
