"""Quality inspections (质检): an inspector scores a complaint or interaction."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import InvalidInput, NotPermitted
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
    staff,
    scores: dict[str, int],
    reference: str = "",
    comments: str = "",
    inspected_at: datetime | None = None,
    **records,
) -> QualityInspection:
    """Record one inspection; ``scores`` has every checklist item, each 0–10.

    ``records`` may name the inspected ``complaint`` or ``interaction`` (once
    those models exist). The total is computed here, never typed in.
    """
    if actor is not None and not actor.has_perm("kpi.add_qualityinspection"):
        raise NotPermitted(_("You may not record quality inspections."))
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
        complaint_reference=reference,
        inspected_at=inspected_at or timezone.now(),
        comments=comments,
        total=inspection_total(scores),
        **{item: scores[item] for item in QualityInspection.CHECKLIST},
        **records,
    )
    inspection.full_clean()
    inspection.save()
    return inspection
