"""Factories and builders for KPI tests (import from here, not tests.factories)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from kpi.models import KpiPeriod, QualityInspection
from kpi.periods import period_for
from kpi.services.inspections import inspection_record


def local(*args) -> datetime:
    """An aware datetime in the project's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime(*args), timezone.get_current_timezone())


def month(year: int, month_no: int) -> KpiPeriod:
    return period_for(KpiPeriod.Kind.MONTH, datetime(year, month_no, 1).date())


def inspection(*, inspector, staff, at: datetime, score: int = 10, **overrides):
    """An inspection whose six items all score ``score`` unless overridden."""
    scores = dict.fromkeys(QualityInspection.CHECKLIST, score)
    scores.update(overrides)
    return inspection_record(
        actor=inspector, staff=staff, scores=scores, inspected_at=at, reference="TEST"
    )
