"""``Idempotency-Key`` for the POST endpoints of every app.

An endpoint wraps its work: ``return idempotent(request, lambda: self._create(request))``.
The first POST with a key stores its response; a retry with the same key and
body within 24 hours replays it (``Idempotent-Replayed: true``), the same key
with another body is a 422. The records are rows of the partners app, so the
implementation is named in settings (``KEFU_API_IDEMPOTENCY``, by default
``partners.api.idempotency.idempotent``, which documents the rules); this module
is the one entry point the apps below partners call.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils.module_loading import import_string
from rest_framework.response import Response


def idempotent(request, handler: Callable[[], Response]) -> Response:
    """Run ``handler`` at most once per Idempotency-Key of ``request``."""
    return import_string(settings.KEFU_API_IDEMPOTENCY)(request, handler)
