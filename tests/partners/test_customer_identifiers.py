"""Issue 14, point 7: DESIGN §4 gives a customer ``name``, ``phone`` and/or
``email``, and ``external_id``. A new customer needs a phone or an e-mail; an
external id alone only names a customer the partner registered before. The API
and docs/api.md say the same."""

from pathlib import Path

import pytest

from complaints.models import Complaint
from crm.models import Customer

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
COMPLAINT = {
    "channel": "online",
    "category": "service_quality",
    "subject": "快件延误",
    "description": "三天未送达",
}


def test_external_id_alone_does_not_create_a_customer(partner_a, key_client):
    client = key_client(partner_a)

    customer = client.post(
        "/api/v1/customers/", {"name": "王伟", "external_id": "U-1"}, format="json"
    )
    complaint = client.post(
        "/api/v1/complaints/",
        {**COMPLAINT, "customer": {"name": "王伟", "external_id": "U-1"}},
        format="json",
    )

    assert customer.status_code == 400
    assert customer.json()["errors"] == {"phone": ["请提供电话或电子邮箱。"]}
    assert complaint.status_code == 400
    assert complaint.json()["errors"] == {"customer.phone": ["请提供电话或电子邮箱。"]}
    assert not Customer.objects.exists() and not Complaint.objects.exists()


def test_external_id_alone_names_a_customer_registered_before(partner_a, key_client):
    client = key_client(partner_a)
    first = client.post(
        "/api/v1/customers/",
        {"name": "王伟", "phone": "13800138000", "external_id": "U-1"},
        format="json",
    )
    assert first.status_code == 201

    again = client.post(
        "/api/v1/customers/", {"name": "王伟", "external_id": "U-1"}, format="json"
    )
    complaint = client.post(
        "/api/v1/complaints/",
        {**COMPLAINT, "customer": {"name": "王伟", "external_id": "U-1"}},
        format="json",
    )

    assert again.status_code == 200 and again.json()["code"] == first.json()["code"]
    assert complaint.status_code == 201
    assert Complaint.objects.get().customer.code == first.json()["code"]
    assert Customer.objects.count() == 1


def test_another_partners_external_id_does_not_name_their_customer(
    partner_a, partner_b, key_client
):
    key_client(partner_b).post(
        "/api/v1/customers/",
        {"name": "王伟", "phone": "13800138000", "external_id": "U-1"},
        format="json",
    )
    refused = key_client(partner_a).post(
        "/api/v1/customers/", {"name": "王伟", "external_id": "U-1"}, format="json"
    )
    assert refused.status_code == 400 and set(refused.json()["errors"]) == {"phone"}
    assert Customer.objects.count() == 1


def test_docs_say_what_the_api_does():
    doc = " ".join((ROOT / "docs" / "api.md").read_text().split())
    assert "at least one of `phone`, `email`, `external_id`" not in doc
    assert "A **new** customer needs `name` and a `phone` and/or an `email`" in doc
    # The error example shows the message the API really gives.
    assert "请提供电话或电子邮箱。" in doc
    assert "请提供电话、电子邮箱或外部编号之一。" not in doc
