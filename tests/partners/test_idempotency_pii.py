"""Issue 11, High 3: stored API answers and webhook payloads hold no plaintext
personal data or secrets, and an erasure reaches them.

- ``IdempotencyRecord.response_body`` and ``WebhookDelivery.payload`` are
  encrypted with the personal-data key; the request digest is keyed.
- A replay after the customer's erasure answers the first status with the
  anonymised customer (the request is not carried out again).
- Key rotation re-encrypts both columns; the data migration encrypts and links
  rows written before.
"""

import hashlib
import json
from importlib import import_module
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from rest_framework.utils.encoders import JSONEncoder

from config.api.scopes import Scope
from crm.models import Customer
from crm.services import customer_erase
from partners.models import IdempotencyRecord, WebhookDelivery
from tests.factories.partners import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

NAME = "司马相如"
PHONE_DIGITS = "13312345678"
EMAIL = "sima.xr@example.cn"
SECRET = "whsec_do_not_store_me_0123456789"
CUSTOMER = {"name": NAME, "phone": PHONE_DIGITS, "email": EMAIL, "external_id": "SM-1"}
COMPLAINT = {
    "customer": CUSTOMER,
    "channel": "online",
    "category": "service_quality",
    "subject": f"{NAME}的包裹破损",
    "description": f"{NAME}（{PHONE_DIGITS}）说外箱压坏。",
}
PERSONAL = (NAME, PHONE_DIGITS, "+86" + PHONE_DIGITS, EMAIL, "sima", "SM-1")


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def _plain_request_hash(path: str, body: dict) -> str:
    """What the request digest used to be: an unkeyed SHA-256 of the request."""
    text = json.dumps(body, sort_keys=True, cls=JSONEncoder, default=str)
    return hashlib.sha256(f"POST {path} {text}".encode()).hexdigest()


def _no_personal_data(text: str) -> None:
    for value in PERSONAL:
        assert value not in text, value


@pytest.fixture
def customers_client(partner_a, key_client):
    return key_client(partner_a, scopes=[Scope.CUSTOMERS_WRITE, Scope.CUSTOMERS_READ])


def _post(client, path, body, key):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_stored_customer_answer_is_encrypted_and_linked(customers_client):
    first = _post(customers_client, "/api/v1/customers/", CUSTOMER, "c-1")
    assert first.status_code == 201
    assert first.json()["phone"] == "+86" + PHONE_DIGITS  # the partner's own

    record = IdempotencyRecord.objects.get()
    raw = _raw("partners_idempotencyrecord", "response_body", record.pk)
    assert raw.startswith("gAAAAA")
    _no_personal_data(raw)
    assert record.request_hash != _plain_request_hash("/api/v1/customers/", CUSTOMER)
    assert record.customer == Customer.objects.get(code=first.json()["code"])
    # Still a replay of the first answer.
    second = _post(customers_client, "/api/v1/customers/", CUSTOMER, "c-1")
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()


def test_webhook_secret_is_not_stored_in_plaintext(partner_a, key_client, fake_dns):
    from tests.conftest import PUBLIC_TEST_ADDRESS

    fake_dns.add("shop.example.cn", PUBLIC_TEST_ADDRESS)  # a public host, offline
    client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])
    body = {
        "url": "https://shop.example.cn/kefu",
        "events": ["complaint.created"],
        "secret": SECRET,
    }
    first = _post(client, "/api/v1/webhooks/", body, "w-1")
    assert first.status_code == 201 and first.json()["secret"] == SECRET

    record = IdempotencyRecord.objects.get()
    assert SECRET not in _raw("partners_idempotencyrecord", "response_body", record.pk)
    assert record.customer is None
    assert _post(client, "/api/v1/webhooks/", body, "w-1").json()["secret"] == SECRET


def test_replay_after_erasure_answers_the_anonymised_customer(org, customers_client):
    first = _post(customers_client, "/api/v1/customers/", CUSTOMER, "c-2")
    customer = Customer.objects.get(code=first.json()["code"])

    customer_erase(actor=org.admin, customer=customer)
    replay = _post(customers_client, "/api/v1/customers/", CUSTOMER, "c-2")

    assert replay.status_code == 201  # the first status, not a 5xx
    assert replay["Idempotent-Replayed"] == "true"
    body = replay.json()
    _no_personal_data(json.dumps(body, ensure_ascii=False))
    customer.refresh_from_db()
    assert body["code"] == customer.code and body["name"] == customer.name
    assert body["phone"] == "" and body["email"] == "" and body["external_id"] is None
    assert Customer.objects.count() == 1  # not carried out again


def test_replay_of_a_complaint_after_erasure_keeps_the_reference_only(
    org, partner_a, key_client
):
    from complaints.models import Complaint

    client = key_client(partner_a, scopes=[Scope.COMPLAINTS_WRITE])
    first = _post(client, "/api/v1/complaints/", COMPLAINT, "k-1")
    assert first.status_code == 201
    complaint = Complaint.objects.get(reference=first.json()["reference"])
    record = IdempotencyRecord.objects.get()
    assert record.customer_id == complaint.customer_id
    _no_personal_data(_raw("partners_idempotencyrecord", "response_body", record.pk))

    customer_erase(actor=org.admin, customer=complaint.customer)
    replay = _post(client, "/api/v1/complaints/", COMPLAINT, "k-1")

    assert replay.status_code == 201
    body = replay.json()
    _no_personal_data(json.dumps(body, ensure_ascii=False))
    assert body["reference"] == complaint.reference
    assert body["customer"]["code"] == complaint.customer.code
    assert body["subject"] == "***的包裹破损"
    assert Complaint.objects.count() == 1


def test_webhook_payload_is_encrypted_at_rest(partner_a, key_client):
    WebhookEndpointFactory(partner=partner_a, events=["complaint.created"])
    client = key_client(partner_a, scopes=[Scope.COMPLAINTS_WRITE])
    reference = _post(client, "/api/v1/complaints/", COMPLAINT, "k-2").json()[
        "reference"
    ]

    delivery = WebhookDelivery.objects.get()
    raw = _raw("partners_webhookdelivery", "payload", delivery.pk)
    assert raw.startswith("gAAAAA") and NAME not in raw
    assert delivery.payload["data"]["reference"] == reference
    assert delivery.payload["data"]["subject"] == COMPLAINT["subject"]


def test_rotation_reencrypts_stored_answers_and_payloads(
    settings, partner_a, key_client
):
    settings.KEFU_PII_KEY = "old-key"
    WebhookEndpointFactory(partner=partner_a, events=["complaint.created"])
    client = key_client(partner_a, scopes=[Scope.COMPLAINTS_WRITE])
    first = _post(client, "/api/v1/complaints/", COMPLAINT, "k-3")
    record = IdempotencyRecord.objects.get()
    delivery = WebhookDelivery.objects.get()
    before = (
        _raw("partners_idempotencyrecord", "response_body", record.pk),
        _raw("partners_webhookdelivery", "payload", delivery.pk),
    )

    settings.KEFU_PII_KEY = "new-key"
    settings.KEFU_PII_OLD_KEYS = ["old-key"]
    out = StringIO()
    call_command("rotate_pii_key", stdout=out)
    assert "partners.IdempotencyRecord" in out.getvalue()
    # The request digest is one-way: replays work while the old key is kept.
    assert _post(client, "/api/v1/complaints/", COMPLAINT, "k-3").json() == (
        first.json()
    )

    settings.KEFU_PII_OLD_KEYS = []
    after = (
        _raw("partners_idempotencyrecord", "response_body", record.pk),
        _raw("partners_webhookdelivery", "payload", delivery.pk),
    )
    assert after[0] != before[0] and after[1] != before[1]
    assert IdempotencyRecord.objects.get().response_body == first.json()
    assert (
        WebhookDelivery.objects.get().payload["data"]["subject"]
        == (COMPLAINT["subject"])
    )


def test_migration_encrypts_links_and_rekeys_rows_written_before(partner_a, key_client):
    WebhookEndpointFactory(partner=partner_a, events=["complaint.created"])
    client = key_client(partner_a, scopes=[Scope.COMPLAINTS_WRITE])
    first = _post(client, "/api/v1/complaints/", COMPLAINT, "k-4")
    record = IdempotencyRecord.objects.get()
    delivery = WebhookDelivery.objects.get()
    customer_id = record.customer_id
    # The rows as the previous version wrote them: plain JSON, plain digest,
    # no customer.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE partners_idempotencyrecord SET response_body = %s,"
            " request_hash = %s, customer_id = NULL WHERE id = %s",
            [
                json.dumps(first.json(), ensure_ascii=False),
                _plain_request_hash("/api/v1/complaints/", COMPLAINT),
                record.pk,
            ],
        )
        cursor.execute(
            "UPDATE partners_webhookdelivery SET payload = %s WHERE id = %s",
            [json.dumps(delivery.payload, ensure_ascii=False), delivery.pk],
        )
    assert NAME in _raw("partners_idempotencyrecord", "response_body", record.pk)
    # Rows not yet migrated still read.
    assert IdempotencyRecord.objects.get().response_body == first.json()

    migration = import_module(
        "partners.migrations.0004_encrypt_existing_idempotency_and_payloads"
    )
    migration.encrypt_and_link(apps, None)

    _no_personal_data(_raw("partners_idempotencyrecord", "response_body", record.pk))
    assert NAME not in _raw("partners_webhookdelivery", "payload", delivery.pk)
    assert IdempotencyRecord.objects.get().customer_id == customer_id
    replay = _post(client, "/api/v1/complaints/", COMPLAINT, "k-4")
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
