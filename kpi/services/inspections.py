"""Quality inspections (质检): an inspector scores a complaint or interaction."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import InvalidInput, NotPermitted
from crm import scoping
from kpi.models import QualityInspection


def inspection_total(scores: dict[str, int]) -> Decimal:
    """The checklist sum scaled to 0–100 (six items of 0–10 each)."""
    full = QualityInspection.ITEM_MAX * len(QualityInspection.CHECKLIST)
    total = Decimal(sum(scores[item] for item in QualityInspection.CHECKLIST))
    return (total * 100 / full).quantize(Decimal("0.01"), ROUND_HALF_UP)


@transaction.atomic
def inspection_record(
    *,
    actor,
    scores: dict[str, int],
    complaint=None,
    interaction=None,
    staff=None,
    comments: str = "",
    inspected_at: datetime | None = None,
) -> QualityInspection:
    """Record one inspection of a ``complaint`` or an ``interaction``.

    ``scores`` has every checklist item, each 0–10; the total (0–100) is
    computed here, never typed in. ``staff`` defaults to the complaint's
    assignee or the interaction's staff member. Only QA inspectors (and
    admins) record inspections, of complaints, interactions and staff in their
    scope (``InvalidInput`` otherwise).
    """
    if actor is None or not actor.has_perm("kpi.add_qualityinspection"):
        raise NotPermitted(_("You may not record quality inspections."))
    if complaint is None and interaction is None:
        raise InvalidInput(
            _("Choose the complaint or interaction inspected."), field="complaint"
        )
    # Only what the inspector may see: a forged form cannot inspect elsewhere.
    scoping.require_visible(actor, complaint, field="complaint")
    scoping.require_visible(actor, interaction, field="interaction")
    scoping.require_visible(actor, staff, field="staff")
    staff = (
        staff
        or (complaint.assignee if complaint is not None else None)
        or (interaction.staff if interaction is not None else None)
    )
    if staff is None:
        raise InvalidInput(_("Choose the staff member inspected."), field="staff")
    missing = [i for i in QualityInspection.CHECKLIST if scores.get(i) is None]
    if missing:
        raise InvalidInput(
            _("Score every checklist item."), field=missing[0], code="missing_score"
        )
    for item in QualityInspection.CHECKLIST:
        value = scores[item]
        if not isinstance(value, int) or not 0 <= value <= QualityInspection.ITEM_MAX:
            raise InvalidInput(
                _("Each checklist item scores from 0 to 10."), field=item
            )
    inspection = QualityInspection(
        inspector=actor,
        staff=staff,
        complaint=complaint,
        interaction=interaction,
        inspected_at=inspected_at or timezone.now(),
        comments=comments,
        total=inspection_total(scores),
        **{item: scores[item] for item in QualityInspection.CHECKLIST},
    )
    inspection.full_clean()
    inspection.save()
    return inspection
