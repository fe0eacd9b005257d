"""A real Celery worker killed in the middle of sending reminders loses none and
sends none twice (filesystem broker, and Redis where it runs — always in CI).

The worker process shares the test database, so this needs PostgreSQL (the
SQLite test database lives in the test process's memory).
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from crm.models import Notification
from crm.services.reminders import revisit_sweep
from tests.config.test_celery_worker import _broker_config
from tests.factories.crm import CustomerFactory, RevisitFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="the worker process must share the test database (PostgreSQL)",
    ),
]


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return (
        f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    )


def _wait(predicate, timeout=60.0, every=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


@pytest.fixture(params=["filesystem", "redis"])
def workers(request, tmp_path, monkeypatch):
    """Start workers on demand (``start()``); every one is stopped at the end."""
    config = _broker_config(request.param, tmp_path)
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_RESULT_BACKEND", raising=False)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.crm.worker_settings",
        DATABASE_URL=_database_url(),
        KEFU_VAR_DIR=str(tmp_path),
        KEFU_TEST_MAIL_DIR=str(mail_dir),
        KEFU_NOTIFICATION_LEASE_SECONDS="3",
        CELERY_BROKER_URL=config["broker_url"],
        CELERY_RESULT_BACKEND=config["result_backend"],
    )
    queue = f"kefu-crm-test-{os.getpid()}-{request.param}"
    procs = []

    def start():
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
                f"--queues={queue}",
                f"--logfile={tmp_path / f'worker-{len(procs)}.log'}",
            ],
            cwd=ROOT,
            env=env,
        )
        procs.append(proc)
        return proc

    from celery import Celery

    client = Celery("kefu-crm-test-client")
    client.conf.update(
        broker_url=config["broker_url"],
        broker_transport_options=config["broker_transport_options"],
        result_backend=config["result_backend"],
        task_serializer="json",
        accept_content=["json"],
    )
    try:
        yield client, queue, start, mail_dir
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        client.close()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_loses_no_reminder_and_sends_none_twice(
    workers, monkeypatch
):
    client, queue, start, mail_dir = workers
    monkeypatch.setattr("crm.notifications._enqueue_delivery", lambda: None)
    # Given five revisits due within the hour, reminded by the sweep
    agent = UserFactory(username="worker_agent", email="agent@kefu.test")
    customer = CustomerFactory()
    for minutes in range(10, 60, 10):
        RevisitFactory(
            customer=customer,
            assignee=agent,
            due_at=timezone.now() + timedelta(minutes=minutes),
        )
    assert revisit_sweep() == 5
    assert Notification.objects.filter(email_status="pending").count() == 5

    # When a worker starts delivering and is killed while sending the first e-mail
    (mail_dir / "hang").touch()
    first = start()
    client.send_task("crm.deliver_notification_emails", queue=queue)
    assert _wait(lambda: any(mail_dir.glob("sending-*"))), "worker never sent"
    first.kill()
    first.wait(timeout=20)
    (mail_dir / "hang").unlink()
    # Then nothing was marked sent, and the rows are leased by the dead worker
    assert not list(mail_dir.glob("sent-*"))
    assert Notification.objects.filter(email_status="sent").count() == 0
    assert Notification.objects.filter(email_lease_until__isnull=False).exists()

    # When a new worker runs the delivery every second (as beat does every minute)
    second = start()

    def all_sent():
        client.send_task("crm.deliver_notification_emails", queue=queue)
        return Notification.objects.filter(email_status="sent").count() == 5

    assert _wait(all_sent, timeout=90, every=1.0), "reminders were lost"
    # Let any redelivered or queued duplicate task run before counting.
    time.sleep(3)
    assert second.poll() is None
    # Then every reminder went out exactly once.
    sent = sorted(p.name.split("-")[2] for p in mail_dir.glob("sent-*"))
    expected = sorted(
        str(pk) for pk in Notification.objects.values_list("pk", flat=True)
    )
    assert sent == expected
    assert all(
        n.email_attempts >= 2 or n.emailed_at is not None
        for n in Notification.objects.all()
    )
