"""seed_demo fills the KPI pages; the nightly task recomputes two months."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from crm.models import Notification
from kpi.models import (
    AuditFinding,
    AuditPlan,
    InspectionSample,
    KpiPeriod,
    KpiResult,
    QualityInspection,
    SamplingPlan,
    ScorecardResult,
    ServiceAudit,
)
from kpi.services import kpi_compute_recent_months
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
    # service-standard audits: last quarter's reported (a major finding with its
    # CAPA), this quarter's open; last month's pack announced to each manager
    reported = ServiceAudit.objects.filter(status=ServiceAudit.Status.REPORTED)
    assert reported.count() == AuditPlan.objects.count() >= 1
    major = AuditFinding.objects.get(audit=reported.first(), severity="major")
    assert major.capa is not None
    assert ServiceAudit.objects.filter(status=ServiceAudit.Status.OPEN).count() == (
        AuditPlan.objects.count()
    )
    packs = Notification.objects.filter(kind="kpi_monthly_report").count()
    assert packs >= 1
    _last_months_pack_is_attached_for_each_manager()
    _capas_in_every_state()
    _training_effectiveness_has_a_value()
    # 质检 sampling: a monthly plan per team; qa01 (华东) has a queue
    assert SamplingPlan.objects.count() == 4
    queue = InspectionSample.objects.filter(inspector__username="qa01")
    assert queue.filter(inspection__isnull=True).exists()
    counts = (
        InspectionSample.objects.count(),
        KpiResult.objects.count(),
        ScorecardResult.objects.count(),
        QualityInspection.objects.count(),
        ServiceAudit.objects.count(),
        AuditFinding.objects.count(),
        packs,
    )
    _seed()
    assert (
        InspectionSample.objects.count(),
        KpiResult.objects.count(),
        ScorecardResult.objects.count(),
        QualityInspection.objects.count(),
        ServiceAudit.objects.count(),
        AuditFinding.objects.count(),
        Notification.objects.filter(kind="kpi_monthly_report").count(),
    ) == counts


def _last_months_pack_is_attached_for_each_manager():
    """The reporting pack of last month: one notification per manager, the
    workbook of their department attached to its e-mail."""
    import io

    from openpyxl import load_workbook

    from crm.models import NotificationAttachment
    from kpi.reports import last_complete_month
    from kpi.selectors import report_recipients

    key, _first = last_complete_month()
    managers = list(report_recipients())
    assert managers
    for manager in managers:
        note = Notification.objects.get(key=f"kpi:report:{key}:{manager.pk}")
        (attachment,) = NotificationAttachment.objects.filter(notification=note)
        assert attachment.filename.endswith(".xlsx")
        sheet = load_workbook(io.BytesIO(bytes(attachment.content)))["指标"]
        assert next(sheet.iter_rows(values_only=True))[0] == (
            f"{manager.department.name} · {key}"
        )


def _capas_in_every_state():
    """Every state of a CAPA, each reached through the services."""
    from complaints.models import CorrectiveAction

    states = set(CorrectiveAction.objects.values_list("status", flat=True))
    assert states >= set(CorrectiveAction.Status.values)
    cancelled = CorrectiveAction.objects.get(status="cancelled")
    assert cancelled.events.filter(kind="cancelled").get().note
    verified = CorrectiveAction.objects.get(status="verified")
    assert verified.verified_by_id and verified.completed_at
    assert CorrectiveAction.objects.get(status="ineffective").verification_note


def _training_effectiveness_has_a_value():
    """Paired knowledge tests (before the course, right after it) give the
    departments a training effectiveness for last month: a gain in points."""
    from kpi.reports import last_complete_month

    key, _first = last_complete_month()
    values = list(
        KpiResult.objects.filter(
            indicator__code="training_effectiveness",
            period__key=key,
            subject_type="department",
        ).values_list("value", "denominator")
    )
    assert values and all(v is not None and n > 0 for v, n in values)
    assert sum(v for v, _n in values) / len(values) > 5


@pytest.mark.usefixtures("local_day_edge")  # also at 23:30 UTC = 07:30 CST
def _quarter(day):
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def test_nightly_task_computes_months_quarters_and_years(org):
    keys = compute_snapshots()
    today = timezone.localdate()
    previous = today.replace(day=1) - timedelta(days=1)
    quarters = list(dict.fromkeys([_quarter(today), _quarter(previous)]))
    years = list(dict.fromkeys([str(today.year), str(previous.year)]))
    assert keys == [
        today.strftime("%Y-%m"),
        previous.strftime("%Y-%m"),
        *quarters,
        *years,
    ]
    assert set(
        KpiPeriod.objects.filter(computed_at__isnull=False).values_list(
            "kind", flat=True
        )
    ) == {KpiPeriod.Kind.MONTH, KpiPeriod.Kind.QUARTER, KpiPeriod.Kind.YEAR}
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


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        # mid-quarter: one quarter, one year
        (date(2026, 11, 20), ["2026-11", "2026-10", "2026-Q4", "2026"]),
        # first month of a quarter: last month still counts in the previous one
        (date(2026, 10, 3), ["2026-10", "2026-09", "2026-Q4", "2026-Q3", "2026"]),
        # New Year: last December still counts in last year's quarter and year
        (
            date(2027, 1, 2),
            ["2027-01", "2026-12", "2027-Q1", "2026-Q4", "2027", "2026"],
        ),
    ],
)
def test_nightly_periods_follow_the_months_they_cover(org, today, expected):
    keys = kpi_compute_recent_months(today=today)
    assert keys == expected
    computed = KpiPeriod.objects.filter(computed_at__isnull=False)
    assert sorted(computed.values_list("key", flat=True)) == sorted(expected)
    quarter = computed.get(key=expected[2])
    assert quarter.kind == KpiPeriod.Kind.QUARTER
    assert (quarter.end.year * 12 + quarter.end.month) - (
        quarter.start.year * 12 + quarter.start.month
    ) == 3
    # every period has its results (one per active indicator and subject)
    assert KpiResult.objects.filter(period=quarter).exists()
    assert KpiResult.objects.filter(period__key=expected[-1]).exists()


def test_seed_demo_inspections_are_capped_per_staff_and_month_and_batched(
    monkeypatch,
):
    """At a million complaints the draw must not grow with the table: at most
    INSPECTIONS_PER_STAFF_MONTH per staff member, month and kind of record, each
    with one score per checklist item, written in bounded batches."""
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from kpi import demo

    batches = []
    write = demo._write_inspections

    def counting(rows):
        batches.append(len(rows))
        return write(rows)

    monkeypatch.setattr(demo, "INSPECTIONS_PER_STAFF_MONTH", 2)
    monkeypatch.setattr(demo, "INSPECTION_BATCH", 5)
    monkeypatch.setattr(demo, "_write_inspections", counting)
    call_command("seed_demo", stdout=StringIO(), customers=30, complaints=400)

    inspections = QualityInspection.objects.all()
    assert inspections.count() == sum(batches) > 5
    assert max(batches) <= 5 and len(batches) >= 2
    per_month = (
        inspections.filter(complaint__isnull=False)
        .annotate(month=TruncMonth("complaint__received_at"))
        .values("staff_id", "month")
        .annotate(n=Count("pk"))
    )
    assert per_month and max(row["n"] for row in per_month) <= 2
    for inspection in inspections.prefetch_related("scores", "checklist__items"):
        assert inspection.scores.count() == inspection.checklist.items.count() > 0


def test_seed_demo_asks_the_complaints_demo_to_start_the_kpi_rollups(monkeypatch):
    """``kpi.demo.prepare`` registers the early rollup build as a hook of the
    complaints demo, which calls it after a large bulk load."""
    from complaints import demo as complaints_demo
    from kpi import demo as kpi_demo

    calls = []
    monkeypatch.setattr(kpi_demo, "prebuild_rollups", lambda ctx: calls.append(ctx))
    monkeypatch.setattr(complaints_demo, "PARALLEL_FROM", 10)
    monkeypatch.setattr(complaints_demo, "SERVICE_LIMIT", 0)  # all in the bulk
    out = StringIO()
    call_command(
        "seed_demo", stdout=out, customers=20, complaints=40, skip=["training"]
    )
    assert len(calls) == 1  # once, after the bulk, before the complaints' end
    assert calls[0].shared["after_complaints_bulk"] == [kpi_demo.prebuild_rollups]
    assert "kpi snapshots" in out.getvalue()


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="built in a thread on its own connection: PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_kpi_rollups_built_early_in_a_thread_are_waited_for():
    """The early build runs ``rollups.refresh`` for the demo's periods on the
    thread's own connection (committed); the KPI step waits for it and says
    so; what it built is what a computation would read."""
    import random

    from crm import demo as crm_demo
    from kpi import demo as kpi_demo
    from kpi.models import RollupDay, RollupHour
    from kpi.services import rollups

    out = StringIO()
    ctx = crm_demo.DemoContext(
        seed=3, rng=random.Random(3), customers=5, complaints=0, stdout=out
    )
    kpi_demo.prebuild_rollups(ctx)
    assert "kpi_prebuild" in ctx.shared
    kpi_demo._wait_for_prebuild(ctx)
    assert "kpi rollups built during the earlier steps" in out.getvalue()
    assert "kpi_prebuild" not in ctx.shared
    year_start = min(
        kpi_demo.aware_range(p)[0] for p in kpi_demo._periods(timezone.localdate())
    )
    sources = set(rollups.ROLLUPS)
    assert set(RollupHour.objects.values_list("source", flat=True)) == sources
    assert RollupHour.objects.filter(hour=year_start).count() == len(sources)
    assert RollupDay.objects.filter(start=year_start).count() == len(sources)
    # nothing left for the computation to build
    summary = rollups.refresh(start=year_start, end=timezone.now())
    assert summary.hours <= len(sources) and summary.days <= len(sources)
