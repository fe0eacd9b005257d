"""Worker main-process memory per task (issue 14, point 6): not a CI test.

    .venv/bin/python bench/worker_memory.py --tasks 20000

Starts its own Redis on a spare port and a Celery worker (prefork, 2
processes, ``-Q default``) of Kefu, publishes ``kefu.heartbeat`` in batches,
waits until each batch is done, and prints the resident memory (``VmRSS``
from ``/proc/<pid>/status``) of the worker's main process and its pool
processes after each batch, then kB per 1,000 tasks over the second half (after
warm-up). Everything it started is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"


def rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--max-tasks-per-child", type=int, default=1000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kefu-wmem-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CELERY_")},
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{tmp}/kefu.sqlite3",
        "KEFU_VAR_DIR": str(tmp),
        "CELERY_BROKER_URL": url,
        "CELERY_WORKER_MAX_TASKS_PER_CHILD": str(args.max_tasks_per_child),
    }
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    worker = None
    try:
        time.sleep(0.5)
        worker = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "-c",
                "2",
                "-Q",
                "default",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        from celery import Celery

        client = Celery("wmem", broker=url, backend=url)
        client.conf.task_ignore_result = False
        time.sleep(8)
        print(f"{'tasks':>7}{'main kB':>10}{'pool kB':>10}")
        samples = []
        done = 0
        print(
            f"{done:>7}{rss(worker.pid):>10}"
            f"{sum(rss(c) for c in children(worker.pid)):>10}",
            flush=True,
        )
        while done < args.tasks:
            results = [
                client.send_task("kefu.heartbeat", queue="default")
                for _ in range(args.batch)
            ]
            for r in results:
                r.get(timeout=300)
                r.forget()
            done += args.batch
            time.sleep(1)
            main_rss = rss(worker.pid)
            pool = sum(rss(c) for c in children(worker.pid))
            samples.append((done, main_rss))
            print(f"{done:>7}{main_rss:>10}{pool:>10}", flush=True)
        half = samples[len(samples) // 2 - 1]
        last = samples[-1]
        per_k = (last[1] - half[1]) / max(1, (last[0] - half[0]) / 1000)
        print(f"main process growth after warm-up: {per_k:.1f} kB per 1,000 tasks")
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        redis.terminate()
        redis.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
