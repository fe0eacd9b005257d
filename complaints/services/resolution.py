"""Resolution and the customer's answer: resolve (compensation limits, the
survey of the cycle), the customer's confirmation, the satisfaction survey.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from complaints.models import Complaint, ComplaintEvent, SatisfactionSurvey, SlaTarget
from complaints.services import clock, followups, permissions, sla
from complaints.services.common import S, lock, require_status, save, transition
from complaints.services.events import event_record
from complaints.services.handling import _first_response
from config.errors import Conflict, InvalidInput, NotPermitted
from crm import selectors as crm_selectors
from crm.models import Revisit
from crm.notifications import notify
from crm.services.revisits import revisit_create

EK = ComplaintEvent.Kind
TK = SlaTarget.Kind
# A satisfaction score at or below this is a low score: the supervisor hears of
# it and a recovery revisit is planned (once per resolution cycle).
LOW_CSAT = 2
RECOVERY_DUE = timedelta(hours=24)


def _parse_amount(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(
            _("Not a valid amount."), field="compensation_amount"
        ) from None
    if amount < 0:
        raise InvalidInput(
            _("The amount cannot be negative."), field="compensation_amount"
        )
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def complaint_resolve(
    *,
    actor,
    complaint: Complaint,
    resolution_type: str,
    resolution_summary: str = "",
    compensation_amount=None,
    cause_type: str = "",
    note: str = "",
    version: int | None = None,
) -> Complaint:
    """replied → resolved by a complaint handler, supervisor or manager.

    Compensation above the actor's limit (settings ``KEFU_COMPENSATION_LIMIT_*``)
    is refused. Meets the resolution clock; the first resolution's time and
    business duration are kept across reopenings. Starts the customer
    confirmation clock and creates the satisfaction survey of this cycle.
    """
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.RESOLVERS)
    if resolution_type not in Complaint.ResolutionType.values:
        raise InvalidInput(_("Choose a resolution type."), field="resolution_type")
    if cause_type and cause_type not in Complaint.CauseType.values:
        raise InvalidInput(_("Unknown cause type."), field="cause_type")
    amount = _parse_amount(compensation_amount)
    limit = permissions.compensation_limit(actor)
    if amount is not None and limit is not None and amount > limit:
        raise NotPermitted(
            _("Compensation above %(limit)s needs a supervisor or manager.")
            % {"limit": limit},
            code="compensation_limit",
        )
    now = clock.now()
    change = transition(
        locked, S.RESOLVED, actor=actor, note=note or resolution_summary
    )
    locked.resolution_type = resolution_type
    locked.resolution_summary = resolution_summary or locked.resolution_summary
    locked.compensation_amount = amount
    locked.cause_type = cause_type or locked.cause_type
    locked.resolved_at = now
    fields = [
        "status",
        "resolution_type",
        "resolution_summary",
        "compensation_amount",
        "cause_type",
        "resolved_at",
        "confirmation_due_at",
    ]
    fields += _first_response(locked, at=now, actor=actor)
    schedule = sla.schedule_of(locked)  # read once (calendar days)
    if locked.first_resolved_at is None:
        locked.first_resolved_at = now
        locked.resolution_minutes = schedule.minutes_between(locked.received_at, now)
        fields += ["first_resolved_at", "resolution_minutes"]
    sla.sla_meet(complaint=locked, kind=TK.RESOLUTION, at=now, actor=actor)
    cycle = locked.reopened_count + 1
    sla.sla_start(
        complaint=locked,
        kind=TK.CONFIRMATION,
        started_at=now,
        actor=actor,
        cycle=cycle,
        schedule=schedule,
    )
    SatisfactionSurvey.objects.get_or_create(
        complaint=locked,
        cycle=cycle,
        defaults={"customer_id": locked.customer_id, "created_at": now},
    )
    save(locked, fields, original=complaint)
    followups.on_status_changed(
        complaint=locked,
        actor=change.actor,
        from_status=change.from_status,
        to_status=change.to_status,
    )
    followups.on_complaint_resolved(complaint=locked, actor=actor)
    return locked


@transaction.atomic
def complaint_confirm(
    *, actor, complaint: Complaint, note: str = "", version: int | None = None
) -> Complaint:
    """The customer confirmed the resolution (status stays ``resolved``);
    meets the confirmation clock. Idempotent once confirmed."""
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.CONFIRMERS)
    require_status(locked, {S.RESOLVED}, _("confirm"))
    if locked.confirmed_at is not None:
        return locked
    now = clock.now()
    locked.confirmed_at = now
    event_record(
        complaint=locked,
        kind=EK.CONFIRMED,
        actor=actor,
        note=note,
        customer_visible=True,
    )
    sla.sla_meet(complaint=locked, kind=TK.CONFIRMATION, at=now, actor=actor)
    save(locked, ["confirmed_at"], original=complaint)
    return locked


@transaction.atomic
def survey_record_answer(
    *,
    actor,
    complaint: Complaint,
    csat: int,
    nps: int | None = None,
    comment: str = "",
    channel: str = "",
) -> SatisfactionSurvey:
    """Record the customer's satisfaction with the latest resolution.

    Staff (after a revisit) or a partner (``actor=None``). The survey of the
    current cycle exists from resolution on; a second answer is a conflict.
    """
    locked = lock(complaint)
    permissions.require(actor, locked, permissions.SURVEY_RECORDERS)
    require_status(locked, {S.RESOLVED, S.CLOSED}, _("record feedback on"))
    try:
        csat = int(csat)
    except (TypeError, ValueError):
        raise InvalidInput(_("Satisfaction is 1 to 5."), field="csat") from None
    if not 1 <= csat <= 5:
        raise InvalidInput(_("Satisfaction is 1 to 5."), field="csat")
    if nps is not None:
        try:
            nps = int(nps)
        except (TypeError, ValueError):
            raise InvalidInput(_("Recommendation is 0 to 10."), field="nps") from None
        if not 0 <= nps <= 10:
            raise InvalidInput(_("Recommendation is 0 to 10."), field="nps")
    if channel and channel not in Complaint.Channel.values:
        raise InvalidInput(_("Unknown channel."), field="channel")
    now = clock.now()
    cycle = locked.reopened_count + 1
    survey, _created = SatisfactionSurvey.objects.select_for_update().get_or_create(
        complaint=locked,
        cycle=cycle,
        defaults={"customer_id": locked.customer_id, "created_at": now},
    )
    if survey.answered_at is not None:
        raise Conflict(
            _("The customer's feedback was already recorded."),
            code="already_answered",
        )
    survey.csat = csat
    survey.nps = nps
    survey.comment = comment or ""
    survey.channel = channel or (Complaint.Channel.API if actor is None else "")
    survey.recorded_by = actor
    survey.answered_at = now
    survey.save(
        update_fields=[
            "csat",
            "nps",
            "comment",
            "channel",
            "recorded_by",
            "answered_at",
        ]
    )
    event_record(
        complaint=locked,
        kind=EK.FEEDBACK_RECEIVED,
        actor=actor,
        customer_visible=True,
        note=comment or "",
        data={"csat": csat, "nps": nps, "cycle": cycle},
    )
    if csat <= LOW_CSAT:
        _low_score_recovery(locked, cycle=cycle, csat=csat, comment=comment or "")
    return survey


def _low_score_recovery(complaint: Complaint, *, cycle: int, csat: int, comment):
    """A low score: notify the team supervisor (else the department manager)
    and plan a recovery revisit, each once per cycle (unique keys)."""
    team, dept = complaint.team, complaint.department
    lead = crm_selectors.team_lead(team, dept)
    if lead is not None:
        notify(
            recipient=lead,
            kind="complaint_low_satisfaction",
            title=_("Low satisfaction (%(csat)s/5) on complaint %(ref)s")
            % {"csat": csat, "ref": complaint.reference},
            body=comment,
            link=complaint.get_absolute_url(),
            key=f"complaint:{complaint.pk}:low_csat:{cycle}",
        )
    revisit_create(
        actor=None,
        customer=complaint.customer,
        purpose=Revisit.Purpose.SATISFACTION,
        due_at=clock.now() + RECOVERY_DUE,
        assignee=lead or complaint.assignee,
        notes=_("Recovery call: the customer rated complaint %(ref)s %(csat)s/5.")
        % {"ref": complaint.reference, "csat": csat},
        key=f"complaint:{complaint.pk}:recovery:{cycle}",
    )


__all__ = [
    "complaint_confirm",
    "complaint_resolve",
    "survey_record_answer",
]
