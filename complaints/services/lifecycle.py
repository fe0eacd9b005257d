"""Every state change of a complaint after intake, one service each.

Each service is one transaction: lock the row (``select_for_update``) and check
the caller's ``version`` (optimistic locking: a stale form gets
``VersionConflict``), check the actor's role and scope, check the status against
the transition table, change, write the events, move the SLA clocks, bump the
version, call the follow-ups. Illegal requests raise ``config.errors`` domain
errors and change nothing.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintNote,
    ComplaintReply,
    SatisfactionSurvey,
    SlaTarget,
)
from complaints.services import clock, followups, permissions, sla
from complaints.services.common import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    S,
    lock,
    require_status,
    save,
    transition,
)
from complaints.services.events import event_record
from config.errors import Conflict, InvalidInput, NotPermitted
from crm import scoping
from crm.notifications import notify
from crm.roles import Role

EK = ComplaintEvent.Kind
TK = SlaTarget.Kind


def _notify_assignee(complaint: Complaint, assignee, *, actor) -> None:
    if assignee is None or (actor is not None and assignee.pk == actor.pk):
        return
    notify(
        recipient=assignee,
        kind="complaint_assigned",
        title=_("Complaint %(ref)s assigned to you") % {"ref": complaint.reference},
        body=complaint.subject,
        link=complaint.get_absolute_url(),
        key=f"complaint:{complaint.pk}:assigned:{assignee.pk}:{complaint.version}",
    )


def _assign(locked: Complaint, *, assignee, team, actor, note: str = "") -> list[str]:
    previous = locked.assignee_id
    locked.assignee = assignee
    fields = ["assignee"]
    if team is not None and team.pk != locked.team_id:
        locked.team = team
        locked.department_id = team.department_id
        fields += ["team", "department"]
    event_record(
        complaint=locked,
        kind=EK.ASSIGNED,
        actor=actor,
        note=note,
        data={
            "from": previous,
            "assignee": assignee.pk if assignee else None,
            "team": locked.team_id,
        },
    )
    return fields


@transaction.atomic
def complaint_assign(
    *,
    actor,
    complaint: Complaint,
    assignee=None,
    team=None,
    note: str = "",
    version: int | None = None,
) -> Complaint:
    """Assign to a staff member (and their team) or to a team only.

    Supervisors, managers and admins assign within their scope; an agent or
    handler may only take an unassigned complaint of their team for themselves.
    The assignee must be an active staff member who works complaints and whom
    the actor may see (``crm.scoping``), and a named team one the actor may see:
    otherwise ``InvalidInput`` names the field and nothing is written. The new
    assignee is notified.
    """
    locked = lock(complaint, version)
    require_status(locked, OPEN_STATUSES | {S.RESOLVED}, _("assign"))
    self_take = (
        actor is not None
        and assignee is not None
        and assignee.pk == actor.pk
        and locked.assignee_id is None
        and permissions.is_front_line(actor)
    )
    if self_take:
        permissions.require(actor, locked, permissions.WORKERS)
    else:
        permissions.require(actor, locked, permissions.LEADS)
    if assignee is None and team is None:
        raise InvalidInput(_("Choose an assignee or a team."), field="assignee")
    if assignee is not None:
        if not assignee.is_active:
            raise InvalidInput(_("This staff member is inactive."), field="assignee")
        roles = permissions._roles(assignee)
        if not roles & permissions.WORKERS:
            raise InvalidInput(
                _("This staff member cannot work complaints."), field="assignee"
            )
        if actor is not None and not scoping.can_view(actor, assignee):
            raise InvalidInput(
                _("You may not assign complaints to this staff member."),
                field="assignee",
            )
    if team is not None and actor is not None and not scoping.can_view(actor, team):
        raise InvalidInput(
            _("You may not assign complaints to this team."), field="team"
        )
    if assignee is not None:
        team = team or assignee.team
    if locked.assignee_id == (assignee.pk if assignee else None) and (
        team is None or team.pk == locked.team_id
    ):
        return locked  # already so: nothing to do
    fields = _assign(locked, assignee=assignee, team=team, actor=actor, note=note)
    save(locked, fields, original=complaint)
    _notify_assignee(locked, assignee, actor=actor)
    return locked


@transaction.atomic
def complaint_start_analysis(
    *, actor, complaint: Complaint, note: str = "", version: int | None = None
) -> Complaint:
    """received/reopened → analyzing. A front-line actor picking up an
    unassigned complaint becomes its assignee."""
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.WORKERS)
    fields = ["status"]
    if locked.assignee_id is None and permissions.is_front_line(actor):
        fields += _assign(locked, assignee=actor, team=actor.team, actor=actor)
    transition(locked, S.ANALYZING, actor=actor, note=note)
    save(locked, fields, original=complaint)
    return locked


@transaction.atomic
def complaint_record_analysis(
    *,
    actor,
    complaint: Complaint,
    impact_scope: str = "",
    cause_hypothesis: str = "",
    cause_type: str = "",
    category=None,
    subcategory=None,
    severity: str | None = None,
    attributed_staff=None,
    note: str = "",
    version: int | None = None,
) -> Complaint:
    """Record the initial analysis (category confirmed, severity, impact scope,
    cause hypothesis) while ``analyzing``; meets the analysis clock once."""
    from complaints.services.categories import resolve_category

    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.WORKERS)
    require_status(locked, {S.ANALYZING}, _("record the analysis of"))
    if cause_type and cause_type not in Complaint.CauseType.values:
        raise InvalidInput(_("Unknown cause type."), field="cause_type")
    if not (cause_hypothesis or "").strip():
        raise InvalidInput(
            _("Describe the cause hypothesis."), field="cause_hypothesis"
        )
    now = clock.now()
    fields = ["impact_scope", "cause_hypothesis", "cause_type"]
    locked.impact_scope = impact_scope or locked.impact_scope
    locked.cause_hypothesis = cause_hypothesis.strip()
    locked.cause_type = cause_type or locked.cause_type
    recompute = False
    if category is not None:
        category = resolve_category(category)
        if category.pk != locked.category_id:
            locked.category = category
            locked.subcategory = None
            fields += ["category", "subcategory"]
            recompute = True
    if subcategory is not None:
        parent = locked.category
        locked.subcategory = resolve_category(
            subcategory, field="subcategory", parent=parent
        )
        fields.append("subcategory")
    if attributed_staff is not None:
        scoping.require_colleague(actor, attributed_staff, field="attributed_staff")
        locked.attributed_staff = attributed_staff
        fields.append("attributed_staff")
    if severity and severity != locked.severity:
        fields += _change_severity(locked, severity=severity, actor=actor, reason=note)
        recompute = False  # done by the severity change
    elif recompute:
        fields += _repick_policy(locked, actor=actor, reason=_("category changed"))
    event_record(
        complaint=locked,
        kind=EK.ANALYSIS,
        actor=actor,
        note=note,
        data={
            "cause_type": locked.cause_type,
            "category": locked.category.code,
            "severity": locked.severity,
        },
    )
    if locked.analyzed_at is None:
        locked.analyzed_at = now
        fields.append("analyzed_at")
        sla.sla_meet(complaint=locked, kind=TK.ANALYSIS, at=now, actor=actor)
    save(locked, fields, original=complaint)
    return locked


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
    transition(locked, S.HANDLING, actor=actor, note=note)
    save(locked, fields, original=complaint)
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
    if locked.status == S.HANDLING:
        transition(locked, S.REPLIED, actor=actor)
        fields.append("status")
        if locked.replied_at is None:
            locked.replied_at = now
            fields.append("replied_at")
            sla.sla_meet(complaint=locked, kind=TK.REPLY, at=now, actor=actor)
    save(locked, fields, original=complaint)
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


@transaction.atomic
def complaint_hold(
    *, actor, complaint: Complaint, reason: str, version: int | None = None
) -> Complaint:
    """Put on hold (waiting for the customer): every running SLA clock pauses."""
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.WORKERS)
    if not (reason or "").strip():
        raise InvalidInput(_("Say what you are waiting for."), field="reason")
    now = clock.now()
    previous = locked.status
    transition(locked, S.ON_HOLD, actor=actor, note=reason)
    locked.status_before_hold = previous
    locked.on_hold_since = now
    sla.sla_pause(complaint=locked, at=now, actor=actor)
    save(locked, ["status", "status_before_hold", "on_hold_since"], original=complaint)
    return locked


@transaction.atomic
def complaint_resume(
    *, actor, complaint: Complaint, note: str = "", version: int | None = None
) -> Complaint:
    """Resume from hold to the previous status; paused clocks restart and their
    due times move by the business time spent on hold."""
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.WORKERS)
    require_status(locked, {S.ON_HOLD}, _("resume"))
    now = clock.now()
    transition(
        locked,
        locked.status_before_hold or S.RECEIVED,
        actor=actor,
        note=note,
        resuming=True,
    )
    locked.status_before_hold = ""
    locked.on_hold_since = None
    sla.sla_resume(complaint=locked, at=now, actor=actor)
    save(
        locked,
        ["status", "status_before_hold", "on_hold_since", *_due_fields()],
        original=complaint,
    )
    return locked


def _due_fields() -> list[str]:
    return [due for _m, due, _met in sla.TARGET_FIELDS.values()]


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
    transition(locked, S.RESOLVED, actor=actor, note=note or resolution_summary)
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
    if locked.first_resolved_at is None:
        locked.first_resolved_at = now
        locked.resolution_minutes = sla.schedule_of(locked).minutes_between(
            locked.received_at, now
        )
        fields += ["first_resolved_at", "resolution_minutes"]
    sla.sla_meet(complaint=locked, kind=TK.RESOLUTION, at=now, actor=actor)
    cycle = locked.reopened_count + 1
    sla.sla_start(
        complaint=locked, kind=TK.CONFIRMATION, started_at=now, actor=actor, cycle=cycle
    )
    SatisfactionSurvey.objects.get_or_create(
        complaint=locked,
        cycle=cycle,
        defaults={"customer_id": locked.customer_id, "created_at": now},
    )
    save(locked, fields, original=complaint)
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
def complaint_close(
    *, actor, complaint: Complaint, note: str = "", version: int | None = None
) -> Complaint:
    """resolved → closed. Clocks still running are cancelled."""
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.RESOLVERS)
    now = clock.now()
    transition(locked, S.CLOSED, actor=actor, note=note)
    locked.closed_at = now
    sla.sla_cancel_open(complaint=locked, at=now)
    save(locked, ["status", "closed_at"], original=complaint)
    return locked


@transaction.atomic
def complaint_reopen(
    *, actor, complaint: Complaint, reason: str, version: int | None = None
) -> Complaint:
    """resolved/closed → reopened (the customer is not satisfied).

    Supervisors, managers, admins, or the system (``actor=None``). The first
    resolution (``first_resolved_at``, ``resolution_minutes``) is kept; the
    latest resolution fields are cleared; a new resolution clock (next cycle)
    starts now; the reopen count rises.
    """
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.LEADS)
    if not (reason or "").strip():
        raise InvalidInput(_("Give the reason for reopening."), field="reason")
    now = clock.now()
    from_status = locked.status
    transition(locked, S.REOPENED, actor=actor, note=reason)
    locked.reopened_count += 1
    locked.resolved_at = None
    locked.closed_at = None
    locked.confirmed_at = None
    locked.confirmation_due_at = None
    sla.sla_cancel_open(complaint=locked, at=now)
    event_record(
        complaint=locked,
        kind=EK.REOPENED,
        actor=actor,
        from_status=from_status,
        to_status=S.REOPENED,
        customer_visible=True,
        note=reason,
        data={"cycle": locked.reopened_count + 1},
    )
    sla.sla_start(
        complaint=locked,
        kind=TK.RESOLUTION,
        started_at=now,
        actor=actor,
        cycle=locked.reopened_count + 1,
    )
    save(
        locked,
        [
            "status",
            "reopened_count",
            "resolved_at",
            "closed_at",
            "confirmed_at",
            "confirmation_due_at",
            "resolution_due_at",
        ],
        original=complaint,
    )
    return locked


@transaction.atomic
def complaint_reject(
    *, actor, complaint: Complaint, reason: str, version: int | None = None
) -> Complaint:
    """received/analyzing → rejected (duplicate, spam, not a complaint)."""
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.LEADS | {Role.COMPLAINT_HANDLER})
    if not (reason or "").strip():
        raise InvalidInput(_("A rejection needs a reason."), field="reason")
    now = clock.now()
    transition(locked, S.REJECTED, actor=actor, note=reason)
    locked.rejection_reason = reason.strip()
    locked.closed_at = now
    sla.sla_cancel_open(complaint=locked, at=now)
    save(locked, ["status", "rejection_reason", "closed_at"], original=complaint)
    return locked


def escalate_locked(locked: Complaint, *, actor, reason: str, to_user=None, key=None):
    """Escalate an already locked complaint (used by the SLA sweep too)."""
    if to_user is None:
        team = locked.team
        to_user = team.supervisor if team and team.supervisor_id else None
        if to_user is None or (locked.assignee_id and to_user.pk == locked.assignee_id):
            dept = locked.department
            to_user = dept.manager if dept and dept.manager_id else to_user
    locked.escalation_level += 1
    locked.escalated_at = clock.now()
    event_record(
        complaint=locked,
        kind=EK.ESCALATED,
        actor=actor,
        note=reason,
        data={
            "level": locked.escalation_level,
            "to": to_user.pk if to_user else None,
        },
    )
    if to_user is not None:
        notify(
            recipient=to_user,
            kind="complaint_escalated",
            title=_("Complaint %(ref)s escalated to you") % {"ref": locked.reference},
            body=reason,
            link=locked.get_absolute_url(),
            key=key or f"complaint:{locked.pk}:escalated:{locked.escalation_level}",
        )
    return ["escalation_level", "escalated_at"]


@transaction.atomic
def complaint_escalate(
    *,
    actor,
    complaint: Complaint,
    reason: str = "",
    to_user=None,
    version: int | None = None,
) -> Complaint:
    """Escalate to ``to_user`` (a colleague of the actor's department or scope)
    or the team supervisor (the department manager when the supervisor is the
    assignee); notifies them."""
    scoping.require_colleague(actor, to_user, field="to_user")
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.LEADS)
    require_status(locked, OPEN_STATUSES, _("escalate"))
    fields = escalate_locked(locked, actor=actor, reason=reason, to_user=to_user)
    save(locked, fields, original=complaint)
    return locked


@transaction.atomic
def complaint_override_due(
    *,
    actor,
    complaint: Complaint,
    kind: str,
    due_at: datetime,
    reason: str,
    version: int | None = None,
) -> Complaint:
    """A manager sets a clock's due time by hand; it is no longer recomputed."""
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.MANAGERS)
    if kind not in SlaTarget.Kind.values:
        raise InvalidInput(_("Unknown SLA target."), field="kind")
    if not (reason or "").strip():
        raise InvalidInput(_("Give the reason for the new due time."), field="reason")
    if due_at is None or timezone.is_naive(due_at):
        raise InvalidInput(_("The time must include a time zone."), field="due_at")
    target = sla.open_target(locked, kind)
    if target is None:
        raise Conflict(_("This SLA clock is not running."), code="sla_not_running")
    if due_at <= target.started_at:
        raise InvalidInput(
            _("The due time must be after the clock started."), field="due_at"
        )
    sla.sla_override_due(
        complaint=locked, kind=kind, due_at=due_at, actor=actor, reason=reason
    )
    save(locked, _due_fields(), original=complaint)
    return locked


def _repick_policy(locked: Complaint, *, actor, reason: str) -> list[str]:
    policy = sla.policy_for(
        channel=locked.channel, severity=locked.severity, category=locked.category
    )
    locked.sla_policy = policy
    sla.sla_recompute(complaint=locked, actor=actor, reason=reason)
    return ["sla_policy", *_due_fields()]


def _change_severity(locked: Complaint, *, severity: str, actor, reason: str):
    if severity not in Complaint.Severity.values:
        raise InvalidInput(_("Unknown severity."), field="severity")
    previous = locked.severity
    locked.severity = severity
    event_record(
        complaint=locked,
        kind=EK.SEVERITY_CHANGED,
        actor=actor,
        note=reason,
        data={"from": previous, "to": severity},
    )
    return ["severity", *_repick_policy(locked, actor=actor, reason=reason)]


@transaction.atomic
def complaint_change_severity(
    *,
    actor,
    complaint: Complaint,
    severity: str,
    reason: str = "",
    version: int | None = None,
) -> Complaint:
    """Change the severity; the policy is picked again and running clocks that
    were not overridden get new due times."""
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.WORKERS)
    if locked.status in FINAL_STATUSES:
        raise Conflict(
            _("A closed or rejected complaint cannot change."),
            code="illegal_transition",
        )
    if severity == locked.severity:
        return locked
    fields = _change_severity(locked, severity=severity, actor=actor, reason=reason)
    save(locked, fields, original=complaint)
    return locked


@transaction.atomic
def complaint_archive(*, actor, complaint: Complaint) -> Complaint:
    """Archive a closed or rejected complaint (staff never delete complaints)."""
    locked = lock(complaint)
    permissions.require(actor, locked, permissions.MANAGERS)
    require_status(locked, FINAL_STATUSES, _("archive"))
    if locked.is_archived:
        return locked
    locked.is_archived = True
    save(locked, ["is_archived"], original=complaint)
    event_record(
        complaint=locked,
        kind=ComplaintEvent.Kind.ARCHIVED,
        actor=actor,
        from_status=locked.status,
        to_status=locked.status,
    )
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
    return survey


__all__ = [
    "complaint_add_note",
    "complaint_archive",
    "complaint_assign",
    "complaint_change_severity",
    "complaint_close",
    "complaint_confirm",
    "complaint_escalate",
    "complaint_hold",
    "complaint_override_due",
    "complaint_record_analysis",
    "complaint_record_contact",
    "complaint_reject",
    "complaint_reopen",
    "complaint_reply",
    "complaint_resolve",
    "complaint_resume",
    "complaint_start_analysis",
    "complaint_start_handling",
    "survey_record_answer",
]
