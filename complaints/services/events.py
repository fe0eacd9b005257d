"""Writing timeline events (the only way ``ComplaintEvent`` rows are created)."""

from __future__ import annotations

from complaints.models import ComplaintEvent
from complaints.services import clock


def event_record(
    *,
    complaint,
    kind: str,
    actor=None,
    from_status: str = "",
    to_status: str = "",
    customer_visible: bool = False,
    note: str = "",
    data: dict | None = None,
    at=None,
    dedupe_key: str | None = None,
) -> ComplaintEvent:
    return ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        customer_visible=customer_visible,
        note=note,
        data=data or {},
        created_at=at or clock.now(),
        dedupe_key=dedupe_key,
    )


def event_record_many(
    *, complaint, kind: str, actor=None, data: list[dict]
) -> list[ComplaintEvent]:
    """One event of ``kind`` per item of ``data``, written in one INSERT (in
    order, one time): e.g. the clocks started together at intake."""
    at = clock.now()
    return ComplaintEvent.objects.bulk_create(
        [
            ComplaintEvent(
                complaint=complaint, kind=kind, actor=actor, data=item, created_at=at
            )
            for item in data
        ]
    )
