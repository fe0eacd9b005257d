#!/usr/bin/env python
"""KPI computation benchmark on PostgreSQL (not a test).

Seeds (once, reused on later runs) 1,000,000 complaints over the last 12 months,
500 agents in 25 teams, two SLA targets per complaint, 200,000 answered surveys,
100,000 revisits and 20,000 quality inspections with set-based SQL
(``generate_series``), then times:

* the snapshot of one month (all indicators × all staff, teams, departments),
* a full year's recompute (the 12 monthly snapshots),
* the equivalent hand-written SQL of the main complaint indicators against the
  ORM's queries for the same sources (ratio; goal ≤ 2×),
* optionally (``--indexes``) the same after adding the two indexes the KPI ranges
  want on complaints' tables (``first_resolved_at`` and ``slatarget.due_at``).

Run it against a scratch database (it is filled with benchmark rows):

    createdb -h 127.0.0.1 -U postgres kefu_kpi_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu_kpi_bench \\
        .venv/bin/python bench/kpi_benchmark.py [--indexes] [--reseed]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")  # no query log in memory

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from crm.models import Customer, Department, Team, User  # noqa: E402
from kpi.measures import MEASURES  # noqa: E402
from kpi.models import KpiPeriod, KpiResult  # noqa: E402
from kpi.periods import aware_range, last_months, period_for  # noqa: E402
from kpi.services.compute import (  # noqa: E402
    grouped_partials,
    kpi_compute_period,
    kpi_compute_periods,
    window_for,
)

BENCH_PREFIX = "bench"


def fill_defaults(table: str, explicit: dict[str, str]) -> tuple[str, str]:
    """Column list and SELECT expressions: ``explicit`` plus a neutral value for
    every other NOT NULL column without a database default (Django keeps
    defaults in Python, so set-based inserts must name them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT column_name, data_type, is_nullable, column_default, is_identity
            FROM information_schema.columns WHERE table_name = %s
            ORDER BY ordinal_position
            """,
            [table],
        )
        columns = cursor.fetchall()
    names, exprs = [], []
    for name, data_type, nullable, default, identity in columns:
        if identity == "YES":
            continue
        if name in explicit:
            names.append(name)
            exprs.append(explicit[name])
        elif nullable == "NO" and default is None:
            neutral = {
                "character varying": "''",
                "text": "''",
                "integer": "0",
                "smallint": "0",
                "bigint": "0",
                "boolean": "false",
                "jsonb": "'{}'::jsonb",
                "numeric": "0",
                "timestamp with time zone": "now()",
                "date": "current_date",
            }.get(data_type)
            if neutral is None:
                raise SystemExit(f"no neutral value for {table}.{name} ({data_type})")
            names.append(name)
            exprs.append(neutral)
    return ", ".join(f'"{n}"' for n in names), ", ".join(exprs)


def seed(args) -> None:
    Complaint = apps.get_model("complaints", "Complaint")
    if Complaint.objects.filter(reference__startswith="TB").count() >= args.complaints:
        print(f"seed: reusing {args.complaints:,} benchmark complaints")
        return
    started = time.perf_counter()
    with transaction.atomic():
        agent = Group.objects.get(name="agent")
        departments = [
            Department.objects.get_or_create(
                code=f"{BENCH_PREFIX}-d{n}", defaults={"name": f"压测中心{n}"}
            )[0]
            for n in range(5)
        ]
        teams = [
            Team.objects.get_or_create(
                code=f"{BENCH_PREFIX}-t{n}",
                defaults={"name": f"压测组{n}", "department": departments[n % 5]},
            )[0]
            for n in range(25)
        ]
        existing = set(
            User.objects.filter(username__startswith="bench-").values_list(
                "username", flat=True
            )
        )
        new_users = [
            User(
                username=f"bench-{n:04d}",
                name=f"压测员工{n}",
                team=teams[n % 25],
                department=teams[n % 25].department,
                is_staff=True,
            )
            for n in range(args.staff)
            if f"bench-{n:04d}" not in existing
        ]
        User.objects.bulk_create(new_users, batch_size=1000)
        staff = list(
            User.objects.filter(username__startswith="bench-")
            .order_by("username")
            .values_list("pk", "team_id", "department_id")
        )
        membership = User.groups.through
        membership.objects.filter(user_id__in=[s[0] for s in staff]).delete()
        membership.objects.bulk_create(
            membership(user_id=pk, group_id=agent.pk) for pk, _t, _d in staff
        )
        if Customer.objects.filter(code__startswith="BC").count() < 2000:
            Customer.objects.bulk_create(
                Customer(code=f"BC{n:06d}", name=f"压测客户{n}") for n in range(2000)
            )
        customer_ids = list(
            Customer.objects.filter(code__startswith="BC").values_list("pk", flat=True)
        )
        categories = list(
            apps.get_model("complaints", "Category")
            .objects.filter(parent__isnull=True)
            .order_by("code")
            .values_list("pk", flat=True)
        )
        Complaint.objects.filter(reference__startswith="TB").delete()
    print(f"seed: staff and customers in {time.perf_counter() - started:.1f}s")

    arrays = {
        "staff": ",".join(str(s[0]) for s in staff),
        "teams": ",".join(str(s[1]) for s in staff),
        "depts": ",".join(str(s[2]) for s in staff),
        "customers": ",".join(str(c) for c in customer_ids),
        "categories": ",".join(str(c) for c in categories),
    }
    n_staff, n_customers, n_categories = len(staff), len(customer_ids), len(categories)
    step = time.perf_counter()
    complaint_cols = {
        "reference": "'TB' || lpad(g::text, 10, '0')",
        "customer_id": f"(ARRAY[{arrays['customers']}])[1 + (g * 7919) % {n_customers}]",
        "channel": "(ARRAY['phone','phone','phone','online','online','onsite','email',"
        "'social','letter','api'])[1 + (g % 10)]",
        "category_id": f"(ARRAY[{arrays['categories']}])[1 + (g * 31) % {n_categories}]",
        "severity": "(ARRAY['normal','normal','normal','high','urgent','low'])[1 + g % 6]",
        "subject": "'快件延误'",
        "description": "'压测数据'",
        "status": "CASE WHEN r.x < 0.70 THEN 'closed' WHEN r.x < 0.85 THEN 'resolved' "
        "WHEN r.x < 0.90 THEN 'handling' WHEN r.x < 0.93 THEN 'on_hold' "
        "WHEN r.x < 0.97 THEN 'received' ELSE 'rejected' END",
        "assignee_id": f"(ARRAY[{arrays['staff']}])[1 + g % {n_staff}]",
        "team_id": f"(ARRAY[{arrays['teams']}])[1 + g % {n_staff}]",
        "department_id": f"(ARRAY[{arrays['depts']}])[1 + g % {n_staff}]",
        "attributed_staff_id": f"CASE WHEN r.y < 0.05 THEN (ARRAY[{arrays['staff']}])"
        f"[1 + g % {n_staff}] END",
        "received_at": "r.received",
        "created_at": "r.received",
        "updated_at": "r.received",
        "first_response_due_at": "r.received + interval '30 minutes'",
        "first_response_at": "CASE WHEN r.x < 0.97 THEN r.received + "
        "make_interval(mins => (r.y * 45)::int) END",
        "first_response_minutes": "CASE WHEN r.x < 0.97 THEN (r.y * 45)::int END",
        "resolution_due_at": "r.received + interval '48 hours'",
        "first_resolved_at": "CASE WHEN r.x < 0.85 THEN r.received + "
        "make_interval(mins => (r.z * 4320)::int) END",
        "resolved_at": "CASE WHEN r.x < 0.85 THEN r.received + "
        "make_interval(mins => (r.z * 4320)::int) END",
        "resolution_minutes": "CASE WHEN r.x < 0.85 THEN (r.z * 4320)::int END",
        "reopened_count": "CASE WHEN r.x < 0.85 AND r.z < 0.05 THEN 1 ELSE 0 END",
        "version": "1",
    }
    names, exprs = fill_defaults(Complaint._meta.db_table, complaint_cols)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            f"""
            INSERT INTO {Complaint._meta.db_table} ({names})
            SELECT {exprs}
            FROM generate_series(1::bigint, {int(args.complaints)}) AS g
            CROSS JOIN LATERAL (
                SELECT random() + g * 0 AS x, random() + g * 0 AS y,
                       random() + g * 0 AS z,
                       now() - (random() + g * 0) * interval '365 days' AS received
            ) AS r
            -- rows arrive in time order, as real complaints do (the heap then
            -- correlates with received_at, like a production table)
            ORDER BY r.received
            """
        )
    print(f"seed: {args.complaints:,} complaints in {time.perf_counter() - step:.1f}s")

    step = time.perf_counter()
    SlaTarget = apps.get_model("complaints", "SlaTarget")
    target_cols = {
        "complaint_id": "c.id",
        "kind": "k.kind",
        "cycle": "1",
        "started_at": "c.received_at",
        "target_minutes": "k.minutes",
        "due_at": "c.received_at + make_interval(mins => k.minutes)",
        "met_at": "CASE WHEN k.kind = 'first_response' THEN c.first_response_at "
        "ELSE c.first_resolved_at END",
    }
    names, exprs = fill_defaults(SlaTarget._meta.db_table, target_cols)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {SlaTarget._meta.db_table} ({names})
            SELECT {exprs}
            FROM {Complaint._meta.db_table} c
            CROSS JOIN (VALUES ('first_response', 30), ('resolution', 2880))
                AS k(kind, minutes)
            WHERE c.reference LIKE 'TB%%'
            ORDER BY c.id, k.minutes
            """
        )
    print(f"seed: SLA targets in {time.perf_counter() - step:.1f}s")

    step = time.perf_counter()
    Survey = apps.get_model("complaints", "SatisfactionSurvey")
    survey_cols = {
        "complaint_id": "c.id",
        "customer_id": "c.customer_id",
        "cycle": "1",
        "csat": "1 + (c.id * 7) % 5",
        "nps": "(c.id * 3) % 11",
        "answered_at": "c.first_resolved_at + interval '1 day'",
        "created_at": "c.first_resolved_at",
    }
    names, exprs = fill_defaults(Survey._meta.db_table, survey_cols)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Survey._meta.db_table} ({names})
            SELECT {exprs} FROM {Complaint._meta.db_table} c
            WHERE c.reference LIKE 'TB%%' AND c.first_resolved_at IS NOT NULL
            ORDER BY c.id LIMIT {int(args.surveys)}
            """
        )
    print(f"seed: {args.surveys:,} surveys in {time.perf_counter() - step:.1f}s")

    step = time.perf_counter()
    Revisit = apps.get_model("crm", "Revisit")
    revisit_cols = {
        "customer_id": f"(ARRAY[{arrays['customers']}])[1 + g % {n_customers}]",
        "purpose": "'confirmation'",
        "method": "'phone'",
        "due_at": "now() - (g % 365) * interval '1 day'",
        "assignee_id": f"(ARRAY[{arrays['staff']}])[1 + g % {n_staff}]",
        "status": "CASE WHEN g % 10 < 8 THEN 'done' WHEN g % 10 = 8 THEN 'missed' "
        "ELSE 'planned' END",
        "done_at": "CASE WHEN g % 10 < 8 THEN now() - (g % 365) * interval '1 day' "
        "+ (g % 3 - 1) * interval '2 hours' END",
        "key": "'bench:' || g",
        "created_at": "now()",
        "updated_at": "now()",
    }
    names, exprs = fill_defaults(Revisit._meta.db_table, revisit_cols)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Revisit._meta.db_table} WHERE key LIKE 'bench:%%'"
        )
        cursor.execute(
            f"INSERT INTO {Revisit._meta.db_table} ({names}) SELECT {exprs} "
            "FROM generate_series(1, 100000) g"
        )
    Inspection = apps.get_model("kpi", "QualityInspection")
    call = (
        apps.get_model("kpi", "Checklist")
        .objects.filter(kind="call", is_active=True)
        .order_by("code")
        .first()
    )
    inspection_cols = {
        "inspector_id": f"(ARRAY[{arrays['staff']}])[1]",
        "staff_id": "c.assignee_id",
        "complaint_id": "c.id",
        "inspected_at": "c.received_at + interval '2 days'",
        "checklist_id": str(call.pk),  # totals only: the indicators read them
        "total": "(7 + c.id % 4) * 10",
        "passed": "true",
        "created_at": "now()",
    }
    names, exprs = fill_defaults(Inspection._meta.db_table, inspection_cols)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Inspection._meta.db_table} ({names}) SELECT {exprs} "
            f"FROM {Complaint._meta.db_table} c WHERE c.reference LIKE 'TB%%' "
            "AND c.id % 50 = 0"
        )
        cursor.execute("ANALYZE")
    print(f"seed: revisits and inspections in {time.perf_counter() - step:.1f}s")
    print(f"seed: total {time.perf_counter() - started:.1f}s")


# Hand-written SQL of the main complaint indicators: the same three grouped
# passes the ORM makes (received cohort, first-resolved cohort, SLA targets due).
HAND_SQL = [
    """
    SELECT assignee_id, team_id, department_id,
        SUM(first_response_minutes) FILTER (WHERE first_response_minutes IS NOT NULL),
        COUNT(first_response_minutes),
        COUNT(*) FILTER (WHERE first_response_due_at IS NOT NULL
            AND (first_response_at IS NOT NULL
                 OR (first_response_due_at < %(now)s AND status <> 'on_hold'))
            AND first_response_at <= first_response_due_at),
        COUNT(*) FILTER (WHERE first_response_due_at IS NOT NULL
            AND (first_response_at IS NOT NULL
                 OR (first_response_due_at < %(now)s AND status <> 'on_hold'))),
        COUNT(*) FILTER (WHERE status IN ('resolved', 'closed') AND reopened_count = 0),
        COUNT(*)
    FROM complaints_complaint
    WHERE received_at >= %(start)s AND received_at < %(end)s AND status <> 'rejected'
    GROUP BY assignee_id, team_id, department_id
    """,
    """
    SELECT assignee_id, team_id, department_id,
        SUM(resolution_minutes), COUNT(resolution_minutes),
        COUNT(*) FILTER (WHERE reopened_count > 0), COUNT(*)
    FROM complaints_complaint
    WHERE first_resolved_at >= %(start)s AND first_resolved_at < %(end)s
      AND status <> 'rejected'
    GROUP BY assignee_id, team_id, department_id
    """,
    """
    SELECT c.assignee_id, c.team_id, c.department_id,
        COUNT(*) FILTER (WHERE t.met_at IS NOT NULL AND t.met_at <= t.due_at),
        COUNT(*)
    FROM complaints_slatarget t JOIN complaints_complaint c ON c.id = t.complaint_id
    WHERE t.due_at >= %(start)s AND t.due_at < %(due_end)s
      AND t.cancelled_at IS NULL AND (t.met_at IS NOT NULL OR t.paused_at IS NULL)
      AND c.status <> 'rejected'
    GROUP BY c.assignee_id, c.team_id, c.department_id
    """,
]
MAIN_SOURCES = ("complaints_received", "complaints_resolved", "sla_targets_due")


def best_of(runs: int, fn):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def timings(label: str) -> None:
    today = timezone.localdate()
    months = [
        period_for(KpiPeriod.Kind.MONTH, start)
        for _k, start, _e in last_months(today, 13)
    ][:-1]  # the 12 full months before the current one
    month = months[-1]
    kpi_compute_period(actor=None, period=month)  # warm the caches
    best, median = best_of(3, lambda: kpi_compute_period(actor=None, period=month))
    summary = kpi_compute_period(actor=None, period=month)
    print(f"\n== {label}")
    print(
        f"one month ({month.key}): best {best:.3f}s, median {median:.3f}s — "
        f"{summary.results:,} results, {summary.scorecards:,} scorecards"
    )
    print(
        f"  queries {summary.queries_seconds:.3f}s, write {summary.write_seconds:.3f}s"
    )
    for source, seconds in summary.sources.items():
        print(f"    {source:<22} {seconds:.3f}s")
    started = time.perf_counter()
    for period in months:
        kpi_compute_period(actor=None, period=period)
    one_by_one = time.perf_counter() - started
    before = sorted(
        KpiResult.objects.filter(period__in=months).values_list(
            "period_id", "indicator_id", "subject_type", "subject_id", "value"
        )
    )
    year, _m = best_of(
        2, lambda: kpi_compute_periods(actor=None, periods=months, now=None)
    )
    summary = kpi_compute_periods(actor=None, periods=months)
    after = sorted(
        KpiResult.objects.filter(period__in=months).values_list(
            "period_id", "indicator_id", "subject_type", "subject_id", "value"
        )
    )
    print(
        f"full year (12 monthly snapshots): one pass {year:.3f}s "
        f"(queries {summary.queries_seconds:.3f}s, write {summary.write_seconds:.3f}s, "
        f"{summary.results:,} results); month by month {one_by_one:.3f}s; "
        f"identical results: {before == after}"
    )

    window = window_for(month, timezone.now())
    start, end = aware_range(month)
    params = {"start": start, "end": end, "now": window.now, "due_end": window.due_end}

    def hand():
        with connection.cursor() as cursor:
            for sql in HAND_SQL:
                cursor.execute(sql, params)
                cursor.fetchall()

    codes = {c for c, m in MEASURES.items() if m.source.code in MAIN_SOURCES}

    def orm():
        grouped_partials({month.pk: window}, codes)

    hand_best, _m = best_of(5, hand)
    orm_best, _m = best_of(5, orm)
    print(
        f"main complaint indicators: hand-written SQL {hand_best:.3f}s, "
        f"ORM {orm_best:.3f}s, ratio {orm_best / hand_best:.2f}×"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--staff", type=int, default=500)
    parser.add_argument("--surveys", type=int, default=200_000)
    parser.add_argument(
        "--indexes",
        action="store_true",
        help="also time with indexes on complaint.first_resolved_at and "
        "slatarget.due_at",
    )
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
        return 2
    call_command("migrate", verbosity=0)
    if args.reseed:
        apps.get_model("complaints", "Complaint").objects.filter(
            reference__startswith="TB"
        ).delete()
    seed(args)
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS kpi_bench_first_resolved")
        cursor.execute("DROP INDEX IF EXISTS kpi_bench_target_due")
        cursor.execute("SELECT version()")
        print(cursor.fetchone()[0].split(",")[0])
    print(
        f"rows: {apps.get_model('complaints', 'Complaint').objects.count():,} "
        f"complaints, "
        f"{apps.get_model('complaints', 'SlaTarget').objects.count():,} SLA targets, "
        f"{apps.get_model('complaints', 'SatisfactionSurvey').objects.count():,} "
        f"surveys, {User.objects.count():,} staff"
    )
    timings("schema as merged")
    if args.indexes:
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE INDEX kpi_bench_first_resolved ON complaints_complaint "
                "(first_resolved_at)"
            )
            cursor.execute(
                "CREATE INDEX kpi_bench_target_due ON complaints_slatarget (due_at)"
            )
            cursor.execute("ANALYZE complaints_complaint")
            cursor.execute("ANALYZE complaints_slatarget")
        timings("with indexes on first_resolved_at and slatarget.due_at")
    print(f"\nsnapshot rows stored: {KpiResult.objects.count():,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
