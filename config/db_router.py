"""Read replica routing.

With ``DATABASE_REPLICA_URL`` set, settings add a ``replica`` alias and name it in
``KEFU_READ_REPLICA``. Nothing reads from it by default: a replica lags behind
the primary, and most pages read what the same request (or the one before) has
just written. Only read-only work that tolerates a few seconds of lag opts in —
the KPI pages, exports and the reporting pack — with :func:`replica_reads`
(a view decorator) or :func:`reading_from_replica` (a context manager).
Writes always go to ``default``; the replica is never migrated.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

_reading_from_replica: ContextVar[bool] = ContextVar(
    "kefu_reading_from_replica", default=False
)


def replica_alias() -> str | None:
    """The alias reads go to inside :func:`reading_from_replica`, or None when
    no replica is configured."""
    alias = getattr(settings, "KEFU_READ_REPLICA", None)
    return alias if alias and alias in settings.DATABASES else None


@contextmanager
def reading_from_replica():
    """Send this block's ORM reads to the replica (when one is configured)."""
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


def replica_reads(view):
    """A view decorator: the view's reads go to the replica. Put it *inside*
    ``login_required`` so that the session and the user still load from the
    primary (a fresh login must not depend on replication lag)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        with reading_from_replica():
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry: reads inside :func:`reading_from_replica` go to
    the replica; everything else keeps Django's default behaviour."""

    def db_for_read(self, model, **hints):
        if _reading_from_replica.get():
            return replica_alias()
        return None

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # One schema, migrated on the primary; a replica follows by replication.
        return db == DEFAULT_DB_ALIAS
