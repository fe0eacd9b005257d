"""Issue 18's scale table: the same operations at 10k, 100k (and 1M) complaints.

    .venv/bin/python bench/scale_benchmark.py                    # 10k then 100k
    .venv/bin/python bench/scale_benchmark.py --sizes 10000,100000,1000000

Seeds each size once into its own PostgreSQL database (``--database`` prefix,
default ``kefu_scale_bench``: ``kefu_scale_bench_10000`` …): it migrates and runs
``seed_demo --complaints N`` (which tops up, so an existing database is reused);
a seed from an empty database is timed and its peak resident memory recorded
(``os.wait4``). Then it ``VACUUM ANALYZE``s the complaints (the state
autovacuum keeps a live table in) and times each row in-process (Django test
client as the role's demo user; the median of ``--repeat`` runs after one
warm-up; the KPI recomputes and the sweep that marks 1,000 breaches run in a
transaction that is rolled back). Figures are kept in
``var/scale_benchmark.json`` so each size's ratio to 10k is printed even when
the sizes run on different days. The load average is printed with the table:
other jobs on the machine move the absolute times; compare the ratios.
Timing only, never a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "var" / "scale_benchmark.json"


def database_name(args, size: int) -> str:
    """One database per size, so each is seeded from empty (the seed row is a
    whole ``seed_demo``, not a top-up) and reused by later runs."""
    return f"{args.database}_{size}"


def database_url(args, size: int) -> str:
    return f"postgres://postgres@{args.host}:5432/{database_name(args, size)}"


def ensure_database(args, name: str) -> bool:
    """Create the database ``name`` if missing; True when it was created."""
    exists = subprocess.run(
        [
            "psql",
            "-h",
            args.host,
            "-U",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{name}'",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(
            [
                "psql",
                "-h",
                args.host,
                "-U",
                "postgres",
                "-qc",
                f"CREATE DATABASE {name}",
            ],
            check=True,
        )
    return not exists


def seed(args, size: int) -> dict[str, float] | None:
    """Migrate and ``seed_demo --complaints size`` (a top-up when the database
    already holds some). Returns the seed's wall time (s) and peak resident
    memory (MB, of the seeding process alone: ``os.wait4``'s rusage) when it
    seeded an empty database, else None."""
    env = {**os.environ, "DATABASE_URL": database_url(args, size)}
    manage = [str(BIN / "python"), "manage.py"]
    subprocess.run(
        [*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    count = (
        subprocess.run(
            [*manage, "shell", "-c", COUNT_SNIPPET],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]  # the shell may first say what it imported
    )
    started = time.perf_counter()
    log = (ROOT / "var" / f"scale_seed_{size}.log").open("w")
    process = subprocess.Popen(
        [*manage, "seed_demo", "--complaints", str(size)],
        cwd=ROOT,
        env=env,
        stdout=log,
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    log.close()
    if process.returncode:
        raise SystemExit(f"seed_demo failed ({process.returncode}): see {log.name}")
    if count != "0":
        return None
    return {
        "seconds": time.perf_counter() - started,
        # ru_maxrss is in kilobytes on Linux
        "peak_mb": usage.ru_maxrss / 1024,
    }


COUNT_SNIPPET = (
    "from complaints.models import Complaint; print(Complaint.objects.count())"
)


def timed(fn, repeat: int) -> float:
    fn()  # warm-up (caches, connections)
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def measure(repeat: int) -> dict[str, float]:
    from django.db import connection, transaction
    from django.test import Client
    from django.urls import reverse

    from complaints import services
    from complaints.models import Complaint
    from complaints.services import clock
    from complaints.services.sweep import sla_sweep
    from crm.models import Customer, User

    # The steady state of a live database: autovacuum keeps the statistics and
    # the complaints' visibility map current (index-only counts of the lists).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE complaints_complaint")
        for table in ("complaints_slatarget", "crm_customer"):
            cursor.execute(f"ANALYZE {table}")
    url = reverse("admin:complaints_complaint_changelist")
    clients = {}
    for username in ("admin", "manager01", "agent01"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        clients[username] = client

    def get(username, **params):
        def run():
            response = clients[username].get(url, params)
            assert response.status_code == 200, response.status_code

        return run

    sample = Complaint.objects.exclude(order_number="").order_by("-pk").first()
    customer = Customer.objects.get(pk=sample.customer_id)
    rows = {}
    for username in ("admin", "manager01", "agent01"):
        rows[f"changelist {username}"] = timed(get(username), repeat)
    rows["SLA breached filter (manager01)"] = timed(
        get("manager01", sla_breached="yes"), repeat
    )
    rows["search order number (admin)"] = timed(
        get("admin", q=sample.order_number, status__exact="all"), repeat
    )
    rows["search reference (admin)"] = timed(
        get("admin", q=sample.reference, status__exact="all"), repeat
    )
    rows["search customer name, Chinese (admin)"] = timed(
        get("admin", q=customer.name, status__exact="all"), repeat
    )
    now = clock.now()
    sla_sweep(now=now)  # mark whatever is due: the next runs find nothing
    rows["SLA sweep, nothing to mark"] = timed(lambda: sla_sweep(now=now), repeat)

    def intake():
        with transaction.atomic():
            services.complaint_receive(
                actor=None,  # routed by the rules; any customer (no staff scope)
                customer=customer,
                channel="phone",
                category="service_quality",
                subject="压测投诉",
                description="基准测试：受理一条投诉。",
            )
            transaction.set_rollback(True)

    rows["complaint intake (service, rolled back)"] = timed(intake, repeat)
    rows["SLA sweep marking 1,000 breaches (rolled back)"] = _sweep_marking(now, repeat)
    rows.update(_kpi_rows(repeat))
    return rows


def _sweep_marking(now, repeat: int, count: int = 1000) -> float:
    """The sweep marking ``count`` breaches: that many running clocks (already
    warned) are made due a minute ago, the sweep runs (timed alone), and the
    transaction is rolled back."""
    from datetime import timedelta

    from django.db import transaction

    from complaints.models import SlaTarget
    from complaints.services.sweep import sla_sweep

    runs = []
    for n in range(repeat + 1):
        with transaction.atomic():
            ids = list(
                SlaTarget.objects.filter(
                    met_at__isnull=True,
                    cancelled_at__isnull=True,
                    paused_at__isnull=True,
                    breached_at__isnull=True,
                    due_at__gt=now,
                ).values_list("pk", flat=True)[:count]
            )
            SlaTarget.objects.filter(pk__in=ids).update(
                warn_at=now - timedelta(hours=2),
                warned_at=now - timedelta(hours=1),
                due_at=now - timedelta(minutes=1),
            )
            started = time.perf_counter()
            marked = sla_sweep(now=now)["breached"]
            elapsed = (time.perf_counter() - started) * 1000
            assert marked >= len(ids), (marked, len(ids))
            transaction.set_rollback(True)
        if n:  # the first run warms up
            runs.append(elapsed)
    return statistics.median(runs)


def _kpi_rows(repeat: int) -> dict[str, float]:
    """The manager's dashboard (snapshots only) and the KPI recomputes: this
    month's snapshot, the year's, and the nightly job (two months, their
    quarters and years). Recomputes are rolled back (the data stays as seeded)."""
    from datetime import datetime, timedelta

    from django.db import transaction
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from crm.models import User
    from kpi.models import (
        KpiPeriod,
        MeasureDay,
        MeasureHour,
        RollupChange,
        RollupDay,
        RollupHour,
        SlaChange,
        SlaDay,
        SlaHour,
    )
    from kpi.periods import period_for
    from kpi.services import kpi_compute_recent_months, rollups
    from kpi.services.compute import kpi_compute_period

    client = Client()
    client.force_login(User.objects.get(username="manager01"))

    def dashboard():
        response = client.get(reverse("kpi:dashboard"))
        assert response.status_code == 200, response.status_code
        assert b"kpi-" in response.content or response.content

    today = timezone.localdate()

    def compute(kind):
        period = period_for(kind, today)

        def run():
            with transaction.atomic():
                kpi_compute_period(period=period)
                transaction.set_rollback(True)

        return run

    def nightly():
        with transaction.atomic():
            kpi_compute_recent_months(today=today)
            transaction.set_rollback(True)

    # The nightly keeps the KPI rollups current (kpi.services.rollups): bring
    # it up to date for every period timed below, committed, as it would be.
    since = rollups.floor_hour(
        timezone.make_aware(datetime((today - timedelta(days=40)).year, 1, 1))
    )
    built = rollups.refresh(start=since, end=timezone.now())
    print(
        f"  KPI rollups brought up to date: {built.hours} hours, {built.rows} rows, "
        f"{built.marks} marks in {built.seconds:.1f} s",
        file=sys.stderr,  # stdout carries the figures
        flush=True,
    )
    year_start = timezone.make_aware(datetime(today.year, 1, 1))

    def refresh_stale():
        """A day of changes: every row of every rollup on yesterday's UTC
        date marked."""
        day = today - timedelta(days=1)
        with transaction.atomic():
            SlaChange.objects.create(utc_day=day)
            RollupChange.objects.bulk_create(
                [
                    RollupChange(source=code, utc_day=day)
                    for code in rollups.MEASURE_ROLLUPS
                ]
            )
            rollups.refresh(start=year_start, end=year_start)
            transaction.set_rollback(True)

    def rebuild_year():
        with transaction.atomic():
            for model in (
                RollupHour,
                SlaHour,
                MeasureHour,
                RollupDay,
                SlaDay,
                MeasureDay,
            ):
                model.objects.all().delete()
            rollups.refresh(start=year_start, end=timezone.now())
            transaction.set_rollback(True)

    slow = max(1, min(repeat, 3))  # recomputes take seconds: fewer runs
    return {
        "KPI rollups refresh, one day changed (rolled back)": timed(
            refresh_stale, slow
        ),
        "KPI rollups of a year from empty (rolled back)": timed(rebuild_year, 1),
        "KPI dashboard /kpi/ (manager01)": timed(dashboard, repeat),
        "KPI month, all indicators": timed(compute(KpiPeriod.Kind.MONTH), slow),
        "KPI year recompute": timed(compute(KpiPeriod.Kind.YEAR), slow),
        "KPI nightly (2 months, quarters, years)": timed(nightly, slow),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--database", default="kefu_scale_bench")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every size this many times, sizes interleaved in each "
        "round; each row's figure is the median of the rounds (a shared machine "
        "drifts: the sizes are measured under the same drift)",
    )
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    RESULTS.parent.mkdir(exist_ok=True)
    for size in sizes:
        ensure_database(args, database_name(args, size))
        entry = results.setdefault(str(size), {"rows": {}})
        if not args.skip_seed:
            seeded = seed(args, size)
            if seeded is not None:
                entry["seed"] = seeded
    rounds: dict[int, list[dict]] = {size: [] for size in sizes}
    for n in range(args.rounds):
        for size in sizes:
            env = {**os.environ, "DATABASE_URL": database_url(args, size)}
            out = subprocess.run(
                [str(BIN / "python"), __file__, "--measure", str(args.repeat)],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            measured = json.loads(out.strip().splitlines()[-1])
            measured["load"] = os.getloadavg()
            measured["cpu_ms"] = cpu_calibration()
            rounds[size].append(measured)
            entry = results[str(size)]
            entry.update(
                rows={
                    row: statistics.median(r["rows"][row] for r in rounds[size])
                    for row in measured["rows"]
                },
                count=measured["count"],
                load=measured["load"],
                rounds=[
                    {"rows": r["rows"], "load": r["load"], "cpu_ms": r["cpu_ms"]}
                    for r in rounds[size]
                ],
            )
            RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False))
            print(
                f"  round {n + 1}/{args.rounds}, {size:,}: measured; load "
                f"{measured['load'][0]:.2f}; CPU calibration {measured['cpu_ms']:.0f} ms",
                file=sys.stderr,
                flush=True,
            )
    shown = [str(s) for s in sizes]
    print(f"load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    header = f"{'row':48}" + "".join(f"{int(s):>10,} ms  ratio" for s in shown)
    print(header)
    names = list(dict.fromkeys(r for size in shown for r in results[size]["rows"]))
    for row in names:
        line = f"{row:48}"
        for size in shown:
            value = results[size]["rows"].get(row)
            if value is None:
                line += f"{'—':>13}      "
                continue
            ratio = _ratio(results, size, row)
            line += f"{value:13.1f} ×{ratio:4.2f}"
        print(line)
    for size in shown:
        seeded = results[size].get("seed")
        if seeded:
            print(
                f"seed_demo --complaints {int(size):,} from empty: "
                f"{seeded['seconds']:,.0f} s, peak RSS {seeded['peak_mb']:,.0f} MB"
            )
    for size in shown:
        load = " ".join(f"{x:.2f}" for x in results[size]["load"])
        print(f"{int(size):>9,}: {results[size]['count']:,} complaints; load {load}")
        for n, r in enumerate(results[size].get("rounds", []), 1):
            print(
                f"{'':>11}round {n}: load {r['load'][0]:.2f}, "
                f"CPU calibration {r['cpu_ms']:.0f} ms"
            )
    return 0


def _ratio(results: dict, size: str, row: str) -> float:
    """The row's figure at ``size`` over 10k's: the median of the rounds'
    ratios when both sizes were measured in the same rounds (each round's
    sizes under the same machine drift), else the ratio of the figures."""
    base = results.get("10000", {})
    here, there = results[size].get("rounds", []), base.get("rounds", [])
    pairs = [
        a["rows"][row] / b["rows"][row]
        for a, b in zip(here, there, strict=False)
        if a["rows"].get(row) and b["rows"].get(row)
    ]
    if pairs and len(here) == len(there):
        return statistics.median(pairs)
    value, denominator = results[size]["rows"].get(row), base.get("rows", {}).get(row)
    return value / denominator if value and denominator else float("nan")


def cpu_calibration() -> float:
    """Milliseconds of a fixed pure-Python loop (best of 3): how fast the
    machine is at the moment, printed with each round (the same code's
    figures have moved by 2x within an hour on the shared bench machine)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def measure_main(repeat: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    from complaints.models import Complaint

    rows = measure(repeat)
    print(json.dumps({"rows": rows, "count": Complaint.objects.count()}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        measure_main(int(sys.argv[2]))
        sys.exit(0)
    sys.exit(main())
