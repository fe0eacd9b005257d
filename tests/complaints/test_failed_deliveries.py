"""Issue 14: an admin-wide page of failed deliveries — staff notification
e-mails of every recipient and messages to customers — with "send again"
(administrators only; the services reschedule them)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from complaints.models import CustomerMessage
from complaints.services.message_delivery import customer_message_retry
from config.errors import NotPermitted
from crm.models import Notification
from crm.notifications import notify
from tests.factories.complaints import make_complaint

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
URL = "admin:complaints_customermessage_failed"


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("crm.notifications._enqueue_delivery", lambda: None)
    monkeypatch.setattr(
        "complaints.services.customer_messages._enqueue_delivery", lambda: None
    )
    monkeypatch.setattr(
        "complaints.services.message_delivery.deliver_customer_messages.delay",
        lambda: None,
    )


@pytest.fixture
def failed(org):
    """Two failed staff e-mails (two recipients), one pending; two failed
    customer messages (one of an erased customer), one sent."""
    for n, user in enumerate((org.agent_a, org.agent_b, org.agent_a)):
        notify(recipient=user, kind="test", title=f"通知 {n}", key=f"failed:{n}")
    Notification.objects.filter(key__in=["failed:0", "failed:1"]).update(
        email_status="failed", email_attempts=5
    )
    with time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=SH), tick=True):
        complaints = [make_complaint(actor=org.agent_a) for _ in range(3)]
    rows = [CustomerMessage.objects.get(complaint=c) for c in complaints]
    CustomerMessage.objects.filter(pk__in=[rows[0].pk, rows[1].pk]).update(
        status="failed", attempts=5, last_error="ChannelError: HTTP 500"
    )
    CustomerMessage.objects.filter(pk=rows[2].pk).update(status="sent")
    erased = rows[1].complaint.customer
    type(erased).objects.filter(pk=erased.pk).update(is_anonymised=True)
    return rows


def test_the_page_lists_every_failed_delivery(org, failed, client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(org.admin)

    response = client.get(reverse(URL))

    assert response.status_code == 200
    titles = [n.title for n in response.context["emails"]]
    assert sorted(titles) == ["通知 0", "通知 1"]  # both recipients, not the pending
    assert {m.pk for m in response.context["customer_messages"]} == {
        failed[0].pk,
        failed[1].pk,
    }
    assert (response.context["email_count"], response.context["message_count"]) == (
        2,
        2,
    )
    page = response.content.decode()
    assert "发送失败的邮件与消息" in page and "ChannelError: HTTP 500" in page


def test_the_page_runs_a_fixed_number_of_queries(
    org, failed, client, django_assert_max_num_queries
):
    client.force_login(org.admin)
    client.get(reverse(URL))
    for n in range(10):
        notify(recipient=org.agent_b, kind="test", title=f"更多 {n}", key=f"more:{n}")
    Notification.objects.update(email_status="failed")
    with django_assert_max_num_queries(14):
        response = client.get(reverse(URL))
    assert response.context["email_count"] == 13


def test_send_again_reschedules_the_chosen_rows(org, failed, client):
    client.force_login(org.admin)
    emails = list(
        Notification.objects.filter(email_status="failed").values_list("pk", flat=True)
    )

    response = client.post(
        reverse(URL),
        {"notification": emails, "message": [failed[0].pk, failed[1].pk]},
    )

    assert response.status_code == 302
    assert set(
        Notification.objects.filter(pk__in=emails).values_list(
            "email_status", "email_attempts"
        )
    ) == {("pending", 0)}
    first, erased = (CustomerMessage.objects.get(pk=r.pk) for r in failed[:2])
    assert (first.status, first.attempts, first.lease_token) == ("pending", 0, None)
    assert erased.status == "failed"  # an erased customer is not written to again


def test_only_administrators_reach_the_page_or_the_service(org, failed, client):
    client.force_login(org.supervisor_a)
    assert client.get(reverse(URL)).status_code == 403
    assert client.post(reverse(URL), {"message": [failed[0].pk]}).status_code == 403
    with pytest.raises(NotPermitted):
        customer_message_retry(actor=org.supervisor_a, messages=[failed[0]])
    assert CustomerMessage.objects.get(pk=failed[0].pk).status == "failed"


def test_the_outbox_list_links_the_page(org, client):
    client.force_login(org.admin)
    response = client.get(reverse("admin:complaints_customermessage_changelist"))
    assert reverse(URL) in response.content.decode()


def test_a_message_sent_again_at_night_waits_for_the_morning(org, failed):
    """A rescheduled SMS is held by the quiet hours like any other."""
    with time_machine.travel(datetime(2026, 12, 2, 23, 0, tzinfo=SH), tick=False):
        assert customer_message_retry(actor=org.admin, messages=[failed[0]]) == 1
    row = CustomerMessage.objects.get(pk=failed[0].pk)
    assert row.channel == "sms"
    assert row.not_before == datetime(2026, 12, 3, 8, 0, tzinfo=SH)
