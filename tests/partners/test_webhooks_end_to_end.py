"""A partner's whole journey: register a webhook, submit a complaint, staff work
it through the API, the partner receives signed events and posts feedback."""

import json

import pytest

from config.api.scopes import Scope
from partners.models import WebhookDelivery
from partners.webhooks import webhook_deliver_due, webhook_verify
from tests.partners.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db
COMPLAINT = {
    "customer": {"name": "周杰", "phone": "13200132000", "external_id": "J-9"},
    "channel": "api",
    "category": "service_quality",
    "subject": "快件丢失",
    "description": "运单SD9的快件显示签收但本人未收到。",
}


def test_partner_journey_with_signed_webhooks(
    partner_a, key_client, org, staff_client, local_webhooks
):
    partner = key_client(partner_a, scopes=list(Scope.values))
    staff = staff_client(org.admin)
    with Receiver([200]) as receiver:
        hook = partner.post(
            "/api/v1/webhooks/",
            {
                "url": receiver.url,
                "events": ["complaint.created", "complaint.resolved"],
            },
            format="json",
        ).json()
        reference = partner.post(
            "/api/v1/complaints/", COMPLAINT, format="json"
        ).json()["reference"]
        url = f"/api/v1/complaints/{reference}"
        for action, body in [
            ("start-analysis", {}),
            ("analysis", {"cause_hypothesis": "派送员误操作签收"}),
            ("start-handling", {}),
            ("reply", {"body": "感谢您的反馈，已核实并为您补发，我们会跟进到货情况。"}),
            ("resolve", {"resolution_type": "redelivery"}),
        ]:
            assert (
                staff.post(f"{url}/{action}/", body, format="json").status_code == 200
            )

        webhook_deliver_due()

    events = [json.loads(r["body"]) for r in receiver.requests]
    assert [e["event"] for e in events] == ["complaint.created", "complaint.resolved"]
    assert all(e["data"]["reference"] == reference for e in events)
    assert events[1]["data"]["status"] == "resolved"
    for request in receiver.requests:
        assert webhook_verify(
            hook["secret"], request["body"], request["headers"]["X-Kefu-Signature"]
        )
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {
        "delivered"
    }
    timeline = partner.get(f"{url}/events/").json()["results"]
    assert "replied" in [e["kind"] for e in timeline]
    feedback = partner.post(f"{url}/feedback/", {"csat": 5, "nps": 10}, format="json")
    assert feedback.status_code == 201
    assert partner.get(f"{url}/").json()["status"] == "resolved"
