"""Issue 14, points 1 and 2: no webhook event lost while an endpoint is
disabled, a partner event feed to catch up, and no event posted twice to a slow
receiver (a lease per row, checked before the POST and when recording)."""

import json
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from config.api.scopes import Scope
from partners import webhooks
from partners.models import PartnerEvent, WebhookAttempt, WebhookDelivery
from partners.services import webhook_endpoint_update
from partners.webhook_outbox import webhook_enqueue
from partners.webhooks import webhook_backlog_prune, webhook_deliver_due
from tests.factories.partners import WebhookEndpointFactory
from tests.partners.test_webhooks import fake_complaint
from tests.partners.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db

EVENTS_URL = "/api/v1/events/"


@pytest.fixture(autouse=True)
def _receiver_on_localhost(local_webhooks):
    """Deliveries go to a receiver on http://127.0.0.1."""


def _raise(partner, n):
    return webhook_enqueue(
        event="complaint.created",
        complaint=fake_complaint(partner, reference=f"TS2026120200{n:02d}"),
    )


# --- point 1: a disabled endpoint holds its events --------------------------------


def test_disabled_endpoint_holds_events_and_reenabling_delivers_them_in_order(
    partner_a, key_client
):
    with Receiver([200]) as receiver:
        # Given an endpoint that was disabled (auto-disable or by hand)
        endpoint = WebhookEndpointFactory(
            partner=partner_a, url=receiver.url, is_active=False
        )
        # When events are raised meanwhile
        for n in range(3):
            _raise(partner_a, n)

        # Then each is held for it: recorded, not attempted, shown as held
        assert webhook_deliver_due() == {"delivered": 0, "failed": 0}
        assert receiver.requests == []
        assert (
            WebhookDelivery.objects.filter(
                endpoint=endpoint, status="pending", attempts=0
            ).count()
            == 3
        )
        client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])
        log = client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").json()
        assert [row["held"] for row in log["results"]] == [True, True, True]

        # When the endpoint is enabled again, the backlog goes out, oldest first
        webhook_endpoint_update(actor=None, endpoint=endpoint, is_active=True)
        assert webhook_deliver_due() == {"delivered": 3, "failed": 0}

    references = [json.loads(r["body"])["data"]["reference"] for r in receiver.requests]
    assert references == [f"TS2026120200{n:02d}" for n in range(3)]
    log = client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").json()
    assert {row["held"] for row in log["results"]} == {False}
    assert {row["status"] for row in log["results"]} == {"delivered"}


def test_auto_disabled_endpoint_loses_nothing(partner_a, settings):
    settings.KEFU_WEBHOOK_DISABLE_AFTER_FAILURES = 2
    with Receiver([500, 500, 200]) as receiver:
        endpoint = WebhookEndpointFactory(partner=partner_a, url=receiver.url)
        _raise(partner_a, 0)
        _raise(partner_a, 1)
        webhook_deliver_due()
        endpoint.refresh_from_db()
        assert not endpoint.is_active
        for n in range(2, 6):  # raised while disabled
            _raise(partner_a, n)

        webhook_endpoint_update(actor=None, endpoint=endpoint, is_active=True)
        webhook_deliver_due()

    assert WebhookDelivery.objects.filter(status="delivered").count() == 6
    delivered = {
        json.loads(r["body"])["data"]["reference"] for r in receiver.requests[2:]
    }
    assert delivered == {f"TS2026120200{n:02d}" for n in range(6)}


def test_retention_cancels_old_held_deliveries_and_prunes_the_feed(partner_a, settings):
    settings.KEFU_WEBHOOK_RETENTION_DAYS = 7
    held = WebhookEndpointFactory(partner=partner_a, is_active=False)
    active = WebhookEndpointFactory(partner=partner_a)
    _raise(partner_a, 0)
    old = timezone.now() - timedelta(days=8)
    WebhookDelivery.objects.update(created_at=old)
    PartnerEvent.objects.update(created_at=old)
    _raise(partner_a, 1)  # recent: kept

    assert webhook_backlog_prune() == {"cancelled": 1, "events_deleted": 1}

    statuses = {
        (d.endpoint_id, d.complaint_reference): d.status
        for d in WebhookDelivery.objects.all()
    }
    assert statuses == {
        (held.pk, "TS202612020000"): "cancelled",
        (held.pk, "TS202612020001"): "pending",
        (active.pk, "TS202612020000"): "pending",  # an active endpoint retries
        (active.pk, "TS202612020001"): "pending",
    }
    assert list(PartnerEvent.objects.values_list("complaint_reference", flat=True)) == [
        "TS202612020001"
    ]
    assert webhook_backlog_prune() == {"cancelled": 0, "events_deleted": 0}


def test_prune_task_is_swept_daily(settings):
    from config.celery import app

    assert "partners.prune_webhook_backlog" in app.tasks
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "partners.prune_webhook_backlog" in tasks


# --- point 1: the partner event feed ------------------------------------------------


def test_event_feed_lists_own_events_after_a_cursor(
    partner_a, partner_b, key_client, settings, django_assert_max_num_queries
):
    settings.KEFU_EVENTS_SETTLE_SECONDS = 0
    for n in range(5):
        _raise(partner_a, n)
    _raise(partner_b, 9)  # another partner's event: never listed
    client = key_client(partner_a, scopes=[Scope.COMPLAINTS_READ])

    with django_assert_max_num_queries(6):
        first = client.get(EVENTS_URL, {"page_size": 3}).json()

    assert [e["complaint_reference"] for e in first["results"]] == [
        f"TS2026120200{n:02d}" for n in range(3)
    ]
    ids = [e["id"] for e in first["results"]]
    assert ids == sorted(ids) and first["cursor"] == ids[-1]
    assert first["has_more"] is True and "after=" in first["next"]
    assert first["results"][0]["payload"]["event"] == "complaint.created"
    assert first["results"][0]["payload"]["id"] == first["results"][0]["event_id"]

    rest = client.get(EVENTS_URL, {"after": first["cursor"]}).json()
    assert [e["complaint_reference"] for e in rest["results"]] == [
        "TS202612020003",
        "TS202612020004",
    ]
    assert rest["has_more"] is False and rest["next"] is None

    # Caught up: the same cursor comes back, nothing listed.
    empty = client.get(EVENTS_URL, {"after": rest["cursor"]}).json()
    assert empty == {
        "results": [],
        "cursor": rest["cursor"],
        "has_more": False,
        "next": None,
    }

    other = key_client(partner_b, scopes=[Scope.COMPLAINTS_READ])
    assert [
        e["complaint_reference"] for e in other.get(EVENTS_URL).json()["results"]
    ] == ["TS202612020009"]


def test_event_feed_records_events_without_any_endpoint(
    partner_a, key_client, settings
):
    settings.KEFU_EVENTS_SETTLE_SECONDS = 0
    assert _raise(partner_a, 0) == []  # no endpoint: no delivery, still an event
    client = key_client(partner_a, scopes=[Scope.COMPLAINTS_READ])
    assert len(client.get(EVENTS_URL).json()["results"]) == 1


def test_event_feed_waits_for_events_to_settle(partner_a, key_client, settings):
    settings.KEFU_EVENTS_SETTLE_SECONDS = 5
    _raise(partner_a, 0)
    client = key_client(partner_a, scopes=[Scope.COMPLAINTS_READ])
    body = client.get(EVENTS_URL).json()
    assert body["results"] == [] and body["cursor"] == 0
    PartnerEvent.objects.update(created_at=timezone.now() - timedelta(seconds=6))
    assert len(client.get(EVENTS_URL).json()["results"]) == 1


def test_event_feed_bad_input_scope_and_staff(partner_a, key_client, org, staff_client):
    client = key_client(partner_a, scopes=[Scope.COMPLAINTS_READ])
    bad = client.get(EVENTS_URL, {"after": "x", "page_size": 0})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"after", "page_size"}

    no_scope = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])
    refused = no_scope.get(EVENTS_URL)
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"

    staff = staff_client(org.admin)
    assert staff.get(EVENTS_URL).status_code == 403


# --- point 2: a slow receiver gets each event once ----------------------------------


class FakeClock:
    """Wall and monotonic time that move only when a POST "takes" time."""

    def __init__(self):
        self.start = timezone.now()
        self.elapsed = 0.0

    def now(self):
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self):
        return 1000.0 + self.elapsed

    def time(self):
        return self.now().timestamp()


def test_slow_receiver_gets_each_event_once_while_a_second_worker_sweeps(
    partner_a, settings, monkeypatch
):
    """Each POST of the first worker takes 6 s; the lease is 30 s. Before
    issue 14 one lease covered a batch, so a second worker sweeping after 5
    POSTs took the batch's rest again and both posted it; now a lease covers
    the one row being posted, and the first worker takes no row the second
    delivered."""
    settings.KEFU_WEBHOOK_LEASE_SECONDS = 30
    settings.KEFU_WEBHOOK_TIMEOUT_SECONDS = 2
    settings.KEFU_WEBHOOK_SWEEP_SECONDS = 10_000
    WebhookEndpointFactory(partner=partner_a)
    for n in range(12):
        _raise(partner_a, n)
    clock = FakeClock()
    monkeypatch.setattr(webhooks, "time", clock)
    monkeypatch.setattr(webhooks, "timezone", SimpleNamespace(now=clock.now))
    posted: list[str] = []
    state = {"nested": False}

    def slow_post(url, body, headers):
        posted.append(headers["X-Kefu-Delivery"])
        if state["nested"]:  # the second worker runs alongside: no extra time
            return WebhookDelivery.Outcome.DELIVERED, 200, "", "ok"
        clock.elapsed += 6
        if len(posted) % 5 == 0:
            state["nested"] = True  # a second worker's sweep, meanwhile
            webhook_deliver_due()
            state["nested"] = False
        return WebhookDelivery.Outcome.DELIVERED, 200, "", "ok"

    monkeypatch.setattr(webhooks, "_post", slow_post)

    for _sweep in range(5):  # sweeps until none is left (one is enough)
        webhook_deliver_due()

    assert len(posted) == 12 and len(set(posted)) == 12
    assert WebhookAttempt.objects.count() == 12
    assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {1}


def test_a_lost_lease_is_not_posted_and_its_result_not_recorded(partner_a, monkeypatch):
    WebhookEndpointFactory(partner=partner_a)
    _raise(partner_a, 0)
    lease = webhooks._claim(timezone.now(), set())
    # Another worker took the row (its lease expired and was renewed).
    WebhookDelivery.objects.update(lease_token=uuid.uuid4())
    monkeypatch.setattr(
        webhooks, "_post", lambda *a: pytest.fail("posted without the lease")
    )
    assert webhooks.webhook_attempt(lease=lease) is None

    assert (
        webhooks._record(
            lease=lease, outcome="delivered", code=200, error="", excerpt="", duration=1
        )
        is None
    )
    assert WebhookDelivery.objects.get().status == "pending"
    assert not WebhookAttempt.objects.exists()


def test_soft_time_limit_is_not_a_failed_delivery(partner_a, monkeypatch):
    with Receiver([200]) as receiver:
        WebhookEndpointFactory(partner=partner_a, url=receiver.url)
        _raise(partner_a, 0)

        def out_of_time(*args, **kwargs):
            raise SoftTimeLimitExceeded()

        # Deep inside the POST, where the broad except used to swallow it.
        monkeypatch.setattr("http.client.HTTPConnection.getresponse", out_of_time)
        with pytest.raises(SoftTimeLimitExceeded):
            webhook_deliver_due()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 0
    assert delivery.last_outcome == ""
    assert not WebhookAttempt.objects.exists()


def test_sweep_takes_no_row_it_cannot_finish_within_its_budget(
    partner_a, settings, monkeypatch
):
    settings.KEFU_WEBHOOK_TIMEOUT_SECONDS = 10  # one attempt may need 25 s
    WebhookEndpointFactory(partner=partner_a)
    _raise(partner_a, 0)
    monkeypatch.setattr(
        webhooks, "_post", lambda *a: pytest.fail("started past the budget")
    )

    assert webhook_deliver_due(budget_seconds=20) == {"delivered": 0, "failed": 0}
    assert WebhookDelivery.objects.get().lease_until is None


def test_delivery_task_budget_stays_under_its_soft_time_limit(monkeypatch):
    from partners import tasks

    seen = {}
    monkeypatch.setattr(
        tasks, "webhook_deliver_due", lambda **kw: seen.update(kw) or {}
    )
    monkeypatch.setattr(tasks.deliver_webhooks, "soft_time_limit", 30)
    tasks.deliver_webhooks.apply()
    assert seen["budget_seconds"] == 30 - tasks.SOFT_LIMIT_MARGIN
