"""Revisit reminders: raised exactly once per (revisit, kind, due time), delivered
by e-mail exactly once, under double and concurrent sweeps and expired leases."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from crm.models import Notification, Revisit
from crm.notification_emails import notification_emails_deliver
from crm.services import revisit_complete, revisit_reschedule
from crm.services.reminders import revisit_sweep
from tests.factories.crm import CustomerFactory, RevisitFactory

pytestmark = pytest.mark.django_db

ON_POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Unit tests run delivery themselves; record the on-commit enqueues instead."""
    calls = []
    monkeypatch.setattr("crm.notifications._enqueue_delivery", lambda: calls.append(1))
    return calls


def test_assignee_is_reminded_an_hour_before_and_supervisor_when_overdue(org):
    now = timezone.now()
    customer = CustomerFactory(department=org.dept_a)
    soon = RevisitFactory(
        customer=customer, assignee=org.agent_a, due_at=now + timedelta(minutes=50)
    )
    later = RevisitFactory(
        customer=customer, assignee=org.agent_a, due_at=now + timedelta(hours=3)
    )
    late = RevisitFactory(
        customer=customer, assignee=org.agent_a, due_at=now - timedelta(minutes=5)
    )
    assert revisit_sweep(now=now) == 3  # soon + late remind, late escalates
    reminders = Notification.objects.filter(kind="revisit_due_soon")
    assert {n.recipient for n in reminders} == {org.agent_a}
    assert {n.key.split(":")[1] for n in reminders} == {str(soon.pk), str(late.pk)}
    overdue = Notification.objects.get(kind="revisit_overdue")
    assert overdue.recipient == org.supervisor_a  # the team's supervisor
    assert overdue.key.startswith(f"revisit:{late.pk}:overdue:")
    assert overdue.link == f"/admin/crm/revisit/{late.pk}/change/"
    later.refresh_from_db()
    assert later.reminded_at is None
    # Twice, or again a minute later: nothing new.
    assert revisit_sweep(now=now) == 0
    assert revisit_sweep(now=now + timedelta(minutes=1)) == 0
    assert Notification.objects.count() == 3


def test_done_and_cancelled_revisits_are_not_reminded(org):
    now = timezone.now()
    revisit = RevisitFactory(
        customer=CustomerFactory(department=org.dept_a),
        assignee=org.agent_a,
        due_at=now - timedelta(hours=1),
    )
    revisit_complete(actor=org.manager_a, revisit=revisit, outcome="reached")
    assert revisit_sweep(now=now) == 0


def test_a_rescheduled_revisit_is_reminded_again_for_its_new_time(org):
    now = timezone.now()
    revisit = RevisitFactory(
        customer=CustomerFactory(department=org.dept_a),
        assignee=org.agent_a,
        due_at=now + timedelta(minutes=30),
    )
    assert revisit_sweep(now=now) == 1
    revisit_reschedule(
        actor=org.manager_a, revisit=revisit, due_at=now + timedelta(days=1)
    )
    assert revisit_sweep(now=now) == 0
    assert revisit_sweep(now=now + timedelta(hours=23, minutes=30)) == 1
    assert Notification.objects.filter(kind="revisit_due_soon").count() == 2


def test_unassigned_revisits_go_to_the_department_manager(org):
    org.dept_a.manager = org.manager_a
    org.dept_a.save()
    RevisitFactory(
        customer=CustomerFactory(department=org.dept_a),
        due_at=timezone.now() - timedelta(minutes=1),
    )
    revisit_sweep()
    assert set(Notification.objects.values_list("recipient", "kind")) == {
        (org.manager_a.pk, "revisit_due_soon"),
        (org.manager_a.pk, "revisit_overdue"),
    }


def test_the_sweep_enqueues_one_delivery_per_transaction(
    org, _no_broker, django_capture_on_commit_callbacks
):
    now = timezone.now()
    for _ in range(5):
        RevisitFactory(
            customer=CustomerFactory(department=org.dept_a),
            assignee=org.agent_a,
            due_at=now + timedelta(minutes=10),
        )
    with django_capture_on_commit_callbacks(execute=True):
        revisit_sweep(now=now)
    assert len(_no_broker) == 1


def test_the_sweep_query_count_does_not_grow_with_rows(
    org, django_assert_max_num_queries
):
    now = timezone.now()
    for _ in range(30):
        RevisitFactory(
            customer=CustomerFactory(department=org.dept_a),
            assignee=org.agent_a,
            due_at=now + timedelta(minutes=10),
        )
    # Per batch: claim, existing keys, one bulk insert, stamp — whatever the rows.
    with django_assert_max_num_queries(16):
        revisit_sweep(now=now)


def test_delivery_sends_each_email_once_and_marks_it_sent(org):
    now = timezone.now()
    RevisitFactory(
        customer=CustomerFactory(department=org.dept_a),
        assignee=org.agent_a,
        due_at=now + timedelta(minutes=30),
    )
    revisit_sweep(now=now)
    assert notification_emails_deliver() == 1
    assert notification_emails_deliver() == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [org.agent_a.email]
    assert message.extra_headers["Message-ID"].startswith("<notification-")
    row = Notification.objects.get()
    assert row.email_status == "sent" and row.emailed_at and row.email_attempts == 1


def test_a_live_lease_is_respected_and_an_expired_one_reclaimed(org):
    now = timezone.now()
    RevisitFactory(
        customer=CustomerFactory(department=org.dept_a),
        assignee=org.agent_a,
        due_at=now + timedelta(minutes=30),
    )
    revisit_sweep(now=now)
    # A worker leased the row and died before sending.
    Notification.objects.update(
        email_lease_until=now + timedelta(minutes=5), email_attempts=1
    )
    assert notification_emails_deliver(now=now) == 0
    assert mail.outbox == []
    assert notification_emails_deliver(now=now + timedelta(minutes=6)) == 1
    assert len(mail.outbox) == 1
    assert Notification.objects.get().email_attempts == 2


def test_a_failing_send_is_retried_then_marked_failed(org, monkeypatch, settings):
    settings.KEFU_NOTIFICATION_MAX_ATTEMPTS = 2
    RevisitFactory(
        customer=CustomerFactory(department=org.dept_a),
        assignee=org.agent_a,
        due_at=timezone.now(),
    )
    revisit_sweep()

    def broken(self, fail_silently=False):
        raise OSError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken)
    assert notification_emails_deliver() == 0
    row = Notification.objects.filter(kind="revisit_due_soon").get()
    assert row.email_status == "pending" and row.email_lease_until is None
    notification_emails_deliver()
    row.refresh_from_db()
    assert row.email_status == "failed" and row.email_attempts == 2


def test_recipients_without_email_are_skipped(org):
    org.agent_a.email = ""
    org.agent_a.save()
    RevisitFactory(
        customer=CustomerFactory(department=org.dept_a),
        assignee=org.agent_a,
        due_at=timezone.now() + timedelta(minutes=1),
    )
    revisit_sweep()
    row = Notification.objects.get(kind="revisit_due_soon")
    assert row.email_status == "skipped"
    notification_emails_deliver()
    assert mail.outbox == [] or all(m.to != [""] for m in mail.outbox)


def _run_threads(target, count):
    errors = []
    barrier = threading.Barrier(count)

    def run():
        try:
            barrier.wait()
            target()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent sweeps need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_and_deliveries_remind_each_revisit_exactly_once(org):
    now = timezone.now()
    customer = CustomerFactory(department=org.dept_a)
    Revisit.objects.bulk_create(
        [
            Revisit(
                customer=customer,
                purpose="satisfaction",
                due_at=now + timedelta(minutes=i % 50) - timedelta(minutes=20),
                assignee=org.agent_a,
                key=f"load:{i}",
            )
            for i in range(300)
        ]
    )
    expected_overdue = Revisit.objects.filter(due_at__lte=now).count()
    # Small batches so that the sweepers interleave.
    errors = _run_threads(lambda: revisit_sweep(now=now, batch=7), 8)
    assert errors == []
    assert Notification.objects.filter(kind="revisit_due_soon").count() == 300
    assert Notification.objects.filter(kind="revisit_overdue").count() == (
        expected_overdue
    )
    assert not Revisit.objects.filter(reminded_at__isnull=True).exists()

    errors = _run_threads(lambda: notification_emails_deliver(batch=5), 8)
    assert errors == []
    total = 300 + expected_overdue
    assert len(mail.outbox) == total
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert len(set(ids)) == total  # no e-mail twice
    assert Notification.objects.filter(email_status="sent").count() == total


def test_a_worker_whose_lease_expired_does_not_send_what_another_worker_sent(org):
    from crm.notification_emails import _claim_emails, _deliver_claimed

    now = timezone.now()
    RevisitFactory(
        customer=CustomerFactory(department=org.dept_a),
        assignee=org.agent_a,
        due_at=now + timedelta(minutes=30),
    )
    revisit_sweep(now=now)
    # Worker A leases the row, then stalls past its lease...
    slow = _claim_emails(now, 10)
    # ...worker B reclaims the expired lease and sends.
    assert notification_emails_deliver(now=now + timedelta(minutes=6)) == 1
    # A wakes up: it no longer holds the lease and sends nothing.
    assert _deliver_claimed(slow) == 0
    assert len(mail.outbox) == 1


def test_a_broken_mail_server_costs_one_attempt_per_run(org, monkeypatch):
    now = timezone.now()
    for _ in range(3):
        RevisitFactory(
            customer=CustomerFactory(department=org.dept_a),
            assignee=org.agent_a,
            due_at=now + timedelta(minutes=30),
        )
    revisit_sweep(now=now)

    def broken(self, fail_silently=False):
        raise OSError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken)
    notification_emails_deliver(batch=2)  # full batches make the loop go on
    assert set(Notification.objects.values_list("email_attempts", flat=True)) == {1}
