"""Webhook endpoint management API (scope ``webhooks:manage``)."""

import pytest

from config.api.scopes import Scope
from partners.models import WebhookDelivery, WebhookEndpoint
from tests.factories.partners import WebhookEndpointFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/webhooks/"


@pytest.fixture(autouse=True)
def _partner_dns(fake_dns):
    """shop.example.cn resolves to a public address (no real DNS in tests)."""
    from tests.conftest import PUBLIC_TEST_ADDRESS

    fake_dns.add("shop.example.cn", PUBLIC_TEST_ADDRESS)


def test_partner_registers_endpoint_and_sees_secret_once(partner_a, key_client):
    client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])

    created = client.post(
        URL,
        {"url": "https://shop.example.cn/kefu", "events": ["complaint.created"]},
        format="json",
    )

    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_")
    row = WebhookEndpoint.objects.get(pk=body["id"])
    assert row.partner == partner_a
    assert row.secret == body["secret"]
    assert row.events == ["complaint.created"]
    detail = client.get(f"{URL}{row.pk}/").json()
    assert "secret" not in detail
    assert detail["is_active"] is True


def test_partner_lists_only_own_endpoints(partner_a, partner_b, key_client):
    own = WebhookEndpointFactory(partner=partner_a)
    other = WebhookEndpointFactory(partner=partner_b)
    client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])

    listed = client.get(URL).json()

    assert [e["id"] for e in listed["results"]] == [own.pk]
    assert client.get(f"{URL}{other.pk}/").status_code == 404
    assert client.patch(f"{URL}{other.pk}/", {"is_active": False}).status_code == 404
    assert client.delete(f"{URL}{other.pk}/").status_code == 404
    other.refresh_from_db()
    assert other.is_active


def test_update_and_delete_endpoint(partner_a, key_client):
    endpoint = WebhookEndpointFactory(partner=partner_a, consecutive_failures=25)
    endpoint.is_active = False
    endpoint.save()
    client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])

    response = client.patch(
        f"{URL}{endpoint.pk}/",
        {"is_active": True, "events": ["complaint.resolved"]},
        format="json",
    )

    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.consecutive_failures == 0
    assert endpoint.events == ["complaint.resolved"]
    assert client.delete(f"{URL}{endpoint.pk}/").status_code == 204
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_bad_input_names_the_fields(partner_a, key_client):
    client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])

    response = client.post(
        URL, {"url": "not a url", "events": ["complaint.exploded"]}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"url", "events.0"}
    assert not WebhookEndpoint.objects.exists()


def test_webhooks_need_the_manage_scope(partner_a, key_client):
    client = key_client(partner_a, scopes=[Scope.COMPLAINTS_READ])

    response = client.get(URL)

    assert response.status_code == 403
    assert "webhooks:manage" in response.json()["message"]


def test_staff_cannot_manage_partner_webhooks(org, staff_client):
    assert staff_client(org.admin).get(URL).status_code == 403


def test_delivery_log_of_an_endpoint(partner_a, key_client):
    endpoint = WebhookEndpointFactory(partner=partner_a)
    WebhookDelivery.objects.create(
        endpoint=endpoint, event="complaint.created", payload={"x": 1}
    )
    client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])

    log = client.get(f"{URL}{endpoint.pk}/deliveries/").json()

    assert [d["event"] for d in log["results"]] == ["complaint.created"]
    assert log["results"][0]["status"] == "pending"
    assert log["results"][0]["last_outcome"] is None  # not attempted yet
    assert log["results"][0]["last_status_class"] is None
