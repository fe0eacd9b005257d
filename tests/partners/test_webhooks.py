"""Webhook outbox and delivery: one row per endpoint, signed POSTs, retries,
auto-disable. A local HTTP server receives; nothing leaves the machine."""

import hashlib
import hmac
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.utils import timezone

from partners.models import WebhookAttempt, WebhookDelivery
from partners.webhook_outbox import webhook_enqueue
from partners.webhooks import (
    backoff,
    webhook_deliver_due,
    webhook_sign,
    webhook_verify,
)
from tests.factories.partners import WebhookEndpointFactory
from tests.partners.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _receiver_on_localhost(local_webhooks):
    """These tests deliver to a receiver on http://127.0.0.1; the URL rules
    themselves are tested (switches off) in test_webhook_ssrf.py."""


def fake_complaint(partner, reference="TS202611250001", status="received"):
    return SimpleNamespace(
        reference=reference,
        status=status,
        severity="normal",
        channel="api",
        category=SimpleNamespace(code="service_quality"),
        subject="包裹破损",
        received_at=timezone.now(),
        updated_at=timezone.now(),
        source_partner_id=partner.pk if partner else None,
    )


def test_enqueue_writes_one_row_per_subscribed_endpoint_active_or_not(
    partner_a, partner_b
):
    hit = WebhookEndpointFactory(partner=partner_a, events=["complaint.created"])
    hit2 = WebhookEndpointFactory(partner=partner_a)
    WebhookEndpointFactory(partner=partner_a, events=["complaint.resolved"])
    held = WebhookEndpointFactory(partner=partner_a, is_active=False)
    WebhookEndpointFactory(partner=partner_b)

    rows = webhook_enqueue(
        event="complaint.created", complaint=fake_complaint(partner_a)
    )

    assert sorted(r.endpoint_id for r in rows) == sorted([hit.pk, hit2.pk, held.pk])
    assert WebhookDelivery.objects.count() == 3
    row = WebhookDelivery.objects.first()
    assert row.payload["event"] == "complaint.created"
    assert row.payload["data"]["reference"] == "TS202611250001"
    assert row.payload["data"]["category"] == "service_quality"
    assert len({r.event_id for r in WebhookDelivery.objects.all()}) == 1


def test_enqueue_ignores_staff_complaints_and_rolls_back_with_the_caller(partner_a):
    WebhookEndpointFactory(partner=partner_a)
    assert (
        webhook_enqueue(event="complaint.created", complaint=fake_complaint(None)) == []
    )

    with pytest.raises(RuntimeError), transaction.atomic():
        webhook_enqueue(event="complaint.created", complaint=fake_complaint(partner_a))
        raise RuntimeError("the change failed")

    assert not WebhookDelivery.objects.exists()
    with pytest.raises(ValueError):
        webhook_enqueue(event="complaint.deleted", complaint=fake_complaint(partner_a))


def test_delivery_is_signed_and_recorded(partner_a):
    with Receiver([200]) as receiver:
        endpoint = WebhookEndpointFactory(partner=partner_a, url=receiver.url)
        webhook_enqueue(event="complaint.created", complaint=fake_complaint(partner_a))

        counts = webhook_deliver_due()

    assert counts == {"delivered": 1, "failed": 0}
    (request,) = receiver.requests
    body = request["body"]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    digest = hmac.new(endpoint.secret.encode(), body, hashlib.sha256).hexdigest()
    expected = f"sha256={digest}"
    assert headers["x-kefu-signature"] == expected
    assert webhook_verify(endpoint.secret, body, headers["x-kefu-signature"])
    assert abs(int(headers["x-kefu-timestamp"]) - timezone.now().timestamp()) < 60
    assert headers["x-kefu-event"] == "complaint.created"
    assert json.loads(body)["data"]["subject"] == "包裹破损"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.last_status_code == 200
    assert headers["x-kefu-delivery"] == str(delivery.event_id)
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 200 and attempt.number == 1
    # Delivered rows are not sent again.
    assert webhook_deliver_due() == {"delivered": 0, "failed": 0}


def test_failures_retry_with_exponential_backoff_then_succeed(partner_a, settings):
    settings.KEFU_WEBHOOK_BACKOFF_SECONDS = 30
    with Receiver([500, 503, 200]) as receiver:
        endpoint = WebhookEndpointFactory(partner=partner_a, url=receiver.url)
        webhook_enqueue(event="complaint.replied", complaint=fake_complaint(partner_a))

        assert webhook_deliver_due() == {"delivered": 0, "failed": 1}
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == "pending" and delivery.attempts == 1
        assert delivery.last_status_code == 500
        first_wait = delivery.next_attempt_at - delivery.last_attempt_at
        assert timedelta(seconds=29) < first_wait <= timedelta(seconds=31)
        # Not due yet: nothing is sent.
        assert webhook_deliver_due() == {"delivered": 0, "failed": 0}

        later = timezone.now() + timedelta(minutes=1)
        assert webhook_deliver_due(now=later) == {"delivered": 0, "failed": 1}
        delivery.refresh_from_db()
        second_wait = delivery.next_attempt_at - delivery.last_attempt_at
        assert timedelta(seconds=59) < second_wait <= timedelta(seconds=61)

        assert webhook_deliver_due(now=later + timedelta(minutes=5)) == {
            "delivered": 1,
            "failed": 0,
        }

    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 3
    assert list(delivery.attempt_log.values_list("status_code", flat=True)) == [
        500,
        503,
        200,
    ]
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0
    # The same event id on every retry lets the receiver drop duplicates.
    assert len({r["headers"]["X-Kefu-Delivery"] for r in receiver.requests}) == 1


def test_gives_up_after_max_attempts(partner_a, settings):
    settings.KEFU_WEBHOOK_MAX_ATTEMPTS = 2
    with Receiver([500]) as receiver:
        WebhookEndpointFactory(partner=partner_a, url=receiver.url)
        webhook_enqueue(event="complaint.created", complaint=fake_complaint(partner_a))
        webhook_deliver_due()
        webhook_deliver_due(now=timezone.now() + timedelta(hours=1))
        webhook_deliver_due(now=timezone.now() + timedelta(hours=2))

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 2
    assert len(receiver.requests) == 2


def test_endpoint_is_disabled_after_consecutive_failures(partner_a, settings):
    settings.KEFU_WEBHOOK_DISABLE_AFTER_FAILURES = 3
    endpoint = WebhookEndpointFactory(partner=partner_a, url="http://127.0.0.1:9/x")
    for n in range(3):
        webhook_enqueue(
            event="complaint.created",
            complaint=fake_complaint(partner_a, reference=f"TS2026112500{n:02d}"),
        )

    webhook_deliver_due()

    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at is not None
    assert endpoint.consecutive_failures == 3
    assert (
        WebhookDelivery.objects.filter(
            last_outcome="failed", last_error__startswith="ConnectionRefusedError"
        ).count()
        == 3
    )
    # A disabled endpoint holds new deliveries (issue 14); none is attempted.
    webhook_enqueue(event="complaint.created", complaint=fake_complaint(partner_a))
    assert WebhookDelivery.objects.count() == 4
    assert webhook_deliver_due(now=timezone.now() + timedelta(days=1)) == {
        "delivered": 0,
        "failed": 0,
    }


def test_leased_rows_are_not_sent_twice(partner_a):
    WebhookEndpointFactory(partner=partner_a, url="http://127.0.0.1:9/x")
    webhook_enqueue(event="complaint.created", complaint=fake_complaint(partner_a))
    WebhookDelivery.objects.update(lease_until=timezone.now() + timedelta(minutes=2))

    assert webhook_deliver_due() == {"delivered": 0, "failed": 0}
    assert not WebhookAttempt.objects.exists()


def test_backoff_doubles_and_is_capped(settings):
    settings.KEFU_WEBHOOK_BACKOFF_SECONDS = 10
    settings.KEFU_WEBHOOK_BACKOFF_MAX_SECONDS = 60
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [
        10,
        20,
        40,
        60,
        60,
    ]


def test_verify_rejects_a_tampered_body_or_wrong_secret():
    body = b'{"event":"complaint.created"}'
    signature = webhook_sign("s3cret", body)

    assert webhook_verify("s3cret", body, signature)
    assert not webhook_verify("s3cret", body + b" ", signature)
    assert not webhook_verify("other", body, signature)
    assert not webhook_verify("s3cret", body, "")


def test_delivery_task_is_registered_and_swept_every_minute(settings):
    from config.celery import app
    from partners.tasks import deliver_webhooks

    assert deliver_webhooks.name == "partners.deliver_webhooks"
    assert "partners.deliver_webhooks" in app.tasks
    entry = settings.CELERY_BEAT_SCHEDULE["partners-deliver-webhooks"]
    assert entry["task"] == "partners.deliver_webhooks"
    assert entry["schedule"] == 60.0


def test_enqueue_for_a_real_partner_complaint(partner_a):
    from tests.factories.complaints import make_complaint
    from tests.factories.crm import CustomerFactory

    WebhookEndpointFactory(partner=partner_a)
    complaint = make_complaint(
        customer=CustomerFactory(partner=partner_a), source_partner=partner_a
    )
    WebhookDelivery.objects.all().delete()  # in case the lead wired on_created

    (row,) = webhook_enqueue(event="complaint.created", complaint=complaint)

    data = row.payload["data"]
    assert data["reference"] == complaint.reference
    assert data["status"] == "received" and data["channel"] == complaint.channel
    assert data["category"] == complaint.category.code
    assert row.complaint_reference == complaint.reference


def test_delivery_task_is_queued_once_the_change_commits(
    partner_a, django_capture_on_commit_callbacks, monkeypatch
):
    from partners import tasks

    queued = []
    monkeypatch.setattr(tasks.deliver_webhooks, "delay", lambda: queued.append(1))
    WebhookEndpointFactory(partner=partner_a)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        webhook_enqueue(event="complaint.created", complaint=fake_complaint(partner_a))
        assert queued == []  # nothing is sent from inside the transaction

    for callback in callbacks:
        callback()
    assert queued == [1]


def test_a_broker_failure_does_not_break_the_commit(partner_a, monkeypatch):
    from partners import tasks
    from partners.webhook_outbox import webhook_delivery_trigger

    def boom():
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.deliver_webhooks, "delay", boom)

    webhook_delivery_trigger()  # logged; the beat sweep delivers within a minute


def test_endpoint_secret_is_encrypted_at_rest(partner_a):
    from django.db import connection

    endpoint = WebhookEndpointFactory(partner=partner_a, secret="whsec_plain_for_test")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret FROM partners_webhookendpoint WHERE id = %s", [endpoint.pk]
        )
        (stored,) = cursor.fetchone()

    assert "whsec_plain_for_test" not in stored
    endpoint.refresh_from_db()
    assert endpoint.secret == "whsec_plain_for_test"
