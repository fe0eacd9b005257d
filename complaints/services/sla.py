"""SLA clocks of a complaint: start, meet, pause, resume, recompute, warn, breach.

Each clock is an ``SlaTarget`` row; its due time is mirrored on the complaint
(``<kind>_due_at``) for lists and the API. Every change to a clock writes an
event (``sla_*``), so SLA figures can be recomputed from the timeline. These
functions run inside the calling lifecycle service's transaction, on a complaint
row the caller has locked.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from complaints.business_time import Schedule, schedule_for_policy
from complaints.models import Complaint, ComplaintEvent, SlaPolicy, SlaTarget
from complaints.services.events import event_record, event_record_many

Kind = SlaTarget.Kind
EK = ComplaintEvent.Kind

# target kind -> (policy minutes field, complaint due field, complaint met field)
TARGET_FIELDS: dict[str, tuple[str, str, str]] = {
    Kind.FIRST_RESPONSE: (
        "first_response_minutes",
        "first_response_due_at",
        "first_response_at",
    ),
    Kind.ANALYSIS: ("analysis_minutes", "analysis_due_at", "analyzed_at"),
    Kind.REPLY: ("reply_minutes", "reply_due_at", "replied_at"),
    Kind.RESOLUTION: ("resolution_minutes", "resolution_due_at", "resolved_at"),
    Kind.CONFIRMATION: (
        "confirmation_minutes",
        "confirmation_due_at",
        "confirmed_at",
    ),
}
# Clocks that start when the complaint is received.
INTAKE_KINDS = (Kind.FIRST_RESPONSE, Kind.ANALYSIS, Kind.REPLY, Kind.RESOLUTION)


def policy_for(*, channel: str, severity: str, category) -> SlaPolicy | None:
    """The most specific active policy matching the three attributes
    (``category``: a ``Category`` or its id)."""
    candidates = (
        SlaPolicy.objects.filter(is_active=True)
        .filter(Q(channel="") | Q(channel=channel))
        .filter(Q(severity="") | Q(severity=severity))
        .filter(Q(category__isnull=True) | Q(category=category))
        .select_related("calendar")
    )

    def rank(p):
        specificity = bool(p.channel) + bool(p.severity) + (p.category_id is not None)
        return (-specificity, p.sort_order, p.pk)

    ranked = sorted(candidates, key=rank)
    return ranked[0] if ranked else None


def policy_of(complaint: Complaint) -> SlaPolicy | None:
    """The complaint's policy with its calendar, read in one query when not
    loaded yet (a lazy ``sla_policy`` then ``calendar`` would be two)."""
    if complaint.sla_policy_id is None:
        return None
    if not Complaint.sla_policy.is_cached(complaint):
        complaint.sla_policy = SlaPolicy.objects.select_related("calendar").get(
            pk=complaint.sla_policy_id
        )
    return complaint.sla_policy


def schedule_of(complaint: Complaint) -> Schedule:
    return schedule_for_policy(policy_of(complaint))


def schedule_for_kind(kind: str, schedule: Schedule, policy) -> Schedule:
    """The schedule the ``kind`` clock counts in: elapsed time when the policy
    lists the kind in ``elapsed_targets``, else the policy's schedule."""
    if policy is not None and kind in (policy.elapsed_targets or ()):
        return ELAPSED
    return schedule


ELAPSED = Schedule(None)


def _due_and_warn(target: SlaTarget, schedule: Schedule, policy) -> None:
    schedule = schedule_for_kind(target.kind, schedule, policy)
    total = target.target_minutes + target.paused_minutes
    target.due_at = schedule.add(target.started_at, total)
    percent = policy.warn_percent if policy else 80
    target.warn_at = schedule.add(
        target.started_at,
        target.paused_minutes + target.target_minutes * percent / 100,
    )


def sla_start(
    *,
    complaint: Complaint,
    kind: str,
    started_at: datetime,
    actor=None,
    cycle: int = 1,
    schedule: Schedule | None = None,
) -> SlaTarget | None:
    """Start the ``kind`` clock (no-op without a policy); mirrors its due time."""
    started = sla_start_many(
        complaint=complaint,
        kinds=[kind],
        started_at=started_at,
        actor=actor,
        cycle=cycle,
        schedule=schedule,
    )
    return started[0] if started else None


def sla_start_many(
    *,
    complaint: Complaint,
    kinds,
    started_at: datetime,
    actor=None,
    cycle: int = 1,
    schedule: Schedule | None = None,
) -> list[SlaTarget]:
    """Start the ``kinds`` clocks together (intake starts four): one INSERT for
    the targets and one for their ``sla_started`` events, in ``kinds`` order.
    No-op without a policy; mirrors the due times on the complaint."""
    policy = policy_of(complaint)
    if policy is None or not kinds:
        return []
    schedule = schedule or schedule_of(complaint)
    targets = []
    for kind in kinds:
        minutes_field, due_field, _met = TARGET_FIELDS[kind]
        target = SlaTarget(
            complaint=complaint,
            kind=kind,
            cycle=cycle,
            started_at=started_at,
            target_minutes=getattr(policy, minutes_field),
        )
        _due_and_warn(target, schedule, policy)
        setattr(complaint, due_field, target.due_at)
        targets.append(target)
    SlaTarget.objects.bulk_create(targets)
    event_record_many(
        complaint=complaint,
        kind=EK.SLA_STARTED,
        actor=actor,
        data=[_target_data(target) for target in targets],
    )
    return targets


# The denormalised SLA state of a complaint (Complaint.sla_breached /
# sla_warned / sla_paused), as conditions on its SLA targets. A target is
# "running" while neither met nor cancelled.
SLA_STATE = {
    "sla_breached": Q(breached_at__isnull=False),
    "sla_warned": Q(
        warned_at__isnull=False,
        breached_at__isnull=True,
        met_at__isnull=True,
        cancelled_at__isnull=True,
    ),
    "sla_paused": Q(
        paused_at__isnull=False, met_at__isnull=True, cancelled_at__isnull=True
    ),
}


def sla_state_truth(complaint_id: int) -> dict[str, bool]:
    """The SLA state computed from the targets through the ORM (what the
    fields must equal; the tests compare, the SQL of ``sla_state_sync`` is
    written separately on purpose)."""
    targets = SlaTarget.objects.filter(complaint_id=complaint_id)
    return {
        field: targets.filter(condition).exists()
        for field, condition in SLA_STATE.items()
    }


_RUNNING = "met_at IS NULL AND cancelled_at IS NULL"
# SQL twins of SLA_STATE, on the SLA-target table.
_STATE_SQL = {
    "sla_breached": "breached_at IS NOT NULL",
    "sla_warned": f"warned_at IS NOT NULL AND breached_at IS NULL AND {_RUNNING}",
    "sla_paused": f"paused_at IS NOT NULL AND {_RUNNING}",
}


def _state_assignments(complaint_id_sql: str) -> str:
    targets = SlaTarget._meta.db_table
    return ", ".join(
        f"{field} = EXISTS (SELECT 1 FROM {targets} "
        f"WHERE {targets}.complaint_id = {complaint_id_sql} AND {condition})"
        for field, condition in _STATE_SQL.items()
    )


def sla_state_sync(complaint: Complaint | int) -> None:
    """Set the complaint's SLA state from its targets: one UPDATE … RETURNING,
    run by every function here that changes a target's breached / warned /
    paused / met / cancelled mark, inside the caller's transaction (the
    complaint row is locked). A ``Complaint`` passed gets the new values too, so
    the functions here can tell from it when a change cannot alter the state
    (and skip the query). Lifecycle saves list their fields and never write
    these three, so a stale instance cannot overwrite them."""
    pk = complaint if isinstance(complaint, int) else complaint.pk
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Complaint._meta.db_table} SET {_state_assignments('%s')} "
            f"WHERE id = %s RETURNING {', '.join(_STATE_SQL)}",
            [pk] * (len(_STATE_SQL) + 1),
        )
        row = cursor.fetchone()
    if row is not None and isinstance(complaint, Complaint):
        for field, value in zip(_STATE_SQL, row, strict=True):
            setattr(complaint, field, bool(value))


def sla_state_sync_many(complaint_ids) -> None:
    """``sla_state_sync`` of several complaints in one UPDATE (the SLA sweep's
    batch; the caller holds their row locks)."""
    ids = sorted(set(complaint_ids))
    if not ids:
        return
    table = Complaint._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {_state_assignments(f'{table}.id')} "
            f"WHERE id IN ({', '.join(['%s'] * len(ids))})",
            ids,
        )


def sla_state_sync_from(first_pk: int, *, step: int = 50_000) -> None:
    """Set the SLA state of every complaint from id ``first_pk`` on, in id
    batches (rows written in bulk by ``seed_demo``, outside the services)."""
    table = Complaint._meta.db_table
    last = Complaint.objects.order_by("-pk").values_list("pk", flat=True).first()
    for start in range(first_pk, (last or 0) + 1, step):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {_state_assignments(f'{table}.id')} "
                "WHERE id >= %s AND id < %s",
                [start, start + step],
            )


def _target_data(target: SlaTarget, **extra) -> dict:
    data = {
        "target": target.kind,
        "cycle": target.cycle,
        "target_id": target.pk,
        "due_at": target.due_at.isoformat(),
    }
    data.update(extra)
    return data


def open_target(complaint: Complaint, kind: str) -> SlaTarget | None:
    return (
        SlaTarget.objects.filter(
            complaint=complaint,
            kind=kind,
            met_at__isnull=True,
            cancelled_at__isnull=True,
        )
        .order_by("-cycle")
        .first()
    )


def sla_meet(
    *, complaint: Complaint, kind: str, at: datetime, actor=None
) -> SlaTarget | None:
    """Stop the open ``kind`` clock at ``at``; records met (and a late breach)."""
    target = open_target(complaint, kind)
    if target is None:
        return None
    changes_state = target.warned_at is not None or target.paused_at is not None
    target.met_at = at
    target.paused_at = None
    target.save(update_fields=["met_at", "paused_at"])
    if changes_state:
        sla_state_sync(complaint)
    on_time = at <= target.due_at
    event_record(
        complaint=complaint,
        kind=EK.SLA_MET,
        actor=actor,
        data=_target_data(target, on_time=on_time, met_at=at.isoformat()),
    )
    if not on_time:
        # The sweep may not have seen it yet; a breach is recorded exactly once.
        sla_mark_breached(target_id=target.pk, now=at, late_met=True)
    return target


def sla_pause(*, complaint: Complaint, at: datetime, actor=None) -> int:
    """Pause every running clock (complaint goes on hold)."""
    targets = list(
        SlaTarget.objects.filter(
            complaint=complaint,
            met_at__isnull=True,
            cancelled_at__isnull=True,
            paused_at__isnull=True,
        )
    )
    SlaTarget.objects.filter(pk__in=[t.pk for t in targets]).update(paused_at=at)
    if targets and not complaint.sla_paused:
        sla_state_sync(complaint)
        event_record(
            complaint=complaint,
            kind=EK.SLA_PAUSED,
            actor=actor,
            data={"targets": [t.kind for t in targets], "paused_at": at.isoformat()},
        )
    return len(targets)


def sla_resume(*, complaint: Complaint, at: datetime, actor=None) -> int:
    """Resume paused clocks; due times move by the paused business time."""
    targets = list(
        SlaTarget.objects.filter(
            complaint=complaint,
            met_at__isnull=True,
            cancelled_at__isnull=True,
            paused_at__isnull=False,
        )
    )
    if not targets:
        return 0
    schedule = schedule_of(complaint)
    policy = policy_of(complaint)
    moved = {}
    for target in targets:
        paused = schedule_for_kind(target.kind, schedule, policy).minutes_between(
            target.paused_at, at
        )
        target.paused_minutes += paused
        target.paused_at = None
        if not target.is_overridden and target.breached_at is None:
            _due_and_warn(target, schedule, policy)
            _mirror(complaint, target)
        moved[target.kind] = {
            "paused_minutes": paused,
            "due_at": target.due_at.isoformat(),
        }
    SlaTarget.objects.bulk_update(
        targets, ["paused_minutes", "paused_at", "due_at", "warn_at"]
    )
    sla_state_sync(complaint)
    event_record(
        complaint=complaint,
        kind=EK.SLA_RESUMED,
        actor=actor,
        data={"targets": moved, "resumed_at": at.isoformat()},
    )
    return len(targets)


def _mirror(complaint: Complaint, target: SlaTarget) -> None:
    _minutes, due_field, _met = TARGET_FIELDS[target.kind]
    setattr(complaint, due_field, target.due_at)


def sla_recompute(*, complaint: Complaint, actor=None, reason: str = "") -> int:
    """Recompute running clocks after a severity/policy change (not overridden
    ones, nor those already breached). ``complaint.sla_policy`` must be set."""
    policy = policy_of(complaint)
    if policy is None:
        return 0
    schedule = schedule_of(complaint)
    targets = list(
        SlaTarget.objects.filter(
            complaint=complaint,
            met_at__isnull=True,
            cancelled_at__isnull=True,
            is_overridden=False,
            breached_at__isnull=True,
        )
    )
    changed = {}
    for target in targets:
        minutes_field, _due, _met = TARGET_FIELDS[target.kind]
        target.target_minutes = getattr(policy, minutes_field)
        _due_and_warn(target, schedule, policy)
        _mirror(complaint, target)
        changed[target.kind] = target.due_at.isoformat()
    if changed:
        SlaTarget.objects.bulk_update(targets, ["target_minutes", "due_at", "warn_at"])
        event_record(
            complaint=complaint,
            kind=EK.SLA_RECOMPUTED,
            actor=actor,
            note=reason,
            data={"policy": policy.code, "due": changed},
        )
    return len(changed)


def sla_cancel_open(*, complaint: Complaint, at: datetime) -> int:
    """Stop clocks that can no longer be met (rejected or closed complaint);
    cancelled targets count neither as met nor as breached."""
    cancelled = SlaTarget.objects.filter(
        complaint=complaint,
        met_at__isnull=True,
        cancelled_at__isnull=True,
        breached_at__isnull=True,
    ).update(cancelled_at=at, paused_at=None)
    # Only warned or paused marks can change (breached clocks are not cancelled).
    if cancelled and (complaint.sla_warned or complaint.sla_paused):
        sla_state_sync(complaint)
    return cancelled


def sla_override_due(
    *,
    complaint: Complaint,
    kind: str,
    due_at: datetime,
    actor,
    reason: str,
    target: SlaTarget | None = None,
) -> SlaTarget | None:
    """Set the open ``kind`` clock's due time by hand (``target``: that clock,
    when the caller has read it already)."""
    target = target or open_target(complaint, kind)
    if target is None:
        return None
    previous = target.due_at
    target.due_at = due_at
    # Warn at the same share of the (new) window.
    policy = policy_of(complaint)
    percent = policy.warn_percent if policy else 80
    target.warn_at = target.started_at + (due_at - target.started_at) * (percent / 100)
    target.is_overridden = True
    target.save(update_fields=["due_at", "warn_at", "is_overridden"])
    _mirror(complaint, target)
    event_record(
        complaint=complaint,
        kind=EK.SLA_DUE_OVERRIDDEN,
        actor=actor,
        note=reason,
        data=_target_data(target, previous_due_at=previous.isoformat()),
    )
    return target


def _mark_once(
    *, target_id: int, now: datetime, field: str, kind: str, filters: Q
) -> SlaTarget | None:
    """Set ``field`` on the target if still unset and write its event, once.

    The conditional UPDATE is the guard: of two concurrent sweeps only one
    updates the row (the other's UPDATE matches nothing after the first
    commits); the unique ``dedupe_key`` of the event is a second guard.
    Returns the target when this call marked it, else None.
    """
    updated = (
        SlaTarget.objects.filter(pk=target_id, **{f"{field}__isnull": True})
        .filter(filters)
        .update(**{field: now})
    )
    if not updated:
        return None
    target = SlaTarget.objects.select_related("complaint").get(pk=target_id)
    sla_state_sync(target.complaint_id)
    try:
        with transaction.atomic():
            event_record(
                complaint=target.complaint,
                kind=kind,
                actor=None,
                at=now,
                data=_target_data(target),
                dedupe_key=f"{kind}:{target.pk}",
            )
    except IntegrityError:
        return None
    return target


def _warn_filters(now: datetime) -> Q:
    return Q(
        met_at__isnull=True,
        cancelled_at__isnull=True,
        paused_at__isnull=True,
        warn_at__lte=now,
    )


def _breach_filters(now: datetime, *, late_met: bool = False) -> Q:
    filters = Q(due_at__lt=now, cancelled_at__isnull=True)
    if not late_met:
        filters &= Q(met_at__isnull=True, paused_at__isnull=True)
    return filters


# what -> (the mark's field, its event kind, the condition of a clock to mark)
_MARKS = {
    "warned": ("warned_at", EK.SLA_WARNED, _warn_filters),
    "breached": ("breached_at", EK.SLA_BREACHED, _breach_filters),
}


def sla_mark_many(*, target_ids: list[int], now: datetime, what: str) -> list:
    """Mark the warning (``what="warned"``) or breach (``"breached"``) of many
    running clocks at once, each at most once — the SLA sweep's batch; the
    caller has locked their complaints (lock order complaint → target).

    The clocks still unmarked and still due are locked and re-checked (under
    PostgreSQL's row locks a concurrent change is seen before the mark), marked
    in one UPDATE, their complaints' SLA state set in one UPDATE and their events
    written in one INSERT; an event whose ``dedupe_key`` exists already is not
    written again and its clock is not returned (as ``sla_mark_warned`` /
    ``sla_mark_breached``). Returns the marked targets in ``target_ids`` order."""
    field, kind, condition = _MARKS[what]
    due = list(
        SlaTarget.objects.select_for_update()
        .filter(pk__in=target_ids, **{f"{field}__isnull": True})
        .filter(condition(now))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not due:
        return []
    SlaTarget.objects.filter(pk__in=due).update(**{field: now})
    targets = SlaTarget.objects.in_bulk(due)
    sla_state_sync_many(t.complaint_id for t in targets.values())
    keys = {pk: f"{kind}:{pk}" for pk in target_ids if pk in targets}
    taken = set(
        ComplaintEvent.objects.filter(dedupe_key__in=keys.values()).values_list(
            "dedupe_key", flat=True
        )
    )
    marked = [targets[pk] for pk, key in keys.items() if key not in taken]
    ComplaintEvent.objects.bulk_create(
        ComplaintEvent(
            complaint_id=target.complaint_id,
            kind=kind,
            data=_target_data(target),
            created_at=now,
            dedupe_key=keys[target.pk],
        )
        for target in marked
    )
    return marked


def sla_mark_warned(*, target_id: int, now: datetime):
    return _mark_once(
        target_id=target_id,
        now=now,
        field="warned_at",
        kind=EK.SLA_WARNED,
        filters=_warn_filters(now),
    )


def sla_mark_breached(
    *, target_id: int, now: datetime, late_met: bool = False
) -> SlaTarget | None:
    """Mark the breach once. From the sweep the target must still be running and
    past due; from ``sla_meet`` (``late_met``) it was just met after its due time."""
    return _mark_once(
        target_id=target_id,
        now=now,
        field="breached_at",
        kind=EK.SLA_BREACHED,
        filters=_breach_filters(now, late_met=late_met),
    )
