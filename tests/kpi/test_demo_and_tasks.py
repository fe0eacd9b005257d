"""seed_demo fills the KPI pages; the nightly task recomputes two months."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from kpi.models import KpiPeriod, KpiResult, QualityInspection, ScorecardResult
from kpi.tasks import compute_period, compute_snapshots

pytestmark = pytest.mark.django_db


def _seed():
    out = StringIO()
    call_command("seed_demo", stdout=out, customers=30, complaints=60)
    return out.getvalue()


def test_seed_demo_computes_the_last_12_months_idempotently():
    output = _seed()
    assert "kpi snapshots" in output
    months = KpiPeriod.objects.filter(kind="month", computed_at__isnull=False)
    assert months.count() == 12
    assert months.order_by("-start").first().key == timezone.localdate().strftime(
        "%Y-%m"
    )
    assert ScorecardResult.objects.exists()
    counts = (
        KpiResult.objects.count(),
        ScorecardResult.objects.count(),
        QualityInspection.objects.count(),
    )
    _seed()
    assert (
        KpiResult.objects.count(),
        ScorecardResult.objects.count(),
        QualityInspection.objects.count(),
    ) == counts


@pytest.mark.usefixtures("local_day_edge")  # also at 23:30 UTC = 07:30 CST
def test_nightly_task_computes_current_and_previous_month(org):
    keys = compute_snapshots()
    today = timezone.localdate()
    previous = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert keys == [today.strftime("%Y-%m"), previous]
    assert set(
        KpiPeriod.objects.filter(computed_at__isnull=False).values_list(
            "key", flat=True
        )
    ) == set(keys)
    count = KpiResult.objects.count()
    compute_snapshots()  # safe to run twice
    assert KpiResult.objects.count() == count
    compute_period(period_id=999999)  # a missing period is skipped


def test_beat_schedules_the_nightly_task(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "kpi.compute_snapshots" in tasks
