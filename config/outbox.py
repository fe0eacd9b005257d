"""Outbox rows claimed under a lease: the shared machinery of Kefu's outboxes.

An outbox row is written in the transaction of its cause and delivered later by
a task (webhook deliveries, staff notification e-mails). Any number of workers
may deliver at once, and any of them may die at any moment, so each row is
*claimed under a lease*: a random token and an expiry written on the row. The
holder of a lease

1. checks it still holds it (token unchanged, not expired) right before the
   side effect (the POST, the SMTP send) — ``outbox_holds``;
2. records the result with an UPDATE conditional on its token —
   ``outbox_update`` answers False when someone else took the row meanwhile, and
   the result is then dropped instead of overwriting theirs.

A lease that expires (the worker was killed) lets the next run claim the row
again; its token changes, so a slow worker that wakes up cannot record over
the new holder. Callers choose the lease length so that it covers the work of
*one* row (claim few rows at a time, or one), never a whole batch.

Counting attempts is the caller's business, but the rule of the outboxes is:
count an attempt when the side effect *starts* for that row (with
``outbox_update`` on the token, before sending), never when the row is claimed —
a crash then burns an attempt of the row that crashed only (poison messages
stop after their attempts), not of every row claimed with it.

This module imports no app: it works on any model with a nullable datetime
lease field and a nullable UUID token field.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q, QuerySet


@dataclass(frozen=True)
class Lease:
    """A worker's hold on one outbox row."""

    pk: int
    token: uuid.UUID
    until: datetime


@dataclass(frozen=True)
class OutboxFields:
    """Names of the lease fields of an outbox model."""

    until: str = "lease_until"
    token: str = "lease_token"

    def free(self, now: datetime) -> Q:
        """Rows no worker holds at ``now`` (never leased, or lease expired)."""
        return Q(**{f"{self.until}__isnull": True}) | Q(**{f"{self.until}__lte": now})


def outbox_claim(
    due: QuerySet,
    *,
    now: datetime,
    seconds: float,
    limit: int = 1,
    fields: OutboxFields = OutboxFields(),
) -> list[Lease]:
    """Lease up to ``limit`` rows of ``due`` (already filtered and ordered by
    the caller) that nobody holds; return the leases in ``due``'s order.

    Rows locked by a concurrent claim are skipped (``SKIP LOCKED`` where the
    database has it; SQLite serialises writers anyway).
    """
    qs = due.filter(fields.free(now))
    token = uuid.uuid4()
    until = now + timedelta(seconds=seconds)
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        ids = list(qs.values_list("pk", flat=True)[:limit])
        if ids:
            due.model._default_manager.filter(pk__in=ids).update(
                **{fields.until: until, fields.token: token}
            )
    return [Lease(pk, token, until) for pk in ids]


def outbox_held(
    model, lease: Lease, *, fields: OutboxFields = OutboxFields()
) -> QuerySet:
    """The row of ``lease`` if its token is still ours (for conditional UPDATEs)."""
    return model._default_manager.filter(pk=lease.pk, **{fields.token: lease.token})


def outbox_holds(
    model,
    lease: Lease,
    *,
    now: datetime,
    margin: float = 0,
    fields: OutboxFields = OutboxFields(),
) -> bool:
    """Whether ``lease`` still holds its row at ``now`` with ``margin`` seconds
    to spare (check right before the side effect)."""
    return (
        outbox_held(model, lease, fields=fields)
        .filter(**{f"{fields.until}__gt": now + timedelta(seconds=margin)})
        .exists()
    )


def outbox_update(
    model,
    lease: Lease,
    *,
    release: bool = False,
    fields: OutboxFields = OutboxFields(),
    **values,
) -> bool:
    """UPDATE the row of ``lease`` with ``values`` only if the token is still
    ours; ``release`` also clears the lease. False: the lease was lost and
    nothing was written."""
    if release:
        values = {**values, fields.until: None, fields.token: None}
    return bool(outbox_held(model, lease, fields=fields).update(**values))
