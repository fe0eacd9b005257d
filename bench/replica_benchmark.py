#!/usr/bin/env python
"""The KPI pages on a real streaming replica (not a test).

Builds a throw-away PostgreSQL primary and a streaming standby of it under
``var/replica-bench/`` (``initdb``, ``pg_basebackup -R -X stream``: exactly the
set-up of docs/deployment.md, on ports 5441/5442 so the machine's own server is
not touched), seeds the demo into the primary, computes the KPI snapshots and
then, as manager01, opens the KPI pages with ``DATABASE_REPLICA_URL`` pointing
at the standby. It prints:

* per page, how many SQL queries ran on the primary and on the replica and the
  median time with and without the replica (the standby is on the same host, so
  the time shows the router's overhead, not a gain: the gain is the primary's
  freed capacity);
* the replication lag seen by a reader: rows written on the primary, polled on
  the standby until visible (median and worst of 20, in ms), and the
  primary's ``pg_stat_replication`` row;
* that a write on the standby is refused (``read-only transaction``).

Run (needs PostgreSQL 15's server binaries, as on this machine; as root it runs
the servers as the ``postgres`` user):

    .venv/bin/python bench/replica_benchmark.py [--complaints 5000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "var" / "replica-bench"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
DB = "kefu_replica_bench"


def as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as ``postgres``."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


def psql(port: int, sql: str, db: str = "postgres") -> str:
    out = run(
        [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
        + ["-d", db, "-Atc", sql]
    )
    return out.stdout.strip()


def pg_ctl(data: Path, action: str, port: int | None = None) -> None:
    cmd = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-l", str(data) + ".log"]
    if port is not None:
        cmd += ["-o", f"-p {port} -k {BASE}"]
    run(as_postgres([*cmd, action]))


def clusters_up(primary_port: int, replica_port: int) -> tuple[Path, Path]:
    if BASE.exists():
        clusters_down()
        shutil.rmtree(BASE)
    BASE.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(BASE, "postgres", "postgres")
    primary, replica = BASE / "primary", BASE / "replica"
    run(as_postgres([str(PG_BIN / "initdb"), "-D", str(primary), "-U", "postgres"]))
    run(
        as_postgres(["sh", "-c", f"cat >> {primary}/postgresql.conf"]),
        input="""
listen_addresses = '127.0.0.1'
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = off
""",
    )
    run(
        as_postgres(["sh", "-c", f"cat >> {primary}/pg_hba.conf"]),
        input="""
host replication all 127.0.0.1/32 trust
""",
    )
    pg_ctl(primary, "start", primary_port)
    run(
        as_postgres(
            [str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary_port)]
            + ["-U", "postgres", "-D", str(replica), "-R", "-X", "stream"]
        )
    )
    pg_ctl(replica, "start", replica_port)
    return primary, replica


def clusters_down() -> None:
    for name in ("replica", "primary"):
        data = BASE / name
        if (data / "postmaster.pid").exists():
            subprocess.run(
                as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "stop"]),
                capture_output=True,
            )


def manage(env: dict, *args: str) -> None:
    with open(BASE / "manage.log", "a") as log:
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            check=True,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


MEASURE = r"""
import html, json, re, statistics, sys, time
import django
django.setup()
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from crm.models import User

pages = json.loads(sys.argv[1])
rounds = int(sys.argv[2])
client = Client(HTTP_HOST="localhost")
client.force_login(User.objects.get(username="manager01"))
aliases = list(connections)
dashboard = client.get("/kpi/").content.decode()
drill = re.search(r'href="(/kpi/drill/[^"]+)"', dashboard)
pages = [html.unescape(drill.group(1)) if u == "DRILL" else u for u in pages]
out = {}
for url in pages:
    client.get(url)  # warm: connections, templates, caches
    times = []
    for _ in range(rounds):
        contexts = [CaptureQueriesContext(connections[a]) for a in aliases]
        for c in contexts:
            c.__enter__()
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        for c in contexts:
            c.__exit__(None, None, None)
        assert response.status_code == 200, (url, response.status_code)
    out[url] = {
        "ms": statistics.median(times),
        "queries": {a: len(c.captured_queries) for a, c in zip(aliases, contexts)},
    }
print(json.dumps(out))
"""


def measure(env: dict, pages: list[str], rounds: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, json.dumps(pages), str(rounds)],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def lag(primary_port: int, replica_port: int, samples: int = 20) -> list[float]:
    psql(
        primary_port, "CREATE TABLE IF NOT EXISTS bench_lag (n int, at timestamptz)", DB
    )
    seen = []
    for n in range(samples):
        psql(primary_port, f"INSERT INTO bench_lag VALUES ({n}, clock_timestamp())", DB)
        start = time.perf_counter()
        while (
            psql(replica_port, f"SELECT count(*) FROM bench_lag WHERE n = {n}", DB)
            != "1"
        ):
            if time.perf_counter() - start > 30:
                raise SystemExit("the standby did not replay a write within 30 s")
        seen.append((time.perf_counter() - start) * 1000)
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--complaints", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--port", type=int, default=5441, help="primary; standby +1")
    parser.add_argument("--keep", action="store_true", help="leave both servers up")
    args = parser.parse_args()
    primary_port, replica_port = args.port, args.port + 1

    started = time.monotonic()
    clusters_up(primary_port, replica_port)
    try:
        print(
            f"primary :{primary_port} and standby :{replica_port} up "
            f"({time.monotonic() - started:.1f} s)"
        )
        psql(primary_port, f"CREATE DATABASE {DB}")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DEBUG": "false",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{primary_port}/{DB}",
            "CELERY_TASK_ALWAYS_EAGER": "true",
        }
        env.pop("DATABASE_REPLICA_URL", None)
        step = time.monotonic()
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo", "--complaints", str(args.complaints))
        print(
            f"seeded {args.complaints} complaints on the primary "
            f"({time.monotonic() - step:.1f} s)"
        )

        streaming = psql(
            primary_port,
            "SELECT state, sync_state, coalesce(replay_lag::text, '0') "
            "FROM pg_stat_replication",
        )
        print(f"pg_stat_replication: {streaming}")
        in_recovery = psql(replica_port, "SELECT pg_is_in_recovery()", DB)
        print(f"standby in recovery: {in_recovery}")
        try:
            psql(replica_port, "CREATE TABLE refused (n int)", DB)
            print("a write on the standby was accepted: NOT a standby")
        except subprocess.CalledProcessError as exc:
            print(
                "a write on the standby: refused ("
                + exc.stderr.strip().splitlines()[0]
                + ")"
            )

        seen = lag(primary_port, replica_port)
        print(
            f"replication lag seen by a reader, 20 writes: median "
            f"{statistics.median(seen):.1f} ms, worst {max(seen):.1f} ms"
        )

        pages = ["/kpi/", "DRILL", "/kpi/export/", "/kpi/report/"]
        alone = measure(env, pages, args.rounds)
        with_replica = measure(
            {
                **env,
                "DATABASE_REPLICA_URL": f"postgres://postgres@127.0.0.1:{replica_port}/{DB}",
            },
            pages,
            args.rounds,
        )
        print()
        print(f"{'page (manager01)':44} {'primary only':>22} {'with replica':>34}")
        print(
            f"{'':44} {'ms':>8} {'queries':>13} {'ms':>8} {'primary':>12} {'replica':>12}"
        )
        for url in alone:
            a, b = alone[url], with_replica[url]
            print(
                f"{url[:44]:44} {a['ms']:8.1f} {a['queries']['default']:13d} "
                f"{b['ms']:8.1f} {b['queries']['default']:12d} "
                f"{b['queries'].get('replica', 0):12d}"
            )
    finally:
        if not args.keep:
            clusters_down()
            shutil.rmtree(BASE, ignore_errors=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\ndone in {time.monotonic() - started:.0f} s (load average {load})")


if __name__ == "__main__":
    main()
