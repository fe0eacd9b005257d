"""Initial analysis: received/reopened → analyzing, and recording the analysis
(category, severity, impact scope, cause hypothesis).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from complaints.models import Complaint, ComplaintEvent, SlaTarget
from complaints.services import clock, followups, permissions, sla
from complaints.services.assignment import _assign
from complaints.services.categories import resolve_category
from complaints.services.common import S, lock, require_status, save, transition
from complaints.services.deadlines import _change_severity, _repick_policy
from complaints.services.events import event_record
from config.errors import InvalidInput
from crm import scoping

EK = ComplaintEvent.Kind
TK = SlaTarget.Kind


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
    change = transition(locked, S.ANALYZING, actor=actor, note=note)
    save(locked, fields, original=complaint)
    followups.on_status_changed(
        complaint=locked,
        actor=change.actor,
        from_status=change.from_status,
        to_status=change.to_status,
    )
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
    cause hypothesis) while ``analyzing``; meets the analysis clock once.

    When the attributed staff member or the category actually changes, the
    attribution follow-up runs (training's attitude rule) once saved."""
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
    attribution_changed = False
    if category is not None:
        category = resolve_category(category)
        if category.pk != locked.category_id:
            locked.category = category
            locked.subcategory = None
            fields += ["category", "subcategory"]
            recompute = True
            attribution_changed = True
    if subcategory is not None:
        parent = locked.category
        locked.subcategory = resolve_category(
            subcategory, field="subcategory", parent=parent
        )
        fields.append("subcategory")
    if attributed_staff is not None:
        scoping.require_colleague(actor, attributed_staff, field="attributed_staff")
        if attributed_staff.pk != locked.attributed_staff_id:
            attribution_changed = True
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
    if attribution_changed:
        followups.on_attribution_changed(complaint=locked, actor=actor)
    return locked


__all__ = [
    "complaint_record_analysis",
    "complaint_start_analysis",
]
