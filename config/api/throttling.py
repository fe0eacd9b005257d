"""Rate limits per API key, per staff user and per anonymous address, and a
block on addresses that keep presenting wrong credentials.

The rate is ``settings.KEFU_API_RATE`` (e.g. ``"600/min"``), read on every
request so a deployment (or a test) can change it. Counters live in the Django
cache: use a shared cache (Redis, ``CACHE_URL``) when there are several web
processes. A refused request gets 429 with ``Retry-After``.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.throttling import SimpleRateThrottle

from config.api.credentials import PartnerCredential
from config.client_ip import client_ip


class KefuRateThrottle(SimpleRateThrottle):
    scope = "kefu"

    def get_rate(self):
        return settings.KEFU_API_RATE

    def get_cache_key(self, request, view):
        if isinstance(request.auth, PartnerCredential):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"kefu:throttle:{ident}"


# --- failed credentials ----------------------------------------------------------
# A wrong Api-Key or Token counts against the client's address (config.client_ip).
# After KEFU_API_AUTH_FAILURE_LIMIT failures within
# KEFU_API_AUTH_FAILURE_WINDOW_MINUTES (a fixed window from the first failure),
# every request that presents an Api-Key or Token from that address is refused
# with 429 before its key is looked up, until the window ends. A valid key from a
# blocked address is refused too: answering it would tell a guesser which guess
# was right, which is what the block is there to stop. Requests without
# credentials and session logins (django-axes) are not counted here.


class AuthFailuresThrottled(exceptions.Throttled):
    default_detail = _("Too many failed authentication attempts from this address.")
    extra_detail_singular = _("Try again in {wait} second.")
    extra_detail_plural = _("Try again in {wait} seconds.")
    default_code = "throttled"


def _failure_key(request) -> str:
    return f"kefu:auth-failures:{client_ip(request) or 'unknown'}"


def _window_seconds() -> int:
    return max(1, settings.KEFU_API_AUTH_FAILURE_WINDOW_MINUTES * 60)


def auth_failures_guard(request) -> None:
    """Raise 429 (with ``Retry-After``) while the address is blocked."""
    key = _failure_key(request)
    failures = cache.get(key, 0)
    if failures < settings.KEFU_API_AUTH_FAILURE_LIMIT:
        return
    ends = cache.get(f"{key}:ends")
    wait = math.ceil(ends - time.time()) if ends else _window_seconds()
    raise AuthFailuresThrottled(wait=max(1, wait))


def auth_failure_record(request) -> int:
    """Count one failed credential from the request's address; return the count."""
    key = _failure_key(request)
    window = _window_seconds()
    if cache.add(key, 1, window):
        cache.set(f"{key}:ends", time.time() + window, window)
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between add() and incr()
        cache.add(key, 1, window)
        cache.set(f"{key}:ends", time.time() + window, window)
        return 1
