"""Issue 11, High 3: erasure reaches every table that can hold the person, and
the admin log stops capturing personal data.

Covered: stored API answers (idempotency records), partner webhook deliveries
(pending ones too) and their attempts, the admin log (object_repr and change
messages), staff notifications, complaint attachments (rows and files), quality
inspections. The statistics (complaint rows, statuses, events, scores) stay.
"""

import json

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from complaints.models import Complaint, ComplaintAttachment, ComplaintEvent
from complaints.services import complaint_add_note, complaint_attach
from crm.models import Contact, Customer, Notification
from crm.notifications import notify
from crm.services import privacy_request_create, privacy_request_execute
from kpi.models import QualityInspection
from kpi.services.inspections import inspection_record
from partners.models import IdempotencyRecord, WebhookAttempt, WebhookDelivery
from tests.factories.crm import ContactFactory, PartnerFactory
from tests.factories.partners import WebhookEndpointFactory, make_api_key

pytestmark = pytest.mark.django_db

NAME = "诸葛明月"
PHONE_DIGITS = "13512345678"
EMAIL = "zhuge.my@example.cn"
CONTACT = "诸葛先生"
CONTACT_PHONE = "13598765432"
FILE_NAME = "zhuge-id-card.jpg"
PERSONAL = (
    NAME,
    PHONE_DIGITS,
    "135 1234 5678",
    EMAIL,
    "zhuge.my",
    CONTACT,
    CONTACT_PHONE,
    "ZG-9",
)
COMPLAINT = {
    "customer": {
        "name": NAME,
        "phone": PHONE_DIGITS,
        "email": EMAIL,
        "external_id": "ZG-9",
    },
    "channel": "online",
    "category": "service_quality",
    "subject": f"{NAME}投诉包裹丢失",
    "description": f"{NAME}（电话 135 1234 5678）称包裹丢失。",
}
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 64


def _entry(obj) -> LogEntry:
    return LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    )


def _log_text() -> str:
    """Every admin log entry's repr and change message, decoded (Django writes
    the message as ASCII-escaped JSON)."""
    return json.dumps(
        [
            [entry.object_repr, json.loads(entry.change_message or "[]")]
            for entry in LogEntry.objects.all()
        ],
        ensure_ascii=False,
    )


def _assert_clean(text: str) -> None:
    for value in PERSONAL:
        assert value not in text, f"{value!r} in {text!r}"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def person(org, media):
    """A customer registered by a partner with a complaint, and every kind of
    row that can hold the person's data."""
    partner = PartnerFactory(code="wanli", name="万里商城")
    WebhookEndpointFactory(partner=partner)
    _key, raw = make_api_key(partner=partner)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    response = api.post(
        "/api/v1/complaints/",
        COMPLAINT,
        format="json",
        HTTP_IDEMPOTENCY_KEY="order-ZG-9",
    )
    assert response.status_code == 201, response.content
    complaint = Complaint.objects.get(reference=response.json()["reference"])
    customer = complaint.customer
    Customer.objects.filter(pk=customer.pk).update(department=org.dept_a)
    customer.refresh_from_db()
    contact = ContactFactory(
        customer=customer, name=CONTACT, phone="+86" + CONTACT_PHONE
    )
    complaint_add_note(
        actor=org.admin, complaint=complaint, body=f"已回电 {CONTACT} {CONTACT_PHONE}"
    )
    attachment = complaint_attach(
        actor=org.admin,
        complaint=complaint,
        file=SimpleUploadedFile(FILE_NAME, JPEG, "image/jpeg"),
    )
    notify(
        recipient=org.agent_a,
        kind="test",
        title="请回电客户",
        body=f"回拨 +86{PHONE_DIGITS}",
        key="test:erasure:phone",
    )
    notify(
        recipient=org.agent_a,
        kind="test",
        title=f"回访到期：{NAME}",
        key="test:erasure:name",
    )
    inspection_record(
        actor=org.admin,
        complaint=complaint,
        staff=org.agent_a,
        scores=dict.fromkeys(QualityInspection.CHECKLIST, 8),
        comments=f"坐席对{NAME}的态度良好",
    )
    for delivery in WebhookDelivery.objects.all():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=1,
            status_code=500,
            error="HTTP 500",
            response_excerpt=json.dumps({"echo": NAME}, ensure_ascii=False),
        )
    # Admin log entries as Django writes them by default (str(obj)): what the
    # log held before the admin stopped capturing names.
    for obj, flag, message in (
        (customer, CHANGE, [{"added": {"name": "contact", "object": CONTACT}}]),
        (contact, ADDITION, [{"added": {}}]),
        (complaint, CHANGE, [{"added": {"name": "attachment", "object": FILE_NAME}}]),
        (attachment, ADDITION, [{"added": {}}]),
    ):
        LogEntry.objects.log_actions(
            user_id=org.admin.pk,
            queryset=[obj],
            action_flag=flag,
            change_message=message,
            single_object=True,
        )
    # A contact deleted long ago: its entry can no longer be traced to the
    # customer, only recognised by the name.
    LogEntry.objects.create(
        user_id=org.admin.pk,
        content_type=ContentType.objects.get_for_model(Contact),
        object_id="99999",
        object_repr=f"{NAME}的母亲",
        action_flag=DELETION,
    )
    return {
        "customer": customer,
        "complaint": complaint,
        "contact": contact,
        "attachment": attachment,
        "api": api,
        "body": response.json(),
    }


def _erase(org, customer, capture):
    request = privacy_request_create(
        actor=org.manager_a,
        customer=customer,
        kind="erase",
        requested_by="本人",
    )
    with capture(execute=True):
        privacy_request_execute(actor=org.manager_a, request=request)


def test_the_fixture_holds_the_person_everywhere(person):
    # The premise of the next test: each place below held the person's data.
    assert NAME in _entry(person["customer"]).object_repr
    assert _entry(person["contact"]).object_repr == CONTACT
    assert CONTACT in _log_text()
    assert Notification.objects.filter(body__contains=PHONE_DIGITS).exists()
    assert WebhookDelivery.objects.filter(status="pending").count() == 1
    assert NAME in WebhookDelivery.objects.get().payload["data"]["subject"]
    assert default_storage.exists(person["attachment"].file.name)


def test_erasure_reaches_every_table_and_keeps_the_statistics(
    org, person, django_capture_on_commit_callbacks
):
    customer, complaint = person["customer"], person["complaint"]
    contact_pk, attachment = person["contact"].pk, person["attachment"]
    before = Complaint.objects.filter(pk=complaint.pk).values(
        "reference", "status", "category_id", "severity", "received_at"
    )[0]
    events = ComplaintEvent.objects.filter(complaint=complaint).count()

    _erase(org, customer, django_capture_on_commit_callbacks)

    # Admin log: codes and "<model> #id", no names, in repr and messages.
    assert LogEntry.objects.count() == 5
    assert LogEntry.objects.get(object_id="99999").object_repr == "***的母亲"
    _assert_clean(_log_text())
    assert FILE_NAME not in _log_text()
    assert _entry(customer).object_repr == customer.code
    assert _entry(person["contact"]).object_repr.endswith(f"#{contact_pk}")
    assert _entry(complaint).object_repr == complaint.reference
    assert _entry(attachment).object_repr.endswith(f"#{attachment.pk}")
    # Notifications.
    _assert_clean(
        json.dumps(list(Notification.objects.values()), ensure_ascii=False, default=str)
    )
    # Webhook deliveries (the pending one still goes out, without the person).
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert delivery.payload["data"]["reference"] == complaint.reference
    _assert_clean(json.dumps(delivery.payload, ensure_ascii=False))
    attempts = list(WebhookAttempt.objects.values("error", "response_excerpt"))
    assert len(attempts) == 1
    _assert_clean(json.dumps(attempts, ensure_ascii=False))
    # Stored API answers.
    record = IdempotencyRecord.objects.get()
    _assert_clean(json.dumps(record.response_body, ensure_ascii=False))
    assert record.response_body["reference"] == complaint.reference
    # Attachments: rows and files gone, the timeline keeps a masked line.
    assert not ComplaintAttachment.objects.exists()
    assert not default_storage.exists(attachment.file.name)
    assert list(
        ComplaintEvent.objects.filter(
            complaint=complaint, kind="attachment"
        ).values_list("note", flat=True)
    ) == ["***"]
    # Quality inspections keep their scores, not the name.
    inspection = QualityInspection.objects.get()
    assert NAME not in inspection.comments and inspection.total == 80
    # Everything else about the complaint.
    _assert_clean(
        json.dumps(
            list(ComplaintEvent.objects.filter(complaint=complaint).values()),
            ensure_ascii=False,
            default=str,
        )
    )
    # Statistics stay.
    assert Complaint.objects.filter(pk=complaint.pk).values(*before)[0] == before
    assert ComplaintEvent.objects.filter(complaint=complaint).count() == events
    assert not Contact.objects.filter(pk=contact_pk).exists()


def test_replay_after_erasure_does_not_give_the_person_back(
    org, person, django_capture_on_commit_callbacks
):
    _erase(org, person["customer"], django_capture_on_commit_callbacks)
    response = person["api"].post(
        "/api/v1/complaints/",
        COMPLAINT,
        format="json",
        HTTP_IDEMPOTENCY_KEY="order-ZG-9",
    )
    assert response.status_code == 201
    assert response["Idempotent-Replayed"] == "true"  # not carried out again
    assert Complaint.objects.count() == 1
    body = response.json()
    _assert_clean(json.dumps(body, ensure_ascii=False))
    assert body["reference"] == person["body"]["reference"]
    assert body["customer"]["name"] == Customer.objects.get().name
    assert body["customer"]["external_id"] is None


def test_admin_log_no_longer_captures_names(org, client):
    client.force_login(org.account_manager_a)
    response = client.post(
        "/admin/crm/customer/add/",
        {
            "kind": "individual",
            "name": NAME,
            "tier": "regular",
            "lifecycle": "new",
            "tags": "[]",
            "phone": PHONE_DIGITS,
            "email": EMAIL,
            "owner": org.account_manager_a.pk,
            "department": org.dept_a.pk,
            "contacts-TOTAL_FORMS": "2",
            "contacts-INITIAL_FORMS": "0",
            "contacts-0-name": CONTACT,
            "contacts-0-phone": CONTACT_PHONE,
            "contacts-1-name": "诸葛小姐",
            "external_ids-TOTAL_FORMS": "0",
            "external_ids-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer = Customer.objects.get(code__startswith="KH")
    assert Contact.objects.filter(customer=customer).count() == 2
    entry = _entry(customer)
    assert entry.object_repr == customer.code
    assert len(entry.get_change_message()) > 0
    # Deleting the contacts (the bulk action) logs them by id.
    client.force_login(org.admin)
    pks = list(Contact.objects.values_list("pk", flat=True))
    response = client.post(
        "/admin/crm/contact/",
        {"action": "delete_selected", "_selected_action": pks, "post": "yes"},
    )
    assert response.status_code == 302
    assert not Contact.objects.exists()
    deleted = LogEntry.objects.filter(action_flag=DELETION)
    assert sorted(e.object_repr.split("#")[-1] for e in deleted) == sorted(
        str(pk) for pk in pks
    )
    _assert_clean(_log_text())
    assert "诸葛小姐" not in _log_text()
