"""Fault harness (not a CI test): Kefu under faults, with printed figures.

    .venv/bin/python bench/faults/run.py --seconds 60
    .venv/bin/python bench/faults/run.py --seconds 86   # seven scenarios, ~10 min of faults
    .venv/bin/python bench/faults/run.py --short        # one kill, one restart (~90 s)

Starts its own PostgreSQL cluster and Redis on spare ports (never the shared
ones), gunicorn, a Celery worker and beat, a local webhook receiver and an SMTP
sink. Per scenario it submits complaints through the API (each raises a
``complaint.created`` webhook) and raises staff notifications (each an e-mail),
injects the fault for ``--seconds``, lets the system drain, then prints expected
vs delivered vs duplicated (by ``X-Kefu-Delivery`` / ``Message-ID``) webhooks and
e-mails. Each scenario also plans revisits due within the reminder window (the
beat's ``crm.revisit_sweep`` reminds their assignee: one notification and one
e-mail each) and pushes the reply SLA of every fifth complaint past due (the
beat's ``complaints.sla_sweep`` raises one breach notification and e-mail
each); those are counted the same way (``rem``/``sla`` columns). Everything it
started is stopped at the end.

Scenarios: ``kill`` (worker SIGKILL every 2-10 s), ``redis`` (broker killed and
restarted), ``pg`` (PostgreSQL restarted under load), ``beats`` (two beat
schedulers), ``slow`` (a receiver answering in 6 s), ``failing`` (the receiver
answers 500 for the first half, the endpoint is auto-disabled, then re-enabled
as an operator would: the backlog it held must all arrive), ``poison`` (one
staff e-mail kills the worker whenever it is sent: it must end ``failed`` after
its attempts, and every other e-mail go out).

The worker's resident memory (``VmRSS`` of the main process and of its pool
processes, from ``/proc/<pid>/status``) is sampled every 5 s and printed per
worker incarnation that lived at least a minute.
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
        self.failing = False
        self.refused = 0

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
            if counter.failing:
                with counter.lock:
                    counter.refused += 1
                self.send_response(500)
                self.end_headers()
                self.wfile.write(b"down")
                return
            counter.add(self.headers.get("X-Kefu-Delivery", "?"))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/hook"


POISON = "faults-poison"


def start_smtp_sink(counter: Counter, on_poison=None) -> int:
    """An SMTP sink counting Message-IDs. A message whose subject carries
    ``POISON`` calls ``on_poison`` (which kills the worker) before it is
    accepted: the message that crashes the worker every time it is sent."""
    port = free_port()

    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            raw = data if isinstance(data, bytes) else data.encode()
            message = message_from_bytes(raw)
            if POISON in str(message.get("Subject", "")) and on_poison:
                with counter.lock:
                    counter.refused += 1
                on_poison()
                return "451 the worker died"
            counter.add(message.get("Message-ID", "?"))

    Sink(("127.0.0.1", port), None, decode_data=False)
    threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.5}, daemon=True).start()
    return port


# --- the processes -------------------------------------------------------------------


def _rss(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Stack:
    def __init__(
        self, tmp: Path, env: dict, pg_port: int, redis_port: int, http_port: int
    ):
        self.tmp, self.env = tmp, env
        self.pg_port, self.redis_port, self.http_port = pg_port, redis_port, http_port
        self.pgdata = tmp / "pgdata"
        self.procs: dict[str, subprocess.Popen] = {}
        self.lock = threading.RLock()
        self.rss: dict[int, list[tuple[float, int, int]]] = {}

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
        with self.lock:
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

    def worker_alive(self) -> bool:
        proc = self.procs.get("worker")
        return proc is not None and proc.poll() is None

    def sample_rss(self) -> None:
        """VmRSS (kB) of the worker's main process and the sum of its pool
        processes, keyed by the main process's pid."""
        proc = self.procs.get("worker")
        if proc is None or proc.poll() is not None:
            return
        main = _rss(proc.pid)
        children = 0
        with contextlib.suppress(OSError):
            for pid in (
                Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            ):
                children += _rss(int(pid))
        if main:
            self.rss.setdefault(proc.pid, []).append((time.monotonic(), main, children))

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


def _count(seen: dict[str, int], ids: set[str]) -> tuple[int, int]:
    """(delivered, duplicated) of ``ids`` in a receiver's ``seen``."""
    got = ids & set(seen)
    return len(got), sum(seen[k] - 1 for k in got)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--seconds", type=int, default=60, help="fault time per scenario"
    )
    parser.add_argument(
        "--scenarios", default="kill,redis,pg,beats,slow,failing,poison"
    )
    parser.add_argument(
        "--rate", type=float, default=2.0, help="complaints and e-mails per second"
    )
    parser.add_argument("--drain", type=int, default=240, help="max seconds to drain")
    parser.add_argument(
        "--short",
        action="store_true",
        help="CI size: one worker kill and one PostgreSQL restart, 20 s each",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temp folder (logs)"
    )
    args = parser.parse_args()
    if args.short:
        args.scenarios, args.seconds, args.drain = "kill,pg", 20, 150

    tmp = Path(tempfile.mkdtemp(prefix="kefu-faults-"))
    pg_port, redis_port, http_port = free_port(), free_port(), free_port()
    hooks, mails = Counter(), Counter()
    _server, hook_url = start_receiver(hooks)
    stack_box: list[Stack] = []

    def kill_worker() -> None:  # the poison message: the worker dies sending it
        proc = stack_box[0].procs.get("worker") if stack_box else None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    smtp_port = start_smtp_sink(mails, on_poison=kill_worker)
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
        "KEFU_NOTIFICATION_MAX_ATTEMPTS": "3",
        "KEFU_WEBHOOK_DISABLE_AFTER_FAILURES": "10",
        "KEFU_WEBHOOK_MAX_ATTEMPTS": "1000",
        "KEFU_API_RATE": "100000/min",
    }
    stack = Stack(tmp, env, pg_port, redis_port, http_port)
    stack_box.append(stack)
    rows = []
    extra: list[str] = []
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
        from datetime import timedelta

        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.db import close_old_connections
        from django.utils import timezone

        from complaints.models import Complaint, SlaTarget
        from crm.models import Customer, Notification, Revisit
        from crm.notifications import notify
        from partners.models import WebhookDelivery, WebhookEndpoint
        from partners.services import (
            api_key_create,
            partner_get_or_create,
            webhook_endpoint_update,
        )

        partner, _ = partner_get_or_create(name="faults")
        _key, raw = api_key_create(
            actor=None,
            partner=partner,
            name="faults",
            scopes=["complaints:read", "complaints:write"],
        )
        endpoint = WebhookEndpoint.objects.create(
            partner=partner,
            url=hook_url,
            secret="whsec_faults_0000000",
            events=["complaint.created"],
        )
        staff = get_user_model().objects.create_user("faults", "faults@example.cn", "x")
        customer = Customer.objects.create(code="FAULTS0001", name="故障测试客户")
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "kefu.local"
        stack.web()
        stack.worker()
        stack.beat()
        base = f"http://127.0.0.1:{http_port}"
        time.sleep(4)

        def sampler():
            while True:
                stack.sample_rss()
                time.sleep(5)

        threading.Thread(target=sampler, daemon=True).start()

        def mail_id(pk: int) -> str:
            return f"<notification-{pk}@{domain}>"

        for scenario in args.scenarios.split(","):
            hooks.reset()
            mails.reset()
            hooks.delay = 6.0 if scenario == "slow" else 0.0
            hooks.failing = scenario == "failing"
            hooks.refused = mails.refused = 0
            stop = threading.Event()
            references: list[str] = []
            keys: list[str] = []
            revisits: list[int] = []

            def load(
                scenario=scenario,
                stop=stop,
                references=references,
                keys=keys,
                revisits=revisits,
            ):
                n = 0
                while not stop.is_set():
                    n += 1
                    ref = post_complaint(base, raw, hash((scenario, n)) & 0xFFFFFFF)
                    for _try in range(30):
                        try:
                            close_old_connections()
                            if ref and n % 5 == 0:
                                # Its reply SLA is overdue: one breach notice.
                                Complaint.objects.filter(reference=ref).update(
                                    assignee=staff
                                )
                                SlaTarget.objects.filter(
                                    complaint__reference=ref,
                                    kind=SlaTarget.Kind.REPLY,
                                    met_at__isnull=True,
                                ).update(due_at=timezone.now())
                            if n % 3 == 0:
                                revisits.append(
                                    Revisit.objects.create(
                                        customer=customer,
                                        assignee=staff,
                                        due_at=timezone.now() + timedelta(minutes=30),
                                        purpose="care",
                                        key=f"faults:{scenario}:{n}",
                                    ).pk
                                )
                            key = f"faults:{scenario}:{n}"
                            title = key
                            if scenario == "poison" and n == 2:
                                title = f"{key} {POISON}"
                            notify(recipient=staff, kind="faults", title=title, key=key)
                            keys.append(key)
                            break
                        except Exception:
                            time.sleep(1)
                    if ref:
                        references.append(ref)
                    time.sleep(1 / args.rate)

            loader = threading.Thread(target=load, daemon=True)
            loader.start()
            started = time.monotonic()
            kills = 0
            if scenario == "beats":
                stack.beat("beat2")
            while time.monotonic() - started < args.seconds:
                elapsed = time.monotonic() - started
                if scenario == "kill" and (kills == 0 or not args.short):
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
                if (
                    scenario == "failing"
                    and hooks.failing
                    and elapsed > args.seconds / 2
                ):
                    hooks.failing = False
                if not stack.worker_alive():  # the poison killed it
                    kills += scenario == "poison"
                    stack.kill("worker")
                    stack.worker()
            stop.set()
            loader.join(timeout=60)
            hooks.failing = False
            if scenario == "beats":
                stack.kill("beat2", signal.SIGTERM)
            if scenario == "failing":
                close_old_connections()
                endpoint.refresh_from_db()
                extra.append(
                    f"failing: receiver refused {hooks.refused} posts; endpoint "
                    f"auto-disabled: {'yes' if not endpoint.is_active else 'no'}; "
                    "re-enabled by the operator"
                )
                if not endpoint.is_active:
                    webhook_endpoint_update(
                        actor=None, endpoint=endpoint, is_active=True
                    )
            deadline = time.monotonic() + args.drain
            while True:
                if not stack.worker_alive():
                    stack.kill("worker")
                    stack.worker()
                close_old_connections()
                events = {
                    str(e)
                    for e in WebhookDelivery.objects.filter(
                        complaint_reference__in=references
                    ).values_list("event_id", flat=True)
                }
                ids = dict(
                    Notification.objects.filter(key__in=keys).values_list("key", "pk")
                )
                poison_key = f"faults:{scenario}:2" if scenario == "poison" else ""
                mail_ids = {mail_id(pk) for k, pk in ids.items() if k != poison_key}
                wanted = {f"revisit:{pk}:" for pk in revisits}
                rem_ids = {
                    mail_id(pk)
                    for pk, key in Notification.objects.filter(
                        kind="revisit_due_soon", key__startswith="revisit:"
                    ).values_list("pk", "key")
                    if key[: key.index(":", 8) + 1] in wanted
                }
                sla_targets = list(
                    SlaTarget.objects.filter(
                        complaint__reference__in=references,
                        complaint__assignee=staff,
                        kind=SlaTarget.Kind.REPLY,
                    ).values_list("pk", flat=True)
                )
                sla_ids = {
                    mail_id(pk)
                    for pk in Notification.objects.filter(
                        key__in=[f"sla:{t}:breached" for t in sla_targets]
                    ).values_list("pk", flat=True)
                }
                counts = {
                    "hooks": (len(references), *_count(hooks.seen, events)),
                    "mails": (len(mail_ids), *_count(mails.seen, mail_ids)),
                    "rem": (len(revisits), *_count(mails.seen, rem_ids)),
                    "sla": (len(sla_targets), *_count(mails.seen, sla_ids)),
                }
                poison_done = (
                    not poison_key
                    or Notification.objects.filter(
                        key=poison_key, email_status="failed"
                    ).exists()
                )
                if (
                    all(c[0] == c[1] for c in counts.values()) and poison_done
                ) or time.monotonic() > deadline:
                    break
                time.sleep(3)
            if poison_key:
                row = Notification.objects.filter(key=poison_key).first()
                extra.append(
                    f"poison: the poison e-mail killed the worker {mails.refused} times; "
                    f"its status {row.email_status if row else '?'} after "
                    f"{row.email_attempts if row else '?'} started sends; "
                    f"its {len(mail_ids)} batch-mates delivered "
                    f"{counts['mails'][1]}"
                )
            rows.append((scenario, kills, counts))
            print(f"{scenario}: done {counts}", flush=True)
    finally:
        stack.stop_all()
        if args.keep:
            print(f"logs in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print()
    head = f"{'scenario':<9}{'faults':>7}"
    for name in ("hooks", "mails", "rem", "sla"):
        head += f"{name + ' exp':>10}{'deliv':>6}{'lost':>5}{'dup':>4}"
    print(head)
    ok = True
    for scenario, faults, counts in rows:
        line = f"{scenario:<9}{faults:>7}"
        for name in ("hooks", "mails", "rem", "sla"):
            expected, delivered, dup = counts[name]
            ok = ok and expected == delivered
            line += f"{expected:>10}{delivered:>6}{expected - delivered:>5}{dup:>4}"
        print(line)
    for line in extra:
        print(line)
    print()
    print(
        "worker RSS (kB; main process, pool processes) per incarnation living >= 60 s:"
    )
    for pid, samples in stack.rss.items():
        if len(samples) < 2 or samples[-1][0] - samples[0][0] < 60:
            continue
        (t0, m0, c0), (t1, m1, c1) = samples[0], samples[-1]
        peak = max(s[1] for s in samples)
        print(
            f"  pid {pid}: {t1 - t0:>5.0f} s  main {m0} -> {m1} (peak {peak})  "
            f"pool {c0} -> {c1}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
