"""Quality inspections (质检): an inspector scores a complaint, an interaction
or (on-site checklists) a staff member's appearance and workplace on the items
of a checklist version.

A result below a pass mark coaches the staff member (a training assignment)
and tells their supervisor, once per inspection (keys).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config.errors import InvalidInput, NotPermitted
from crm import scoping
from crm import selectors as crm_selectors
from crm.notifications import notify
from kpi.models import (
    Checklist,
    ChecklistItem,
    InspectionSample,
    InspectionScore,
    QualityInspection,
)
from kpi.services.checklists import checklist_active
from training.services.assignments import assignment_coaching

CENT = Decimal("0.01")


def item_passes(item: ChecklistItem, score) -> bool:
    """The score reaches the item's pass mark (a share of its maximum)."""
    return Decimal(score) * 100 >= item.pass_mark * item.max_score


def inspection_total(items: Iterable[ChecklistItem], scores: dict) -> Decimal:
    """The weighted mean of the items' scores as shares of their maximum, 0–100
    (the call checklist v1: six items 0–10 of equal weight, i.e. their sum
    scaled to 100)."""
    items = list(items)
    weights = sum((item.weight for item in items), Decimal(0))
    total = sum(
        (item.weight * Decimal(scores[item.code]) / item.max_score for item in items),
        Decimal(0),
    )
    return (total * 100 / weights).quantize(CENT, ROUND_HALF_UP)


def _score(item: ChecklistItem, value) -> Decimal:
    if isinstance(value, bool):
        value = None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        number = None
    if number is None or not number.is_finite() or not 0 <= number <= item.max_score:
        raise InvalidInput(
            _("%(item)s scores from 0 to %(max)s.")
            % {"item": item.label, "max": item.max_score},
            field=item.code,
        )
    return number.quantize(CENT, ROUND_HALF_UP)


def default_checklist(complaint) -> Checklist | None:
    """The active version of the checklist of the complaint's pending sample,
    else the active call checklist (the inspector picks another one)."""
    if complaint is not None:
        sample = (
            InspectionSample.objects.filter(
                complaint=complaint, inspection__isnull=True
            )
            .select_related("plan__checklist")
            .order_by("pk")
            .first()
        )
        if sample is not None:
            found = checklist_active(code=sample.plan.checklist.code)
            if found is not None:
                return found
    return checklist_active(kind=Checklist.Kind.CALL)


@transaction.atomic
def inspection_record(
    *,
    actor,
    scores: dict[str, int | Decimal],
    checklist: Checklist | None = None,
    complaint=None,
    interaction=None,
    staff=None,
    comments: str = "",
    inspected_at: datetime | None = None,
) -> QualityInspection:
    """Record one inspection on ``checklist`` (default: the sampled complaint's
    plan checklist, else the active call checklist).

    ``scores`` maps every item code of the checklist to 0…its maximum; the
    total (0–100) and the result are computed here, never typed in. ``staff``
    defaults to the complaint's assignee or the interaction's staff member.
    Call and chat checklists inspect a complaint or an interaction; on-site
    checklists the staff member. Only QA inspectors (and admins) record
    inspections, of records and staff in their scope. A pending sample of the
    complaint is marked done by it.
    """
    if actor is None or not actor.has_perm("kpi.add_qualityinspection"):
        raise NotPermitted(_("You may not record quality inspections."))
    # Only what the inspector may see: a forged form cannot inspect elsewhere.
    scoping.require_visible(actor, complaint, field="complaint")
    scoping.require_visible(actor, interaction, field="interaction")
    scoping.require_visible(actor, staff, field="staff")
    if checklist is None:
        checklist = default_checklist(complaint)
    if checklist is None:
        raise InvalidInput(_("Choose the checklist."), field="checklist")
    if not checklist.is_active:
        raise InvalidInput(
            _("This checklist version is no longer in use."), field="checklist"
        )
    if (
        checklist.kind != Checklist.Kind.ONSITE
        and complaint is None
        and interaction is None
    ):
        raise InvalidInput(
            _("Choose the complaint or interaction inspected."), field="complaint"
        )
    staff = (
        staff
        or (complaint.assignee if complaint is not None else None)
        or (interaction.staff if interaction is not None else None)
    )
    if staff is None:
        raise InvalidInput(_("Choose the staff member inspected."), field="staff")
    items = list(checklist.items.order_by("position", "pk"))
    missing = [item.code for item in items if scores.get(item.code) is None]
    if missing:
        raise InvalidInput(
            _("Score every checklist item."), field=missing[0], code="missing_score"
        )
    values = {item.code: _score(item, scores[item.code]) for item in items}
    total = inspection_total(items, values)
    results = {item.code: item_passes(item, values[item.code]) for item in items}
    passed = all(results.values()) and total >= checklist.pass_mark
    inspection = QualityInspection(
        checklist=checklist,
        inspector=actor,
        staff=staff,
        complaint=complaint,
        interaction=interaction,
        inspected_at=inspected_at or timezone.now(),
        comments=comments,
        total=total,
        passed=passed,
    )
    inspection.full_clean()
    inspection.save()
    InspectionScore.objects.bulk_create(
        InspectionScore(
            inspection=inspection,
            item=item,
            score=values[item.code],
            passed=results[item.code],
        )
        for item in items
    )
    if complaint is not None:
        sample = (
            InspectionSample.objects.select_for_update()
            .filter(complaint=complaint, inspection__isnull=True)
            .order_by("pk")
            .first()
        )
        if sample is not None:
            sample.inspection = inspection
            sample.save(update_fields=["inspection"])
    if not passed:
        failed = [item.label for item in items if not results[item.code]]
        _follow_up_failed(inspection, failed)
    return inspection


def _follow_up_failed(inspection: QualityInspection, failed: list[str]) -> None:
    """Coach the staff member and tell their supervisor (else the department's
    manager), once per inspection: the assignment's and notification's keys."""
    staff = inspection.staff
    with translation.override(settings.LANGUAGE_CODE):
        below = "、".join(failed) if failed else _("total score")
        note = _(
            "Coaching after quality inspection %(id)s (below the pass mark: %(items)s)"
        ) % {
            "id": inspection.pk,
            "items": below,
        }
        assignment_coaching(
            staff=staff, note=note, key=f"coaching:inspection:{inspection.pk}"
        )
        team, dept = staff.team, staff.department
        lead = crm_selectors.team_lead(team, dept)
        if lead is None or lead.pk == staff.pk:
            return
        notify(
            recipient=lead,
            kind="qa_failed",
            title=_("Quality inspection below the pass mark: %(staff)s (%(total)s)")
            % {"staff": staff.name or staff.username, "total": inspection.total},
            body=_("Below the pass mark: %(items)s. Coaching has been assigned.")
            % {"items": below},
            link=f"/admin/kpi/qualityinspection/{inspection.pk}/change/",
            key=f"qa:failed:{inspection.pk}",
        )
