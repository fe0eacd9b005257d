"""Issue 18's scale table: the same operations at 10k, 100k (and 1M) complaints.

    .venv/bin/python bench/scale_benchmark.py                    # 10k then 100k
    .venv/bin/python bench/scale_benchmark.py --sizes 10000,100000,1000000

Seeds once into its own PostgreSQL database (``--database``, default
``kefu_scale_bench``): for each size, in increasing order, it migrates and runs
``seed_demo --complaints N`` only when the database holds fewer complaints
(seed_demo tops up; an existing database is reused), ``ANALYZE``s, then times
each row in-process (Django test client as the role's demo user; the median of
``--repeat`` runs, after one warm-up). Figures are kept in
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


def database_url(args) -> str:
    return f"postgres://postgres@{args.host}:5432/{args.database}"


def ensure_database(args) -> None:
    exists = subprocess.run(
        [
            "psql",
            "-h",
            args.host,
            "-U",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{args.database}'",
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
                f"CREATE DATABASE {args.database}",
            ],
            check=True,
        )


def seed(args, size: int) -> None:
    env = {**os.environ, "DATABASE_URL": database_url(args)}
    manage = [str(BIN / "python"), "manage.py"]
    subprocess.run(
        [*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    subprocess.run(
        [*manage, "seed_demo", "--complaints", str(size)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
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

    with connection.cursor() as cursor:
        for table in ("complaints_complaint", "complaints_slatarget", "crm_customer"):
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
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--database", default="kefu_scale_bench")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-seed", action="store_true")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    ensure_database(args)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for size in sizes:
        if not args.skip_seed:
            seed(args, size)
        env = {**os.environ, "DATABASE_URL": database_url(args)}
        out = subprocess.run(
            [str(BIN / "python"), __file__, "--measure", str(args.repeat)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        measured = json.loads(out.strip().splitlines()[-1])
        results[str(size)] = {
            "rows": measured["rows"],
            "count": measured["count"],
            "load": os.getloadavg(),
        }
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    base = results.get("10000", {}).get("rows", {})
    shown = [str(s) for s in sizes]
    print(f"load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    header = f"{'row':44}" + "".join(f"{int(s):>10,} ms  ratio" for s in shown)
    print(header)
    for row in results[shown[0]]["rows"]:
        line = f"{row:44}"
        for size in shown:
            value = results[size]["rows"].get(row)
            ratio = value / base[row] if base.get(row) else float("nan")
            line += f"{value:13.1f} ×{ratio:4.2f}"
        print(line)
    for size in shown:
        load = " ".join(f"{x:.2f}" for x in results[size]["load"])
        print(f"{int(size):>9,}: {results[size]['count']:,} complaints; load {load}")
    return 0


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
