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
import threading
import time
from datetime import date, timedelta
from itertools import chain

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from complaints.models import Complaint
from crm.models import Department, Interaction, Team
from crm.roles import Role
from kpi.models import (
    AuditFinding,
    AuditPlan,
    Checklist,
    InspectionScore,
    KpiPeriod,
    QualityInspection,
    SamplingPlan,
    ServiceAudit,
)
from kpi.periods import aware_range, last_months, period_for
from kpi.services import rollups
from kpi.services.audits import (
    audit_add_finding,
    audit_raise_capa,
    audit_report,
    audit_start,
    audits_open_due,
)
from kpi.services.checklists import checklist_active
from kpi.services.compute import kpi_compute_periods
from kpi.services.inspections import inspection_total, item_passes
from kpi.services.reports import kpi_send_monthly_reports
from kpi.services.sampling import sampling_draw

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


def prepare(ctx) -> None:
    """Before the apps' seeds run (``seed_demo``): ask the complaints demo to
    start building the KPI rollups right after a large bulk load
    (``prebuild_rollups``)."""
    ctx.shared.setdefault("after_complaints_bulk", []).append(prebuild_rollups)


def _periods(today: date) -> list[KpiPeriod]:
    """The periods the demo computes: the last 12 months, the current quarter
    and year."""
    periods = [
        period_for(KpiPeriod.Kind.MONTH, start)
        for _key, start, _end in last_months(today, 12)
    ]
    periods.append(period_for(KpiPeriod.Kind.QUARTER, today))
    periods.append(period_for(KpiPeriod.Kind.YEAR, today))
    return periods


def prebuild_rollups(ctx) -> None:
    """PostgreSQL: roll up the hours the snapshots will read (a first build at
    a million complaints is about a minute) in a thread, on its own
    connection, while the seed goes on with the revisits, the services and
    training; ``seed`` waits for it. The refresh is the one a computation runs
    (its lock, its change marks): what the later steps change is marked and
    refreshed by the computation. A failure only costs time: the computation
    builds what is missing."""
    if connection.vendor != "postgresql":
        return
    periods = _periods(timezone.localdate())
    start = min(aware_range(period)[0] for period in periods)
    outcome: dict = {}

    def build():
        try:
            outcome["summary"] = rollups.refresh(start=start, end=timezone.now())
        except Exception as exc:  # reported by seed(), which goes on without it
            outcome["error"] = exc
        finally:
            connection.close()  # this thread's own

    thread = threading.Thread(target=build, name="kpi-rollups-prebuild", daemon=True)
    thread.start()
    ctx.shared["kpi_prebuild"] = (thread, outcome)


def _wait_for_prebuild(ctx) -> None:
    prebuild = ctx.shared.pop("kpi_prebuild", None)
    if prebuild is None:
        return
    thread, outcome = prebuild
    waited = time.monotonic()
    thread.join()
    if "error" in outcome:
        ctx.say(f"  kpi rollups: the early build failed ({outcome['error']!r})")
    else:
        summary = outcome["summary"]
        ctx.say(
            f"  kpi rollups built during the earlier steps: {summary.hours} hours, "
            f"{summary.days} days in {summary.seconds:.1f}s "
            f"(waited {time.monotonic() - waited:.1f}s)"
        )


def seed(ctx) -> None:
    started = time.monotonic()
    created = _seed_inspections(ctx)
    ctx.say(f"  kpi inspections: {created} created")
    _wait_for_prebuild(ctx)
    if connection.vendor == "postgresql":
        # The snapshots below aggregate what the earlier steps bulk-loaded:
        # plan them on fresh statistics (autovacuum's come minutes later).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    today = timezone.localdate()
    periods = _periods(today)
    current = periods[11]
    # A second run refreshes the current month only (the nightly job keeps the
    # rest fresh); periods never computed are computed now, in one pass.
    todo = [p for p in periods if p.computed_at is None or p.pk == current.pk]
    results = kpi_compute_periods(actor=None, periods=todo).results
    ctx.say(
        f"  kpi snapshots: {len(periods)} periods, {results} results "
        f"in {time.monotonic() - started:.1f}s"
    )
    ctx.say(f"  kpi audits: {_seed_audits()} plans created")
    ctx.say(f"  kpi sampling: {_seed_sampling()} complaints in the QA queues")
    # last month's reporting pack, announced to each manager (once: keyed)
    ctx.say(f"  kpi monthly packs: {kpi_send_monthly_reports(today=today)} announced")


def _seed_sampling() -> int:
    """Per team: a monthly plan of 5 % (at least 2) per agent, inspected by its
    department's QA inspectors (qa01 in 华东); last month's and this month's
    draws fill their queues. Idempotent (the draw is)."""
    User = get_user_model()
    today = timezone.localdate()
    checklist = checklist_active(kind=Checklist.Kind.CALL)
    drawn = 0
    for team in Team.objects.select_related("department").order_by("code"):
        inspectors = User.objects.filter(
            department=team.department_id,
            groups__name=Role.QA_INSPECTOR,
            is_active=True,
        )
        if checklist is None or not inspectors.exists():
            continue
        plan, made = SamplingPlan.objects.get_or_create(
            name=f"{team.name}月度抽检",
            defaults={"team": team, "checklist": checklist},
        )
        if made:
            plan.inspectors.set(inspectors)
        for day in (today.replace(day=1), today):
            drawn += sampling_draw(plan=plan, day=day)
    return drawn


# The service standard's items a quarterly audit checks (from the seeds' wording).
AUDIT_CHECKLIST = """接听电话三声内应答，使用标准问候语
投诉受理后 30 分钟内首次响应
投诉 48 小时内答复客户（目标 4 小时内）
答复包含感谢、解决方案与后续跟进
解决后 24 小时内确认客户结果并回访
服装整洁、工牌佩戴规范
服务环境整洁、标识清楚
客户信息按隐私规定最小化收集与保管"""


def _seed_audits() -> int:
    """Per department: a quarterly plan; last quarter's audit reported with
    findings (a major one with its CAPA), this quarter's opened. Idempotent."""
    User = get_user_model()
    created = 0
    today = timezone.localdate()
    last_quarter_day = date(
        today.year, ((today.month - 1) // 3) * 3 + 1, 1
    ) - timedelta(days=1)
    for department in Department.objects.order_by("code"):
        staff = User.objects.filter(department=department, is_active=True)
        qa = staff.filter(groups__name=Role.QA_INSPECTOR).order_by("pk").first()
        manager = staff.filter(groups__name=Role.MANAGER).order_by("pk").first()
        supervisor = staff.filter(groups__name=Role.SUPERVISOR).order_by("pk").first()
        if qa is None or manager is None or supervisor is None:
            continue
        plan, made = AuditPlan.objects.get_or_create(
            name=f"{department.name}服务标准季度审核",
            defaults={
                "department": department,
                "cadence": AuditPlan.Cadence.QUARTERLY,
                "auditor": qa,
                "checklist": AUDIT_CHECKLIST,
            },
        )
        if not made:
            continue
        created += 1
        audits_open_due(today=last_quarter_day)
        audit = ServiceAudit.objects.get(
            plan=plan,
            period_start__lte=last_quarter_day,
            period_end__gt=last_quarter_day,
        )
        audit = audit_start(actor=qa, audit=audit)
        items = audit.checklist_items()
        audit_add_finding(
            actor=qa,
            audit=audit,
            item=items[0],
            severity=AuditFinding.Severity.MINOR,
            description="抽听 30 通电话，4 通未使用标准问候语。",
        )
        major = audit_add_finding(
            actor=qa,
            audit=audit,
            item=items[2],
            severity=AuditFinding.Severity.MAJOR,
            description="本季度 6 件投诉超过 48 小时才答复客户。",
        )
        audit_add_finding(
            actor=qa,
            audit=audit,
            item=items[5],
            severity=AuditFinding.Severity.MINOR,
            description="两名员工未佩戴工牌。",
        )
        audit_raise_capa(
            actor=manager,
            finding=major,
            owner=supervisor,
            due_date=today + timedelta(days=30),
            action="主管每日早会检查待答复投诉，超过 24 小时未答复的升级处理。",
        )
        audit_report(
            actor=qa,
            audit=audit,
            summary="总体符合服务标准；答复时效为主要不符合项，已提出纠正措施。",
        )
    audits_open_due(today=today)  # this quarter's audits, still to do
    return created


# A QA team inspects a handful of each agent's complaints a month, not a share
# of a million: past this many per staff member and month, the draw stops.
INSPECTIONS_PER_STAFF_MONTH = 12
# Inspections written per batch (with their item scores): memory stays bounded
# whatever the number of complaints.
INSPECTION_BATCH = 2000


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
    checklist = checklist_active(kind=Checklist.Kind.CALL)
    if not inspectors or checklist is None:
        return 0
    items = list(checklist.items.order_by("position", "pk"))
    by_department = {}
    for inspector in inspectors:
        by_department.setdefault(inspector.department_id, inspector)
    start, _end = aware_range(
        period_for(KpiPeriod.Kind.MONTH, _months_ago(timezone.localdate(), 12))
    )
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
    interactions = (
        Interaction.objects.filter(occurred_at__gte=start, staff__isnull=False)
        .order_by("pk")
        .values_list("pk", "staff_id", "staff__department_id", "occurred_at")
    )
    tz = timezone.get_current_timezone()
    drawn: dict[tuple, int] = {}
    created = 0
    batch: list = []

    def draws(rows, rate, record):
        for pk, staff_id, dept_id, at in rows:
            if rng.random() >= rate:
                continue
            month = at.astimezone(tz).strftime("%Y-%m")
            key = (record, staff_id, month)
            if drawn.get(key, 0) >= INSPECTIONS_PER_STAFF_MONTH:
                continue
            drawn[key] = drawn.get(key, 0) + 1
            yield _inspection(
                rng,
                checklist,
                items,
                by_department.get(dept_id, inspectors[0]),
                staff_id,
                at,
                **{record: pk},
            )

    for row in chain(
        draws(complaints.iterator(chunk_size=5000), 1 / 12, "complaint_id"),
        draws(interactions.iterator(chunk_size=5000), 1 / 20, "interaction_id"),
    ):
        batch.append(row)
        if len(batch) >= INSPECTION_BATCH:
            created += _write_inspections(batch)
            batch = []
    return created + _write_inspections(batch)


@transaction.atomic
def _write_inspections(rows: list) -> int:
    """One batch: the inspections, then their item scores (bulk, as history)."""
    inspections = QualityInspection.objects.bulk_create(
        [inspection for inspection, _values in rows], batch_size=INSPECTION_BATCH
    )
    InspectionScore.objects.bulk_create(
        [
            InspectionScore(inspection=inspection, item=item, score=score, passed=ok)
            for inspection, (_i, scores) in zip(inspections, rows, strict=True)
            for item, score, ok in scores
        ],
        batch_size=6000,
    )
    return len(rows)


def _inspection(rng, checklist, items, inspector, staff_id, at, **record):
    """An unsaved inspection on the call checklist and its item scores
    ``[(item, score, passed)]`` (set in bulk, as history: no coaching is raised
    for the demo's past)."""
    # Most work is good; a few staff have a bad day.
    base = rng.choices([10, 9, 8, 7, 5], weights=[30, 35, 20, 10, 5])[0]
    values = {
        item.code: max(0, min(item.max_score, base + rng.choice([-1, 0, 0, 0, 1])))
        for item in items
    }
    results = {item.code: item_passes(item, values[item.code]) for item in items}
    total = inspection_total(items, values)
    inspected_at = min(at + timedelta(days=rng.randint(1, 5)), timezone.now())
    inspection = QualityInspection(
        checklist=checklist,
        inspector=inspector,
        staff_id=staff_id,
        inspected_at=inspected_at,
        total=total,
        passed=all(results.values()) and total >= checklist.pass_mark,
        comments=rng.choice(COMMENTS),
        **record,
    )
    return inspection, [(item, values[item.code], results[item.code]) for item in items]


def _months_ago(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)
