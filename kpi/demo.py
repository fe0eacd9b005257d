"""Demo data of the kpi app: quality inspections and 12 months of snapshots.

Called by ``manage.py seed_demo`` after crm, complaints and training. Inspections
are sampled deterministically from the demo complaints and interactions (about
one in twelve worked complaints, one in twenty interactions); a second run adds
none. The snapshots of the last 12 months, the current quarter and the current
year are then computed, so the KPI pages are full on first run (a second run
recomputes the current month only).
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from complaints.models import Complaint
from crm.models import Interaction
from crm.roles import Role
from kpi.models import KpiPeriod, QualityInspection
from kpi.periods import aware_range, last_months, period_for
from kpi.services.compute import kpi_compute_periods
from kpi.services.inspections import inspection_total

COMMENTS = [
    "",
    "",
    "开场白规范，语气亲切。",
    "解释清楚，但语速偏快。",
    "未主动致歉，需加强礼貌用语。",
    "耐心倾听客户诉求，处理及时。",
    "信息核对不完整，需复核单号。",
    "结束语规范，记录完整。",
]


def seed(ctx) -> None:
    started = time.monotonic()
    created = _seed_inspections(ctx)
    ctx.say(f"  kpi inspections: {created} created")
    today = timezone.localdate()
    periods = [
        period_for(KpiPeriod.Kind.MONTH, start)
        for _key, start, _end in last_months(today, 12)
    ]
    periods.append(period_for(KpiPeriod.Kind.QUARTER, today))
    periods.append(period_for(KpiPeriod.Kind.YEAR, today))
    current = periods[11]
    # A second run refreshes the current month only (the nightly job keeps the
    # rest fresh); periods never computed are computed now, in one pass.
    todo = [p for p in periods if p.computed_at is None or p.pk == current.pk]
    results = kpi_compute_periods(actor=None, periods=todo).results
    ctx.say(
        f"  kpi snapshots: {len(periods)} periods, {results} results "
        f"in {time.monotonic() - started:.1f}s"
    )


@transaction.atomic
def _seed_inspections(ctx) -> int:
    if QualityInspection.objects.exists():
        return 0  # idempotent: the demo's inspections are already there
    rng = random.Random(ctx.seed + 60)
    User = get_user_model()
    inspectors = list(
        User.objects.filter(groups__name=Role.QA_INSPECTOR, is_active=True).order_by(
            "pk"
        )
    )
    if not inspectors:
        return 0
    by_department = {}
    for inspector in inspectors:
        by_department.setdefault(inspector.department_id, inspector)
    start, _end = aware_range(
        period_for(KpiPeriod.Kind.MONTH, _months_ago(timezone.localdate(), 12))
    )
    rows: list[QualityInspection] = []
    complaints = (
        Complaint.objects.filter(
            received_at__gte=start,
            assignee__isnull=False,
            first_response_at__isnull=False,
        )
        .exclude(status=Complaint.Status.REJECTED)
        .order_by("pk")
        .values_list("pk", "assignee_id", "assignee__department_id", "received_at")
    )
    for pk, staff_id, dept_id, received_at in complaints:
        if rng.random() < 1 / 12:
            rows.append(
                _inspection(
                    rng,
                    by_department.get(dept_id, inspectors[0]),
                    staff_id,
                    received_at,
                    complaint_id=pk,
                )
            )
    interactions = (
        Interaction.objects.filter(occurred_at__gte=start, staff__isnull=False)
        .order_by("pk")
        .values_list("pk", "staff_id", "staff__department_id", "occurred_at")
    )
    for pk, staff_id, dept_id, occurred_at in interactions:
        if rng.random() < 1 / 20:
            rows.append(
                _inspection(
                    rng,
                    by_department.get(dept_id, inspectors[0]),
                    staff_id,
                    occurred_at,
                    interaction_id=pk,
                )
            )
    QualityInspection.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _inspection(rng, inspector, staff_id, at, **record) -> QualityInspection:
    # Most work is good; a few staff have a bad day.
    base = rng.choices([10, 9, 8, 7, 5], weights=[30, 35, 20, 10, 5])[0]
    scores = {
        item: max(0, min(10, base + rng.choice([-1, 0, 0, 0, 1])))
        for item in QualityInspection.CHECKLIST
    }
    inspected_at = min(at + timedelta(days=rng.randint(1, 5)), timezone.now())
    return QualityInspection(
        inspector=inspector,
        staff_id=staff_id,
        inspected_at=inspected_at,
        total=inspection_total(scores),
        comments=rng.choice(COMMENTS),
        **scores,
        **record,
    )


def _months_ago(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)
