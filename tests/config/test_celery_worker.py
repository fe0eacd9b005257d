"""A task runs through a real Celery worker process, on each broker we support.

The worker is started as ``celery -A config worker`` in a subprocess, exactly as in
production; the test publishes by task name and waits for the result.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from celery import Celery
from django.db import transaction

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def _redis_url() -> str | None:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if url.startswith("redis://"):
        return url
    candidate = "redis://127.0.0.1:6379/13"
    try:
        import redis

        redis.Redis.from_url(candidate, socket_connect_timeout=1).ping()
    except Exception:
        if os.environ.get("CI"):
            raise  # CI promises Redis: a missing one is a failure, not a skip
        return None
    return candidate


def _broker_config(kind: str, var_dir: Path) -> dict:
    if kind == "filesystem":
        folder = var_dir / "celery" / "broker"
        folder.mkdir(parents=True)
        (var_dir / "celery" / "results").mkdir(parents=True)
        return {
            "broker_url": "filesystem://",
            "broker_transport_options": {
                "data_folder_in": str(folder),
                "data_folder_out": str(folder),
                "store_processed": False,
                "control_folder": str(var_dir / "celery" / "control"),
            },
            "result_backend": f"file://{var_dir / 'celery' / 'results'}",
        }
    url = _redis_url()
    if url is None:
        pytest.skip("no Redis on 127.0.0.1:6379 (set CI=true to make this fail)")
    return {"broker_url": url, "result_backend": url, "broker_transport_options": {}}


@pytest.fixture(params=["filesystem", "redis"])
def worker(request, tmp_path, monkeypatch):
    config = _broker_config(request.param, tmp_path)
    # Celery reads these variables ahead of any configuration: clear them so the
    # test client talks to the broker under test.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_RESULT_BACKEND", raising=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        KEFU_VAR_DIR=str(tmp_path),
        CELERY_BROKER_URL=config["broker_url"],
        CELERY_RESULT_BACKEND=config["result_backend"],
    )
    log = tmp_path / "worker.log"
    queue = f"kefu-test-{os.getpid()}-{request.param}"
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
            f"--logfile={log}",
        ],
        cwd=ROOT,
        env=env,
    )
    client = Celery("kefu-test-client")
    client.conf.update(
        broker_url=config["broker_url"],
        broker_transport_options=config["broker_transport_options"],
        result_backend=config["result_backend"],
        task_serializer="json",
        accept_content=["json"],
    )
    try:
        yield client, queue, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        client.close()


def test_task_runs_in_a_real_worker(worker):
    client, queue, proc = worker
    # When a task is published by its explicit name (beat's heartbeat)
    result = client.send_task("kefu.heartbeat", queue=queue)
    # Then the worker process runs it and stores the result.
    assert result.get(timeout=60) == "pong"
    assert proc.poll() is None  # still running, not crashed


@pytest.mark.django_db(transaction=True)
def test_a_task_is_published_only_after_commit_and_once(monkeypatch):
    """How Kefu enqueues (there is no ``delay_on_commit``): the outbox row is
    written in the transaction and the task is published by
    ``transaction.on_commit`` — once per transaction (crm.notifications)."""
    from crm import notifications
    from crm.notification_emails import deliver_notification_emails

    sent = []
    monkeypatch.setattr(
        deliver_notification_emails, "apply_async", lambda *a, **kw: sent.append(a)
    )
    with transaction.atomic():
        notifications.enqueue_delivery_on_commit()
        notifications.enqueue_delivery_on_commit()
        assert sent == []  # nothing leaves while the transaction is open
    assert len(sent) == 1


@pytest.mark.django_db(transaction=True)
def test_nothing_is_published_for_a_transaction_that_rolls_back(monkeypatch):
    from crm import notifications
    from crm.notification_emails import deliver_notification_emails

    sent = []
    monkeypatch.setattr(
        deliver_notification_emails, "apply_async", lambda *a, **kw: sent.append(a)
    )
    with transaction.atomic():
        notifications.enqueue_delivery_on_commit()
        transaction.set_rollback(True)
    assert sent == []
