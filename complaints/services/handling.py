"""Handling: start handling, customer-facing replies and contacts (the first
response), internal notes.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintNote,
    ComplaintReply,
    SlaTarget,
)
from complaints.services import clock, followups, permissions, sla
from complaints.services.assignment import _assign
from complaints.services.common import (
    OPEN_STATUSES,
    S,
    lock,
    require_status,
    save,
    transition,
)
from complaints.services.events import event_record
from config.errors import InvalidInput

EK = ComplaintEvent.Kind
TK = SlaTarget.Kind


@transaction.atomic
def complaint_start_handling(
    *, actor, complaint: Complaint, note: str = "", version: int | None = None
) -> Complaint:
    """analyzing (analysis recorded) / replied / reopened → handling."""
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.WORKERS)
    if locked.status == S.ANALYZING and locked.analyzed_at is None:
        raise InvalidInput(_("Record the analysis first."), field="cause_hypothesis")
    fields = ["status"]
    if locked.assignee_id is None and permissions.is_front_line(actor):
        fields += _assign(locked, assignee=actor, team=actor.team, actor=actor)
    change = transition(locked, S.HANDLING, actor=actor, note=note)
    save(locked, fields, original=complaint)
    followups.on_status_changed(
        complaint=locked,
        actor=change.actor,
        from_status=change.from_status,
        to_status=change.to_status,
    )
    return locked


def _first_response(locked: Complaint, *, at: datetime, actor) -> list[str]:
    if locked.first_response_at is not None:
        return []
    locked.first_response_at = at
    schedule = sla.schedule_of(locked)
    locked.first_response_minutes = schedule.minutes_between(locked.received_at, at)
    sla.sla_meet(complaint=locked, kind=TK.FIRST_RESPONSE, at=at, actor=actor)
    return ["first_response_at", "first_response_minutes"]


REPLY_STATUSES = OPEN_STATUSES | {S.RESOLVED}


def _check_reply_wording(body: str, *, solution: bool) -> None:
    """Standard phrases (complaints.phrases): no forbidden phrase; a solution
    reply has its thanks, solution and follow-up parts (when required)."""
    from django.conf import settings

    from complaints import phrases

    found = phrases.forbidden_in(body)
    if found:
        raise InvalidInput(
            _("The reply contains forbidden phrases: %(found)s.")
            % {"found": "、".join(found)},
            field="body",
        )
    if solution and settings.KEFU_SOLUTION_REPLY_PARTS:
        missing = phrases.reply_parts_missing(body)
        if missing:
            raise InvalidInput(
                _(
                    "A solution reply thanks the customer, gives the solution and "
                    "says how we follow up; missing: %(missing)s."
                )
                % {"missing": "、".join(missing)},
                field="body",
            )


@transaction.atomic
def complaint_reply(
    *,
    actor,
    complaint: Complaint,
    body: str,
    channel: str | None = None,
    version: int | None = None,
) -> Complaint:
    """Record a customer-facing reply through ``channel`` (default: the
    complaint's channel). The first reply is the first response; a reply while
    ``handling`` is the solution reply: status → replied, reply clock met."""
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.WORKERS)
    require_status(locked, REPLY_STATUSES, _("reply to"))
    body = (body or "").strip()
    if not body:
        raise InvalidInput(_("The reply is empty."), field="body")
    channel = channel or locked.channel
    if channel not in Complaint.Channel.values:
        raise InvalidInput(_("Unknown channel."), field="channel")
    _check_reply_wording(body, solution=locked.status == S.HANDLING)
    now = clock.now()
    reply = ComplaintReply.objects.create(
        complaint=locked, author=actor, channel=channel, body=body, sent_at=now
    )
    fields = _first_response(locked, at=now, actor=actor)
    event_record(
        complaint=locked,
        kind=EK.REPLIED,
        actor=actor,
        customer_visible=True,
        note=body,
        data={"reply_id": reply.pk, "channel": channel},
    )
    change = None
    if locked.status == S.HANDLING:
        change = transition(locked, S.REPLIED, actor=actor)
        fields.append("status")
        if locked.replied_at is None:
            locked.replied_at = now
            fields.append("replied_at")
            sla.sla_meet(complaint=locked, kind=TK.REPLY, at=now, actor=actor)
    save(locked, fields, original=complaint)
    if change is not None:
        followups.on_status_changed(
            complaint=locked,
            actor=change.actor,
            from_status=change.from_status,
            to_status=change.to_status,
        )
    followups.on_complaint_replied(complaint=locked, actor=actor, reply=reply)
    return locked


@transaction.atomic
def complaint_record_contact(
    *, actor, complaint: Complaint, at: datetime | None = None, note: str = ""
) -> Complaint:
    """A customer-facing contact outside a written reply (e.g. a call logged in
    CRM): counts as the first response if none happened yet."""
    locked = lock(complaint)
    permissions.require(actor, locked, permissions.WORKERS)
    fields = _first_response(locked, at=at or clock.now(), actor=actor)
    if fields:
        save(locked, fields, original=complaint)
    return locked


@transaction.atomic
def complaint_add_note(
    *, actor, complaint: Complaint, body: str, version: int | None = None
) -> ComplaintNote:
    """An internal note (never the first response, never customer-visible).
    Notes do not bump the version: they never conflict with a change."""
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.WORKERS)
    body = (body or "").strip()
    if not body:
        raise InvalidInput(_("The note is empty."), field="body")
    note = ComplaintNote.objects.create(complaint=locked, author=actor, body=body)
    event_record(
        complaint=locked,
        kind=EK.NOTE,
        actor=actor,
        note=body,
        data={"note_id": note.pk},
    )
    return note


__all__ = [
    "complaint_add_note",
    "complaint_record_contact",
    "complaint_reply",
    "complaint_start_handling",
]
