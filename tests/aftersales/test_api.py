"""/api/v1/service-orders/ and /api/v1/slots/ (issue 17)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.models import Appointment, ReturnPolicy, ServiceOrder
from aftersales.services import order_transition
from partners.models import PartnerEvent, WebhookDelivery
from tests.factories.aftersales import make_order, slot, technician
from tests.factories.crm import CustomerFactory
from tests.factories.partners import WebhookEndpointFactory

URL = "/api/v1/service-orders/"
SLOTS = "/api/v1/slots/"
READ_WRITE = ["complaints:read", "complaints:write"]


def _body(customer, **extra):
    return {
        "kind": "repair",
        "customer": customer.code,
        "product_name": "空气净化器 A3",
        "serial_number": "SN-001",
        "order_number": "SD20261201",
        "purchase_date": (timezone.localdate() - timedelta(days=30)).isoformat(),
        "reason": "噪音大",
        **extra,
    }


def _partner_order(partner, client):
    customer = CustomerFactory(partner=partner)
    response = client.post(URL, _body(customer), format="json")
    assert response.status_code == 201, response.json()
    return ServiceOrder.objects.get(reference=response.json()["reference"])


def test_a_partner_requests_an_order_with_webhook_and_feed(partner_a, key_client):
    WebhookEndpointFactory(
        partner=partner_a,
        events=[
            "service_order.created",
            "service_order.status_changed",
            "appointment.booked",
        ],
    )
    client = key_client(partner_a, scopes=READ_WRITE)
    customer = CustomerFactory(partner=partner_a)

    response = client.post(
        URL, _body(customer), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = client.post(URL, _body(customer), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == again.status_code == 201
    assert again.json() == response.json()
    assert ServiceOrder.objects.count() == 1
    body = response.json()
    order = ServiceOrder.objects.get()
    assert (body["reference"], body["kind"], body["status"], body["customer"]) == (
        order.reference,
        "repair",
        "requested",
        customer.code,
    )
    assert order.source_partner_id == partner_a.pk
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "service_order.created"
    assert delivery.payload["data"]["reference"] == order.reference
    assert PartnerEvent.objects.filter(partner=partner_a).count() == 1


def test_a_partner_books_a_free_slot(org, partner_a, key_client):
    WebhookEndpointFactory(
        partner=partner_a, events=["service_order.status_changed", "appointment.booked"]
    )
    client = key_client(partner_a, scopes=READ_WRITE)
    order = _partner_order(partner_a, client)
    order = order_transition(actor=org.admin, order=order, to_status="approved")
    tech = technician(team=org.team_a)
    wanted = slot(tech, capacity=1)
    slot(tech, kind="installation")  # another kind: not listed

    listed = client.get(
        SLOTS, {"kind": "repair", "area": "浦东", "date": wanted.date.isoformat()}
    )
    assert [s["id"] for s in listed.json()["results"]] == [wanted.pk]
    assert listed.json()["results"][0]["free"] == 1

    booked = client.post(
        f"{URL}{order.reference}/book/", {"slot": wanted.pk}, format="json"
    )
    assert booked.status_code == 201, booked.json()
    assert booked.json()["slot"]["free"] == 0
    order.refresh_from_db()
    assert order.status == "scheduled"
    assert Appointment.objects.get(order=order).slot_id == wanted.pk
    events = list(
        WebhookDelivery.objects.order_by("pk").values_list("event", flat=True)
    )
    assert events == [
        "service_order.status_changed",  # approved
        "service_order.status_changed",  # scheduled
        "appointment.booked",
    ]

    second = _partner_order(partner_a, client)
    order_transition(actor=org.admin, order=second, to_status="approved")
    full = client.post(
        f"{URL}{second.reference}/book/", {"slot": wanted.pk}, format="json"
    )
    assert full.status_code == 409
    assert full.json()["code"] == "slot_full"
    assert client.get(SLOTS, {"kind": "repair"}).json()["results"] == []


def test_another_partners_order_is_a_404(partner_a, partner_b, key_client):
    order = _partner_order(partner_a, key_client(partner_a, scopes=READ_WRITE))
    other = key_client(partner_b, scopes=READ_WRITE)

    assert other.get(f"{URL}{order.reference}/").status_code == 404
    assert (
        other.post(
            f"{URL}{order.reference}/book/", {"slot": 1}, format="json"
        ).status_code
        == 404
    )
    assert other.get(URL).json()["results"] == []
    # and a customer of another partner is unknown
    foreign = CustomerFactory(partner=partner_a)
    refused = other.post(URL, _body(foreign), format="json")
    assert refused.status_code == 400
    assert "customer" in refused.json()["errors"]


def test_the_window_is_refused_naming_the_field(partner_a, key_client):
    ReturnPolicy.objects.create(kind="return", window_days=7)
    client = key_client(partner_a, scopes=READ_WRITE)
    customer = CustomerFactory(partner=partner_a)
    late = (timezone.localdate() - timedelta(days=8)).isoformat()

    response = client.post(
        URL, _body(customer, kind="return", purchase_date=late), format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "policy_window"
    assert "purchase_date" in response.json()["errors"]
    assert not ServiceOrder.objects.exists()


def test_staff_list_filters_and_scope(org, staff_client):
    mine = make_order(actor=org.agent_a, kind="repair")
    make_order(actor=org.agent_a, kind="installation")
    make_order(actor=org.agent_b, kind="repair")  # department B

    client = staff_client(org.supervisor_a)
    rows = client.get(URL, {"kind": "repair"}).json()["results"]

    assert [r["reference"] for r in rows] == [mine.reference]
    assert client.get(URL, {"status": "bogus"}).status_code == 400


def test_the_timeline_shows_partners_only_customer_visible_events(
    org, partner_a, key_client
):
    from aftersales.services.common import event

    client = key_client(partner_a, scopes=READ_WRITE)
    order = _partner_order(partner_a, client)
    event(order, "note", note="内部备注", customer_visible=False)

    partner_view = client.get(f"{URL}{order.reference}/events/").json()["results"]
    assert [e["kind"] for e in partner_view] == ["created"]


@pytest.mark.parametrize("page_size", [1, 20])
def test_list_query_count_is_constant_in_page_size(
    org, partner_a, key_client, django_assert_max_num_queries, page_size
):
    client = key_client(partner_a, scopes=READ_WRITE)
    for _ in range(20):
        _partner_order(partner_a, client)
    client.get(URL)  # warm: last_used_at is written at most once a minute

    # One query authenticates the key, one reads the page.
    with django_assert_max_num_queries(2):
        response = client.get(URL, {"page_size": page_size})

    assert len(response.json()["results"]) == page_size


def test_staff_list_query_count_is_pinned(org, staff_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tech = technician(team=org.team_a)
    for _ in range(3):
        order = make_order(actor=org.agent_a)
        ServiceOrder.objects.filter(pk=order.pk).update(technician=tech)
    client = staff_client(org.manager_a)
    client.get(URL)
    with CaptureQueriesContext(connection) as small:
        client.get(URL, {"page_size": 1})
    for _ in range(10):
        make_order(actor=org.agent_a)
    with CaptureQueriesContext(connection) as large:
        response = client.get(URL, {"page_size": 13})

    assert len(response.json()["results"]) == 13
    assert len(large.captured_queries) == len(small.captured_queries) <= 5
