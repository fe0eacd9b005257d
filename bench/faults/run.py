"""Fault harness (not a CI test): Kefu under faults, with printed figures.

    .venv/bin/python bench/faults/run.py --seconds 60
    .venv/bin/python bench/faults/run.py --seconds 600 --scenarios kill,redis,pg,beats,slow

Starts its own PostgreSQL cluster and Redis on spare ports (never the shared
ones), gunicorn, a Celery worker and beat, a local webhook receiver and an SMTP
sink. Per scenario it submits complaints through the API (each raises a
``complaint.created`` webhook) and raises staff notifications (each an e-mail),
injects the fault for ``--seconds``, lets the system drain, then prints expected
vs delivered vs duplicated (by ``X-Kefu-Delivery`` / ``Message-ID``) webhooks and
e-mails. Everything it started is stopped at the end.

Scenarios: ``kill`` (worker SIGKILL every 2-10 s), ``redis`` (broker killed and
restarted), ``pg`` (PostgreSQL restarted under load), ``beats`` (two beat
schedulers), ``slow`` (a receiver answering in 6 s).
"""

from __future__ import annotations

import argparse
import asyncore
import contextlib
import json
import os
import random
import shutil
import signal
import smtpd
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


# --- receivers -----------------------------------------------------------------------


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.seen: dict[str, int] = {}
        self.delay = 0.0

    def add(self, key: str) -> None:
        with self.lock:
            self.seen[key] = self.seen.get(key, 0) + 1

    def reset(self) -> None:
        with self.lock:
            self.seen.clear()


def start_receiver(counter: Counter) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if counter.delay:
                time.sleep(counter.delay)
            counter.add(self.headers.get("X-Kefu-Delivery", "?"))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/hook"


def start_smtp_sink(counter: Counter) -> int:
    port = free_port()

    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            raw = data if isinstance(data, bytes) else data.encode()
            counter.add(message_from_bytes(raw).get("Message-ID", "?"))

    Sink(("127.0.0.1", port), None, decode_data=False)
    threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.5}, daemon=True).start()
    return port


# --- the processes -------------------------------------------------------------------


class Stack:
    def __init__(
        self, tmp: Path, env: dict, pg_port: int, redis_port: int, http_port: int
    ):
        self.tmp, self.env = tmp, env
        self.pg_port, self.redis_port, self.http_port = pg_port, redis_port, http_port
        self.pgdata = tmp / "pgdata"
        self.procs: dict[str, subprocess.Popen] = {}

    def _spawn(self, name: str, cmd: list[str]) -> None:
        with open(self.tmp / f"{name}.log", "ab") as log:  # the child keeps its copy
            self.procs[name] = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def pg_start(self) -> None:
        subprocess.run(
            as_postgres(
                [
                    "pg_ctl",
                    "-D",
                    str(self.pgdata),
                    "-w",
                    "-l",
                    str(self.tmp / "pg.log"),
                    "-o",
                    f"-p {self.pg_port} -k {self.tmp} -c listen_addresses=127.0.0.1",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def pg_init(self) -> None:
        self.tmp.chmod(0o777)
        subprocess.run(
            as_postgres(
                [
                    "initdb",
                    "-D",
                    str(self.pgdata),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.pg_start()
        subprocess.run(
            [
                "createdb",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.pg_port),
                "-U",
                "postgres",
                "kefu",
            ],
            check=True,
        )

    def pg_restart(self) -> None:
        subprocess.run(
            as_postgres(
                [
                    "pg_ctl",
                    "-D",
                    str(self.pgdata),
                    "-m",
                    "fast",
                    "-w",
                    "restart",
                    "-o",
                    f"-p {self.pg_port} -k {self.tmp} -c listen_addresses=127.0.0.1",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def pg_stop(self) -> None:
        subprocess.run(
            as_postgres(["pg_ctl", "-D", str(self.pgdata), "-m", "immediate", "stop"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def redis(self) -> None:
        self._spawn(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        )
        time.sleep(0.5)

    def worker(self) -> None:
        self._spawn(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "-c",
                "2",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
        )

    def beat(self, name: str = "beat") -> None:
        self._spawn(
            name,
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "beat",
                "--loglevel=INFO",
                "-s",
                str(self.tmp / f"{name}-schedule"),
            ],
        )

    def web(self) -> None:
        self._spawn(
            "web",
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{self.http_port}",
            ],
        )

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.kill(name, signal.SIGTERM)
        self.pg_stop()


# --- load ----------------------------------------------------------------------------


def post_complaint(base: str, key: str, n: int) -> str | None:
    body = json.dumps(
        {
            "customer": {"name": "压测客户", "phone": f"1380000{n % 10000:04d}"},
            "channel": "online",
            "category": "service_quality",
            "subject": f"故障测试 {n}",
            "description": "fault harness",
        }
    ).encode()
    for _try in range(30):  # retried with the same Idempotency-Key: never doubled
        request = urllib.request.Request(
            f"{base}/api/v1/complaints/",
            data=body,
            method="POST",
            headers={
                "Authorization": f"Api-Key {key}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"faults-{n}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return json.loads(response.read())["reference"]
        except (urllib.error.URLError, OSError, KeyError, ValueError):
            time.sleep(1)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--seconds", type=int, default=60, help="fault time per scenario"
    )
    parser.add_argument("--scenarios", default="kill,redis,pg,beats,slow")
    parser.add_argument(
        "--rate", type=float, default=2.0, help="complaints and e-mails per second"
    )
    parser.add_argument("--drain", type=int, default=240, help="max seconds to drain")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temp folder (logs)"
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kefu-faults-"))
    pg_port, redis_port, http_port = free_port(), free_port(), free_port()
    hooks, mails = Counter(), Counter()
    _server, hook_url = start_receiver(hooks)
    smtp_port = start_smtp_sink(mails)
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("CELERY_", "DATABASE_"))
        },
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{pg_port}/kefu",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CELERY_VISIBILITY_TIMEOUT": "60",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "KEFU_VAR_DIR": str(tmp / "var"),
        "KEFU_WEBHOOK_ALLOW_HTTP": "true",
        "KEFU_WEBHOOK_ALLOW_PRIVATE": "true",
        "KEFU_WEBHOOK_BACKOFF_SECONDS": "2",
        "KEFU_WEBHOOK_LEASE_SECONDS": "30",
        "KEFU_NOTIFICATION_LEASE_SECONDS": "30",
        "KEFU_WEBHOOK_DISABLE_AFTER_FAILURES": "1000",
        "KEFU_API_RATE": "100000/min",
    }
    stack = Stack(tmp, env, pg_port, redis_port, http_port)
    rows = []
    try:
        stack.pg_init()
        stack.redis()
        subprocess.run(
            [str(BIN / "python"), "manage.py", "migrate", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.db import close_old_connections

        from crm.models import Notification
        from crm.notifications import notify
        from partners.models import WebhookDelivery, WebhookEndpoint
        from partners.services import api_key_create, partner_get_or_create

        partner, _ = partner_get_or_create(name="faults")
        _key, raw = api_key_create(
            actor=None,
            partner=partner,
            name="faults",
            scopes=["complaints:read", "complaints:write"],
        )
        WebhookEndpoint.objects.create(
            partner=partner,
            url=hook_url,
            secret="whsec_faults_0000000",
            events=["complaint.created"],
        )
        staff = get_user_model().objects.create_user("faults", "faults@example.cn", "x")
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "kefu.local"
        stack.web()
        stack.worker()
        stack.beat()
        base = f"http://127.0.0.1:{http_port}"
        time.sleep(4)

        for scenario in args.scenarios.split(","):
            hooks.reset()
            mails.reset()
            hooks.delay = 6.0 if scenario == "slow" else 0.0
            stop = threading.Event()
            references: list[str] = []
            keys: list[str] = []

            def load(scenario=scenario, stop=stop, references=references, keys=keys):
                n = 0
                while not stop.is_set():
                    n += 1
                    ref = post_complaint(base, raw, hash((scenario, n)) & 0xFFFFFFF)
                    if ref:
                        references.append(ref)
                    for _try in range(30):
                        try:
                            close_old_connections()
                            key = f"faults:{scenario}:{n}"
                            notify(recipient=staff, kind="faults", title=key, key=key)
                            keys.append(key)
                            break
                        except Exception:
                            time.sleep(1)
                    time.sleep(1 / args.rate)

            loader = threading.Thread(target=load, daemon=True)
            loader.start()
            started = time.monotonic()
            kills = 0
            if scenario == "beats":
                stack.beat("beat2")
            while time.monotonic() - started < args.seconds:
                elapsed = time.monotonic() - started
                if scenario == "kill":
                    time.sleep(random.uniform(2, 10))
                    stack.kill("worker")
                    kills += 1
                    stack.worker()
                elif scenario == "redis" and elapsed > args.seconds / 3 and kills == 0:
                    stack.kill("redis")
                    time.sleep(5)
                    stack.redis()
                    kills += 1
                elif scenario == "pg" and elapsed > args.seconds / 3 and kills == 0:
                    stack.pg_restart()
                    kills += 1
                else:
                    time.sleep(1)
            stop.set()
            loader.join(timeout=60)
            if scenario == "beats":
                stack.kill("beat2", signal.SIGTERM)
            if "worker" not in stack.procs:
                stack.worker()
            deadline = time.monotonic() + args.drain
            while time.monotonic() < deadline:
                close_old_connections()
                events = {
                    str(e)
                    for e in WebhookDelivery.objects.filter(
                        complaint_reference__in=references
                    ).values_list("event_id", flat=True)
                }
                mail_ids = {
                    f"<notification-{pk}@{domain}>"
                    for pk in Notification.objects.filter(key__in=keys).values_list(
                        "pk", flat=True
                    )
                }
                got_hooks = events & set(hooks.seen)
                got_mails = mail_ids & set(mails.seen)
                if len(got_hooks) == len(references) and len(got_mails) == len(keys):
                    break
                time.sleep(3)
            dup_hooks = sum(c - 1 for k, c in hooks.seen.items() if k in events)
            dup_mails = sum(c - 1 for k, c in mails.seen.items() if k in got_mails)
            rows.append(
                (
                    scenario,
                    kills,
                    len(references),
                    len(got_hooks),
                    dup_hooks,
                    len(keys),
                    len(got_mails),
                    dup_mails,
                )
            )
            print(f"{scenario}: done", flush=True)
    finally:
        stack.stop_all()
        if args.keep:
            print(f"logs in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print()
    print(
        f"{'scenario':<9}{'faults':>7}{'hooks exp':>10}{'deliv':>7}{'lost':>6}{'dup':>5}"
        f"{'mails exp':>10}{'deliv':>7}{'lost':>6}{'dup':>5}"
    )
    for scenario, faults, he, hd, hdup, me, md, mdup in rows:
        print(
            f"{scenario:<9}{faults:>7}{he:>10}{hd:>7}{he - hd:>6}{hdup:>5}"
            f"{me:>10}{md:>7}{me - md:>6}{mdup:>5}"
        )
    return 0 if all(r[2] == r[3] and r[5] == r[6] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
