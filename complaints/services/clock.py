"""The services' notion of "now", overridable for replaying history.

``seed_demo`` and tests move complaints through the lifecycle at past instants
with ``at(moment)``; everything else gets ``timezone.now()``.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_override: ContextVar[datetime | None] = ContextVar("complaints_clock", default=None)


def now() -> datetime:
    return _override.get() or timezone.now()


@contextmanager
def at(moment: datetime):
    """Run the enclosed service calls as if it were ``moment``."""
    token = _override.set(moment)
    try:
        yield moment
    finally:
        _override.reset(token)
