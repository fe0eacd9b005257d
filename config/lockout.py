"""The page a locked-out login gets (django-axes ``AXES_LOCKOUT_CALLABLE``).

429 with ``Retry-After`` and a translated page that says how long the lock lasts
and that an administrator can lift it (README: "Login lockout").
"""

from __future__ import annotations

from axes.helpers import get_cool_off
from django.shortcuts import render


def lockout_response(request, original_response=None, credentials=None):
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 0
    response = render(
        request,
        "kefu/lockout.html",
        {"cooloff_minutes": max(1, (seconds + 59) // 60) if seconds else 0},
        status=429,
    )
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
