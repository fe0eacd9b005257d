"""Issue 14, point 3: the staff e-mail outbox counts an attempt only when a
send started for that row, isolates a message that crashes the worker (poison)
without failing its batch-mates, and failed e-mails can be sent again from the
admin."""

import contextlib
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from crm.models import Notification
from crm.notification_emails import notification_emails_deliver
from crm.notifications import notify
from crm.services import notification_email_retry

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs."""


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("crm.notifications._enqueue_delivery", lambda: None)


def _raise_notifications(user, count):
    for n in range(count):
        notify(recipient=user, kind="test", title=f"通知 {n}", key=f"outbox:{n}")
    return list(Notification.objects.order_by("pk"))


def _poison(monkeypatch, title):
    """Sending the message titled ``title`` kills the worker."""
    real_send = mail.EmailMessage.send

    def send(self, fail_silently=False):
        if self.subject == title:
            raise WorkerKilled()
        return real_send(self, fail_silently)

    monkeypatch.setattr("django.core.mail.EmailMessage.send", send)


def test_a_crash_costs_an_attempt_only_to_the_message_being_sent(
    org, monkeypatch, settings
):
    # Given five pending e-mails, the third kills the worker
    rows = _raise_notifications(org.agent_a, 5)
    _poison(monkeypatch, "通知 2")
    now = timezone.now()

    # When a delivery run claims all five and dies on the third
    with pytest.raises(WorkerKilled):
        notification_emails_deliver(now=now)

    # Then the two sent are sent, the poison has one attempt, and the two never
    # tried have none (before issue 14: every claimed row had one)
    attempts = dict(Notification.objects.values_list("title", "email_attempts"))
    assert attempts == {"通知 0": 1, "通知 1": 1, "通知 2": 1, "通知 3": 0, "通知 4": 0}
    assert [m.subject for m in mail.outbox] == ["通知 0", "通知 1"]
    assert rows[3].pk in Notification.objects.filter(
        email_status="pending", email_lease_until__isnull=False
    ).values_list("pk", flat=True)


def test_a_poison_message_is_isolated_and_its_batch_mates_all_go_out(
    org, monkeypatch, settings
):
    settings.KEFU_NOTIFICATION_MAX_ATTEMPTS = 3
    _raise_notifications(org.agent_a, 5)
    _poison(monkeypatch, "通知 0")  # first in every batch
    now = timezone.now()

    # Each run dies on the poison; the lease of what it held expires before
    # the next run (the worker was killed: nobody releases it).
    for run in range(6):
        later = run * timedelta(seconds=settings.KEFU_NOTIFICATION_LEASE_SECONDS + 1)
        with contextlib.suppress(WorkerKilled):
            notification_emails_deliver(now=now + later)

    rows = {r.title: r for r in Notification.objects.all()}
    assert rows["通知 0"].email_status == "failed"
    assert rows["通知 0"].email_attempts == 3
    for n in range(1, 5):
        assert rows[f"通知 {n}"].email_status == "sent"
        assert rows[f"通知 {n}"].email_attempts == 1
    assert sorted(m.subject for m in mail.outbox) == [f"通知 {n}" for n in range(1, 5)]


def test_a_message_sent_before_is_claimed_alone(org, monkeypatch):
    _raise_notifications(org.agent_a, 3)
    Notification.objects.filter(title="通知 2").update(email_attempts=1)
    from crm.notification_emails import _claim_emails

    now = timezone.now()
    first = _claim_emails(now, 50)
    second = _claim_emails(now, 50)

    titles = dict(Notification.objects.values_list("pk", "title"))
    assert [titles[lease.pk] for lease in first] == ["通知 0", "通知 1"]
    assert [titles[lease.pk] for lease in second] == ["通知 2"]


def test_failed_emails_are_sent_again_from_the_admin(org, client, monkeypatch):
    _raise_notifications(org.agent_a, 2)
    Notification.objects.filter(title="通知 0").update(
        email_status="failed", email_attempts=5
    )
    client.force_login(org.agent_a)

    response = client.post(
        "/admin/crm/notification/",
        {
            "action": "retry_emails",
            "_selected_action": list(Notification.objects.values_list("pk", flat=True)),
        },
        follow=True,
    )

    assert response.status_code == 200
    row = Notification.objects.get(title="通知 0")
    assert (row.email_status, row.email_attempts) == ("pending", 0)
    assert Notification.objects.get(title="通知 1").email_status == "pending"
    assert notification_emails_deliver() == 2
    assert set(Notification.objects.values_list("email_status", flat=True)) == {"sent"}


def test_retry_leaves_rows_that_are_not_failed(org):
    rows = _raise_notifications(org.agent_a, 2)
    Notification.objects.filter(pk=rows[0].pk).update(email_status="sent")
    assert notification_email_retry(actor=org.agent_a, notifications=rows) == 0
    assert Notification.objects.get(pk=rows[0].pk).email_status == "sent"


def test_no_send_starts_past_the_budget_and_the_rows_are_released(org, monkeypatch):
    _raise_notifications(org.agent_a, 3)
    assert notification_emails_deliver(budget_seconds=0) == 0
    assert mail.outbox == []
    assert not Notification.objects.filter(email_lease_until__isnull=False).exists()
    assert set(Notification.objects.values_list("email_attempts", flat=True)) == {0}


def test_the_task_budget_stays_under_its_soft_limit(monkeypatch):
    from crm import notification_emails

    seen = {}
    monkeypatch.setattr(
        notification_emails,
        "notification_emails_deliver",
        lambda **kw: seen.update(kw) or 0,
    )
    task = notification_emails.deliver_notification_emails
    task.apply()
    soft = task.soft_time_limit
    assert seen["budget_seconds"] == soft - notification_emails.EMAIL_SEND_MARGIN > 0


def test_attachments_go_out_with_their_email_once(org):
    from crm.models import NotificationAttachment
    from crm.notifications import EmailAttachment

    # Given a notification raised twice with a file (a re-run's file differs)
    pack = EmailAttachment("report.xlsx", b"PK\x03\x04first", "application/x-test")
    notify(
        recipient=org.manager_a,
        kind="test",
        title="月报",
        key="outbox:pack",
        attachments=[pack],
    )
    _row, created = notify(
        recipient=org.manager_a,
        kind="test",
        title="月报",
        key="outbox:pack",
        attachments=[EmailAttachment("report.xlsx", b"second")],
    )

    # When the outbox delivers, twice
    sent = (notification_emails_deliver(), notification_emails_deliver())

    # Then one e-mail went out, carrying the first file, byte for byte
    assert not created and sent == (1, 0)
    assert NotificationAttachment.objects.count() == 1
    (message,) = mail.outbox
    assert message.attachments == [
        ("report.xlsx", b"PK\x03\x04first", "application/x-test")
    ]
    row = Notification.objects.get(key="outbox:pack")
    assert (row.email_status, row.email_attempts) == ("sent", 1)


def test_no_file_is_kept_for_a_notification_without_an_email(org):
    from crm.models import NotificationAttachment
    from crm.notifications import EmailAttachment

    type(org.agent_a).objects.filter(pk=org.agent_a.pk).update(email="")
    org.agent_a.refresh_from_db()
    notify(
        recipient=org.agent_a,
        kind="test",
        title="月报",
        key="outbox:no-address",
        attachments=[EmailAttachment("report.xlsx", b"x")],
    )
    assert Notification.objects.get().email_status == "skipped"
    assert not NotificationAttachment.objects.exists()


def test_a_lost_lease_sends_no_attachment_twice(org, monkeypatch):
    """The attachment rides on the row's lease: a worker whose lease was
    taken over sends nothing, the new holder sends the file once."""
    from crm.notification_emails import _claim_emails, _deliver_claimed
    from crm.notifications import EmailAttachment

    notify(
        recipient=org.manager_a,
        kind="test",
        title="月报",
        key="outbox:lease",
        attachments=[EmailAttachment("report.xlsx", b"x")],
    )
    now = timezone.now()
    (stale,) = _claim_emails(now, 10)
    # the stale worker's lease expires and another worker claims the row
    later = now + timedelta(hours=1)
    Notification.objects.update(email_lease_until=now - timedelta(seconds=1))
    (fresh,) = _claim_emails(later, 10)

    assert _deliver_claimed([stale]) == 0
    assert mail.outbox == []
    assert _deliver_claimed([fresh]) == 1
    assert [m.attachments[0][0] for m in mail.outbox] == ["report.xlsx"]
    assert Notification.objects.get().email_attempts == 1
