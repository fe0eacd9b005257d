"""Issue 13: a message to a customer whose send is interrupted by a worker
crash is neither lost nor sent twice under the lease rules (config.outbox).

The crash is simulated in-process (a ``BaseException`` raised by the backend:
nothing after it runs, as after SIGKILL) on every database, and a real Celery
worker is killed with SIGKILL while sending on PostgreSQL (the worker process
shares the test database), like tests/crm/test_reminder_worker.py.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from complaints.channels import EmailBackend
from complaints.models import CustomerMessage
from complaints.services import message_delivery as md
from tests.crm.test_reminder_worker import _wait
from tests.crm.test_reminder_worker import workers as workers
from tests.factories.complaints import make_complaint
from tests.factories.crm import CustomerFactory

SH = ZoneInfo("Asia/Shanghai")
MS = CustomerMessage.Status


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs."""


def _email_complaint(org):
    customer = CustomerFactory(department=org.dept_a, phone="", email="kehu@example.cn")
    return make_complaint(actor=org.agent_a, customer=customer, channel="email")


@pytest.mark.django_db
def test_a_crash_before_the_provider_accepted_is_sent_once_after_the_lease(
    org, monkeypatch
):
    """Crash between "send started" (attempt counted, status sending) and the
    provider's answer: nothing went out; the lease expires and the next run
    sends it exactly once."""
    monkeypatch.setattr(
        "complaints.services.customer_messages._enqueue_delivery", lambda: None
    )
    start = datetime(2026, 12, 2, 10, 0, tzinfo=SH)
    with time_machine.travel(start, tick=False) as clock:
        complaint = _email_complaint(org)
        real_send = EmailBackend.send

        def dies(self, message):
            raise WorkerKilled()

        monkeypatch.setattr(EmailBackend, "send", dies)
        with pytest.raises(WorkerKilled):
            md.customer_messages_deliver()
        row = CustomerMessage.objects.get(complaint=complaint)
        assert (row.status, row.attempts) == (MS.SENDING, 1)
        assert row.lease_token is not None and not mail.outbox

        # Another run while the dead worker's lease holds: nothing is sent.
        monkeypatch.setattr(EmailBackend, "send", real_send)
        assert md.customer_messages_deliver() == 0
        assert not mail.outbox

        # After the lease: sent once, on the second started send.
        clock.shift(timedelta(seconds=settings.KEFU_MESSAGE_LEASE_SECONDS + 1))
        assert md.customer_messages_deliver() == 1
        assert md.customer_messages_deliver() == 0
    row.refresh_from_db()
    assert (row.status, row.attempts) == (MS.SENT, 2)
    assert len(mail.outbox) == 1
    assert complaint.events.filter(kind="message_sent").count() == 1


@pytest.mark.django_db
def test_a_crash_after_the_provider_accepted_resends_with_the_same_message_id(
    org, monkeypatch
):
    """Crash after the provider accepted but before the result was recorded:
    the documented duplicate window — the message goes again with the same
    Message-ID, so the receiving side can drop it — and is recorded once."""
    monkeypatch.setattr(
        "complaints.services.customer_messages._enqueue_delivery", lambda: None
    )
    start = datetime(2026, 12, 2, 10, 0, tzinfo=SH)
    with time_machine.travel(start, tick=False) as clock:
        complaint = _email_complaint(org)
        real_send = EmailBackend.send
        calls = []

        def sends_then_dies(self, message):
            real_send(self, message)
            calls.append(message.message_id)
            if len(calls) == 1:
                raise WorkerKilled()
            return message.message_id

        monkeypatch.setattr(EmailBackend, "send", sends_then_dies)
        with pytest.raises(WorkerKilled):
            md.customer_messages_deliver()
        clock.shift(timedelta(seconds=settings.KEFU_MESSAGE_LEASE_SECONDS + 1))
        assert md.customer_messages_deliver() == 1
        assert md.customer_messages_deliver() == 0
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert len(ids) == 2 and ids[0] == ids[1] == calls[0]
    row = CustomerMessage.objects.get(complaint=complaint)
    assert (row.status, row.attempts) == (MS.SENT, 2)
    assert complaint.events.filter(kind="message_sent").count() == 1


@pytest.mark.integration
@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="the worker process must share the test database (PostgreSQL)",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_send_delivers_each_customer_message_once(
    org, workers, monkeypatch
):
    client, queue, start, mail_dir = workers
    monkeypatch.setattr(
        "complaints.services.customer_messages._enqueue_delivery", lambda: None
    )
    # Given three complaints by e-mail, each with its acknowledgement queued
    # (in the daytime: e-mail has no quiet hours anyway)
    for n in range(3):
        customer = CustomerFactory(
            department=org.dept_a, phone="", email=f"kehu{n}@example.cn"
        )
        make_complaint(actor=org.agent_a, customer=customer, channel="email")
    rows = CustomerMessage.objects.filter(channel="email")
    assert rows.count() == 3 and set(rows.values_list("status", flat=True)) == {
        MS.PENDING
    }

    # When a worker starts sending and is killed (SIGKILL) in the middle of it
    (mail_dir / "hang").touch()
    first = start()
    client.send_task("complaints.deliver_customer_messages", queue=queue)
    assert _wait(lambda: any(mail_dir.glob("sending-*"))), "worker never sent"
    first.kill()
    first.wait(timeout=20)
    (mail_dir / "hang").unlink()
    # Then nothing went out, and one row is "sending" under the dead lease
    assert not list(mail_dir.glob("sent-*"))
    assert rows.filter(status=MS.SENDING, lease_until__isnull=False).count() == 1

    # When a new worker runs the delivery every second (beat: every minute)
    second = start()

    def all_sent():
        client.send_task("complaints.deliver_customer_messages", queue=queue)
        return rows.filter(status=MS.SENT).count() == 3

    assert _wait(all_sent, timeout=90, every=1.0), "messages were lost"
    time.sleep(3)  # let a redelivered or queued duplicate task run first
    assert second.poll() is None
    # Then each message went out exactly once, under its own Message-ID
    sent = sorted(p.name.split("-")[1] for p in mail_dir.glob("sent-*"))
    expected = sorted(f"kefu.{r.complaint.reference}.m{r.pk}" for r in rows)
    assert sent == expected
    assert sorted(rows.values_list("attempts", flat=True)) == [1, 1, 2]
