#!/usr/bin/env python
"""Benchmark of the complaint list API on PostgreSQL (not a test).

    .venv/bin/python bench/api_benchmark.py                 # 1,000,000 complaints
    .venv/bin/python bench/api_benchmark.py --complaints 200000 --duration 10
    .venv/bin/python bench/api_benchmark.py --skip-seed      # reuse the database

Steps: (re)create the database ``--database`` (default ``kefu_bench``), migrate,
``seed_demo --complaints N`` (and, when the demo data of the complaints app makes
fewer, clone complaints in SQL up to N), give half of them to the partner
``bench-partner`` and create its API key; serve the project with gunicorn
(``bench.settings``: DEBUG off, persistent connections); then load, with wrk
(``apt-get install wrk``) at each concurrency for ``--duration`` seconds:

- ``GET /api/v1/complaints/?page_size=100`` with the partner's key (DRF, API-key
  auth, throttling, FilterSet, cursor pagination, nested customer, SLA object);
- ``GET /bench/baseline/``: the same rows through ``.values()`` + ``JsonResponse``.

Prints requests/s and p50/p95/p99 for each, the API/baseline throughput ratio and
the number of SQL queries per API request at page sizes 10 and 200. Targets
(issue 7): ≤ 2 queries per request whatever the page size, p95 ≤ 30 ms at
concurrency 2, throughput ≥ 2/3 of the baseline's. Only 127.0.0.1 is loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PARTNER = "bench-partner"


def sh(*cmd, env=None, timeout=None, capture=False):
    print("$", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run(
        [str(c) for c in cmd],
        cwd=ROOT,
        env=env,
        timeout=timeout,
        check=True,
        text=True,
        capture_output=capture,
    )


def recreate_database(name: str, host: str) -> None:
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        sh("psql", "-h", host, "-U", "postgres", "-d", "postgres", "-q", "-c", sql)


def top_up(target: int) -> None:
    """Clone complaints in SQL until there are ``target``; half go to the partner."""
    from django.db import connection

    from complaints.models import Complaint
    from crm.models import Customer, PartnerOrganisation

    partner = PartnerOrganisation.objects.get(code=PARTNER)
    count = Complaint.objects.count()
    template = Complaint.objects.order_by("pk").first()
    if template is None:
        from complaints.services import complaint_receive
        from crm.services import customer_upsert

        customer, _ = customer_upsert(
            actor=None, name="压测客户", phone="13900000000", partner=partner
        )
        template = complaint_receive(
            actor=None,
            customer=customer,
            channel="api",
            category="service_quality",
            subject="压测投诉",
            description="基准测试用的投诉。",
            source_partner=partner,
        )
        count = 1
    missing = target - count
    if missing > 0:
        customer_ids = list(Customer.objects.values_list("pk", flat=True)[:5000])
        columns = [
            f.column
            for f in Complaint._meta.concrete_fields
            if not f.primary_key and not f.generated
        ]
        expressions = []
        for column in columns:
            if column == "reference":
                expressions.append("'BM' || lpad(g::text, 12, '0')")
            elif column == "customer_id":
                expressions.append(
                    f"(ARRAY{customer_ids}::bigint[])[1 + mod(g, {len(customer_ids)})]"
                )
            elif column == "source_partner_id":
                # Half of the clones belong to the bench partner.
                expressions.append(
                    f"CASE WHEN mod(g, 2) = 0 THEN {partner.pk} ELSE NULL END"
                )
            elif column in ("received_at", "created_at", "updated_at"):
                expressions.append(f"t.{column} - (g || ' minutes')::interval")
            else:
                expressions.append(f"t.{column}")
        table = Complaint._meta.db_table
        batch = 200_000
        with connection.cursor() as cursor:
            for start in range(1, missing + 1, batch):
                stop = min(missing, start + batch - 1)
                cursor.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"SELECT {', '.join(expressions)} FROM {table} t, "
                    f"generate_series(%s, %s) g WHERE t.id = %s",
                    [start, stop, template.pk],
                )
                print(f"  cloned {stop:,}/{missing:,} complaints", flush=True)
    table = Complaint._meta.db_table
    with connection.cursor() as cursor:
        total = Complaint.objects.count()
        if Complaint.objects.filter(source_partner=partner).count() < total // 4:
            # The demo's own complaints: give every other one to the partner.
            cursor.execute(
                f"UPDATE {table} SET source_partner_id = %s WHERE mod(id, 2) = 0",
                [partner.pk],
            )
        cursor.execute(f"ANALYZE {table}")


def prepare(args, env) -> str:
    """Seed (unless --skip-seed) and return the partner's API key."""
    if not args.skip_seed:
        recreate_database(args.database, args.host)
        sh(BIN / "python", "manage.py", "migrate", "--noinput", "-v", "0", env=env)
        sh(
            BIN / "python",
            "manage.py",
            "seed_demo",
            "--customers",
            str(args.customers),
            "--complaints",
            str(args.complaints),
            env=env,
            timeout=3600,
        )
    result = sh(
        BIN / "python",
        "manage.py",
        "create_api_key",
        "--partner",
        PARTNER,
        "--scopes",
        "complaints:read",
        env=env,
        capture=True,
    )
    raw_key = result.stdout.strip().splitlines()[-1]
    started = time.monotonic()
    top_up(args.complaints)
    print(f"  data ready in {time.monotonic() - started:.0f} s", flush=True)
    return raw_key


def query_counts(raw_key: str) -> dict[int, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw_key}", HTTP_HOST="127.0.0.1")
    client.get("/api/v1/complaints/?page_size=1")  # warm (last_used_at write)
    counts = {}
    for size in (10, 100, 200):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/complaints/?page_size={size}")
        assert response.status_code == 200, response.content[:300]
        assert len(response.json()["results"]) == size
        counts[size] = len(captured.captured_queries)
    return counts


def wait_for(url: str, headers: dict, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            request = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except Exception:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.3)


def run_wrk(url: str, headers: dict, concurrency: int, duration: int) -> dict:
    command = [
        "wrk",
        f"-t{min(concurrency, 2)}",
        f"-c{concurrency}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "wrk_report.lua"),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"KEFU_BENCH (\{.*\})", output)
    data = json.loads(match.group(1))
    seconds = data["duration_us"] / 1e6
    return {
        "rps": data["requests"] / seconds,
        "p50": data["p50_us"] / 1000,
        "p95": data["p95_us"] / 1000,
        "p99": data["p99_us"] / 1000,
        "errors": data["socket_errors"] + data["non_2xx"],
        "requests": data["requests"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--database", default="kefu_bench")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--duration", type=int, default=20, help="seconds per run")
    parser.add_argument("--concurrency", default="2,8")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--skip-seed", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": f"postgres://postgres@{args.host}:5432/{args.database}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()

    raw_key = prepare(args, env)
    from complaints.models import Complaint

    total = Complaint.objects.count()
    partner_rows = Complaint.objects.filter(source_partner__code=PARTNER).count()
    counts = query_counts(raw_key)

    base = f"http://127.0.0.1:{args.port}"
    gunicorn = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    auth = {"Authorization": f"Api-Key {raw_key}"}
    targets = {
        "API  /api/v1/complaints/?page_size=100": (
            f"{base}/api/v1/complaints/?page_size=100",
            auth,
        ),
        "base /bench/baseline/ (.values + JsonResponse)": (
            f"{base}/bench/baseline/?partner={PARTNER}",
            {},
        ),
    }
    results = {}
    try:
        for url, headers in targets.values():
            wait_for(url, headers)
            run_wrk(url, headers, 2, 2)  # warm every worker's connection
        for concurrency in [int(c) for c in args.concurrency.split(",")]:
            for label, (url, headers) in targets.items():
                results[(label, concurrency)] = run_wrk(
                    url, headers, concurrency, args.duration
                )
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)

    print()
    print(
        f"complaints: {total:,} (partner's: {partner_rows:,}); "
        f"gunicorn workers: {args.workers}; {args.duration} s per run; wrk"
    )
    print(
        "SQL queries per API request by page size: "
        + ", ".join(f"{size} → {n}" for size, n in counts.items())
    )
    print(
        f"{'endpoint':48} {'conc':>4} {'req/s':>8} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8} {'errors':>6}"
    )
    for (label, concurrency), r in results.items():
        print(
            f"{label:48} {concurrency:>4} {r['rps']:>8.1f} {r['p50']:>8.1f} "
            f"{r['p95']:>8.1f} {r['p99']:>8.1f} {r['errors']:>6}"
        )
    labels = list(targets)
    for concurrency in sorted({c for _l, c in results}):
        api = results[(labels[0], concurrency)]["rps"]
        baseline = results[(labels[1], concurrency)]["rps"]
        print(
            f"API/baseline throughput at concurrency {concurrency}: {api / baseline:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
