"""Issue 14, point 4 and 6: every task goes to its queue with that queue's time
limits; one worker started without -Q (``make run``) consumes them all; pool
children are recycled."""

from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = {
    "complaints.sla_sweep": "sweeps",
    "crm.revisit_sweep": "sweeps",
    "crm.revisit_plan_by_rules": "sweeps",
    "training.certification_sweep": "sweeps",
    "partners.prune_webhook_backlog": "sweeps",
    "partners.purge_idempotency_records": "sweeps",
    "complaints.auto_close": "sweeps",
    "complaints.capa_overdue_sweep": "sweeps",
    "complaints.capa_spike_sweep": "sweeps",
    "complaints.article_review_reminders": "sweeps",
    "aftersales.visit_reminders": "sweeps",
    "crm.deliver_notification_emails": "email",
    "complaints.deliver_customer_messages": "email",
    "complaints.poll_inbound_email": "email",
    "partners.deliver_webhooks": "webhooks",
    "kpi.compute_snapshots": "kpi",
    "kpi.compute_period": "kpi",
    "kpi.send_monthly_reports": "kpi",
    "kpi.open_due_audits": "kpi",
    "kpi.draw_inspection_samples": "kpi",
    "kefu.heartbeat": "default",
    "complaints.sla_policy_recompute": "default",
    "training.attitude_check": "default",
}


@pytest.fixture(scope="module")
def tasks():
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if "." in name}


def _queue_of(name: str) -> str:
    return app.amqp.router.route({}, name)["queue"].name


@pytest.mark.parametrize(("name", "queue"), sorted(EXPECTED.items()))
def test_each_task_resolves_to_its_queue(tasks, name, queue):
    assert name in tasks
    assert _queue_of(name) == queue
    soft, hard = settings.KEFU_QUEUE_TIME_LIMITS[queue]
    assert (tasks[name].soft_time_limit, tasks[name].time_limit) == (soft, hard)
    assert soft < hard


def test_every_kefu_task_is_routed(tasks):
    ours = {n for n in tasks if not n.startswith("celery.")}
    assert ours == set(EXPECTED), "route the new task in KEFU_TASK_QUEUES"


def test_one_worker_without_queues_consumes_all_of_them():
    assert {q.name for q in app.conf.task_queues} == set(settings.KEFU_TASK_QUEUES)
    assert set(app.amqp.queues) == set(settings.KEFU_TASK_QUEUES)
    run = (ROOT / "scripts" / "run.sh").read_text()
    worker_line = next(
        line for line in run.splitlines() if "worker" in line and "celery" in line
    )
    assert " -Q" not in worker_line and "--queues" not in worker_line


def test_webhook_sweep_budget_ends_before_its_soft_limit():
    soft, _hard = settings.KEFU_QUEUE_TIME_LIMITS["webhooks"]
    assert soft > settings.KEFU_WEBHOOK_SWEEP_SECONDS


def test_pool_children_are_recycled():
    assert (
        app.conf.worker_max_tasks_per_child
        == settings.CELERY_WORKER_MAX_TASKS_PER_CHILD
        > 0
    )
    assert (
        app.conf.worker_max_memory_per_child
        == settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD
        > 0
    )


def test_a_webhook_lease_covers_one_whole_attempt():
    """Otherwise the check before each POST would never pass."""
    from partners.webhooks import _row_seconds

    assert _row_seconds() < settings.KEFU_WEBHOOK_LEASE_SECONDS
