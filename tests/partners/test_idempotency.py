"""Idempotency-Key on POST: replay, mismatch, expiry, failures, concurrency."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from config.api.scopes import Scope
from partners.api.idempotency import idempotency_records_purge
from partners.models import IdempotencyRecord, WebhookEndpoint

URL = "/api/v1/webhooks/"
BODY = {"url": "https://shop.example.cn/kefu", "events": ["complaint.created"]}


@pytest.fixture(autouse=True)
def _partner_dns(fake_dns):
    """The webhook URLs below resolve to a public address (no real DNS)."""
    from tests.conftest import PUBLIC_TEST_ADDRESS

    for name in ("shop.example.cn", "other.example.cn", "new.example.cn"):
        fake_dns.add(name, PUBLIC_TEST_ADDRESS)


def _post(client, body=BODY, key="retry-1"):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_same_key_same_body_replays_first_response(partner_a, key_client):
    client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])

    first = _post(client)
    second = _post(client)

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert WebhookEndpoint.objects.count() == 1
    record = IdempotencyRecord.objects.get()
    assert record.partner == partner_a and record.status_code == 201
    assert record.expires_at - record.created_at == timedelta(hours=24)


@pytest.mark.django_db
def test_same_key_different_body_is_422(partner_a, key_client):
    client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])
    _post(client)

    response = _post(client, {**BODY, "url": "https://other.example.cn/"})

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_per_partner_and_posts_without_key_are_not_deduplicated(
    partner_a, partner_b, key_client
):
    a = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])
    b = key_client(partner_b, scopes=[Scope.WEBHOOKS_MANAGE])

    assert _post(a).status_code == 201
    assert _post(b).status_code == 201  # same key string, other partner
    assert a.post(URL, BODY, format="json").status_code == 201
    assert a.post(URL, BODY, format="json").status_code == 201

    assert WebhookEndpoint.objects.filter(partner=partner_a).count() == 3
    assert WebhookEndpoint.objects.filter(partner=partner_b).count() == 1


@pytest.mark.django_db
def test_failed_request_stores_nothing_so_a_fixed_retry_works(partner_a, key_client):
    client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])

    bad = _post(client, {"url": "nope", "events": []})
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.exists()

    assert _post(client, BODY).status_code == 201


@pytest.mark.django_db
def test_expired_key_can_be_used_again_and_is_purged(partner_a, key_client):
    client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])
    _post(client)
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    again = _post(client, {**BODY, "url": "https://new.example.cn/"})

    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert WebhookEndpoint.objects.count() == 2
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert idempotency_records_purge() == 1


@pytest.mark.django_db
def test_overlong_key_is_400(partner_a, key_client):
    client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])

    response = _post(client, key="k" * 256)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_create_one_row(
    partner_a, key_client, complaint_defaults
):
    """Eight threads POST the same key at once: one endpoint, eight equal answers."""
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent transactions (PostgreSQL)")
    raw = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE]).raw_key
    barrier = threading.Barrier(8)
    results = []

    def worker():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
        try:
            barrier.wait()
            response = _post(client, key="concurrent-1")
            results.append(
                (
                    response.status_code,
                    response.json(),
                    response.has_header("Idempotent-Replayed"),
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert WebhookEndpoint.objects.count() == 1
    assert [code for code, _body, _replayed in results] == [201] * 8
    assert len({body["id"] for _code, body, _replayed in results}) == 1
    assert sum(replayed for _code, _body, replayed in results) == 7


# --- on complaint intake (DESIGN §4) ----------------------------------------------

COMPLAINT = {
    "customer": {"name": "赵磊", "phone": "13300133000", "external_id": "Z-1"},
    "channel": "online",
    "category": "service_quality",
    "subject": "包裹破损",
    "description": "外箱压坏，商品碎裂。",
}


def _complaint_post(client, body=COMPLAINT, key="order-SD1-complaint"):
    return client.post(
        "/api/v1/complaints/", body, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


@pytest.mark.django_db
def test_retried_complaint_post_returns_the_first_reference(partner_a, key_client):
    from complaints.models import Complaint

    client = key_client(partner_a, scopes=[Scope.COMPLAINTS_WRITE])

    first = _complaint_post(client)
    second = _complaint_post(client)
    changed = _complaint_post(client, {**COMPLAINT, "subject": "另一件事"})

    assert first.status_code == second.status_code == 201
    assert second.json()["reference"] == first.json()["reference"]
    assert second["Idempotent-Replayed"] == "true"
    assert changed.status_code == 422
    assert Complaint.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_complaint_posts_create_one_complaint(
    partner_a, key_client, complaint_defaults
):
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent transactions (PostgreSQL)")
    from complaints.models import Complaint

    raw = key_client(partner_a, scopes=[Scope.COMPLAINTS_WRITE]).raw_key
    barrier = threading.Barrier(6)
    results = []

    def worker():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
        try:
            barrier.wait()
            response = _complaint_post(client, key="concurrent-complaint")
            results.append((response.status_code, response.json()["reference"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert Complaint.objects.count() == 1
    assert [code for code, _ref in results] == [201] * 6
    assert {ref for _code, ref in results} == {Complaint.objects.get().reference}


@pytest.mark.django_db
def test_staff_keys_are_per_user(org, staff_client):
    from complaints.models import Complaint

    a = staff_client(org.agent_a)
    b = staff_client(org.agent_b)

    assert _complaint_post(a).status_code == 201
    assert _complaint_post(b).status_code == 201
    assert _complaint_post(a)["Idempotent-Replayed"] == "true"
    assert Complaint.objects.count() == 2
    assert IdempotencyRecord.objects.filter(user=org.agent_a).count() == 1
