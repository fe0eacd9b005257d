"""PIPL requests: export everything linked, correct, erase (anonymise, keep the
statistics), and the log of who saw personal data."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from complaints.models import Complaint, ComplaintEvent
from complaints.services import complaint_add_note
from config.errors import IllegalTransition, InvalidInput, NotPermitted
from crm.models import (
    Contact,
    Customer,
    CustomerExternalId,
    Interaction,
    Notification,
    PersonalDataAccess,
    PrivacyRequest,
    Revisit,
)
from crm.notifications import notify
from crm.services import (
    customer_find,
    interaction_record,
    privacy_request_create,
    privacy_request_execute,
    privacy_request_reject,
)
from tests.factories.complaints import make_complaint
from tests.factories.crm import (
    ContactFactory,
    CustomerExternalIdFactory,
    CustomerFactory,
    RevisitFactory,
)

pytestmark = pytest.mark.django_db

NAME = "欧阳娜娜"
PHONE = "+8613912345678"
EMAIL = "ouyang@example.cn"


@pytest.fixture
def person(org):
    customer = CustomerFactory(
        name=NAME,
        phone=PHONE,
        email=EMAIL,
        address="上海市浦东新区世纪大道100号",
        department=org.dept_a,
        tags=["vip"],
    )
    ContactFactory(customer=customer, name="欧阳先生")
    CustomerExternalIdFactory(customer=customer, external_id="U-77")
    complaint = make_complaint(
        actor=org.agent_a,
        customer=customer,
        subject=f"{NAME}投诉快递延误",
        description=f"客户{NAME}（电话13912345678，邮箱{EMAIL}）称快件延误三天。",
    )
    complaint_add_note(
        actor=org.agent_a, complaint=complaint, body=f"已致电{NAME}，号码 139 1234 5678"
    )
    interaction_record(
        actor=org.agent_a,
        customer=customer,
        channel="phone",
        summary=f"{NAME}来电催促",
        complaint=complaint,
    )
    RevisitFactory(customer=customer, feedback=f"{NAME}表示满意", status="done")
    RevisitFactory(customer=customer)  # still planned
    notify(
        recipient=org.agent_a,
        kind="revisit_due_soon",
        title=f"回访到期：{NAME}",
        key="test:privacy",
    )
    return customer


def _request(org, customer, kind, **kwargs):
    return privacy_request_create(
        actor=org.manager_a,
        customer=customer,
        kind=kind,
        requested_by="客户本人（身份证核验）",
        **kwargs,
    )


def test_export_contains_everything_linked_and_is_logged(org, person):
    request = _request(org, person, "export")
    data = privacy_request_execute(actor=org.manager_a, request=request)
    text = json.dumps(data, ensure_ascii=False)
    assert data["customer"]["phone"] == PHONE
    assert data["customer"]["email"] == EMAIL
    assert "phone_digest" not in data["customer"]
    assert data["external_ids"] == [
        {
            "partner": str(CustomerExternalId.objects.get().partner),
            "external_id": "U-77",
        }
    ]
    assert len(data["contacts"]) == 1 and len(data["revisits"]) == 2
    assert len(data["interactions"]) == 1
    assert data["complaints"][0]["reference"].startswith("TS")
    assert "快件延误三天" in text
    log = PersonalDataAccess.objects.get(action="export")
    assert log.actor == org.manager_a and log.customer == person
    request.refresh_from_db()
    assert request.status == "done" and request.executed_by == org.manager_a


def test_correction_is_applied_and_the_request_keeps_no_values(org, person):
    request = _request(
        org, person, "correct", corrections={"phone": "13700007777", "name": "欧阳娜"}
    )
    privacy_request_execute(actor=org.manager_a, request=request)
    person.refresh_from_db()
    assert person.phone == "+8613700007777" and person.name == "欧阳娜"
    assert customer_find(phone="13700007777") == person
    request.refresh_from_db()
    assert request.corrections == {"phone": "***", "name": "***"}
    assert PersonalDataAccess.objects.filter(action="correct").count() == 1


def test_correction_requests_name_known_fields(org, person):
    with pytest.raises(InvalidInput):
        _request(org, person, "correct", corrections={"code": "X"})


def test_erasure_anonymises_the_person_and_keeps_the_statistics(org, person):
    complaint = Complaint.objects.get(customer=person)
    before = Complaint.objects.filter(pk=complaint.pk).values(
        "reference",
        "status",
        "category_id",
        "severity",
        "channel",
        "received_at",
        "first_response_due_at",
        "department_id",
    )[0]
    events_before = ComplaintEvent.objects.filter(complaint=complaint).count()
    request = _request(org, person, "erase")

    privacy_request_execute(actor=org.manager_a, request=request)

    person.refresh_from_db()
    assert person.is_anonymised and NAME not in person.name
    assert person.phone == "" and person.email == "" and person.address == ""
    assert person.phone_digest is None and person.tags == []
    assert customer_find(phone=PHONE) is None
    assert not Contact.objects.filter(customer=person).exists()
    assert not CustomerExternalId.objects.filter(customer=person).exists()
    # The raw row holds nothing of the person.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM crm_customer WHERE id = %s", [person.pk])
        raw = " ".join(str(v) for v in cursor.fetchone())
    assert NAME not in raw and "13912345678" not in raw and "ouyang" not in raw
    # Complaints, their notes and the audit trail keep no mention of the person.
    texts = []
    for model in (Complaint,):
        texts += [
            json.dumps(v, ensure_ascii=False, default=str)
            for v in model.objects.filter(customer=person).values()
        ]
    texts += [
        json.dumps(v, ensure_ascii=False, default=str)
        for v in ComplaintEvent.objects.filter(complaint=complaint).values()
    ]
    texts += [n.body for n in complaint.notes.all()]
    texts += list(Interaction.objects.values_list("summary", flat=True))
    texts += list(Revisit.objects.values_list("feedback", flat=True))
    texts += list(Notification.objects.values_list("title", flat=True))
    joined = " ".join(texts)
    for secret in (NAME, "13912345678", "139 1234 5678", EMAIL):
        assert secret not in joined
    assert "快件延误三天" in joined  # the substance stays for analysis
    # The statistics' inputs are untouched.
    after = Complaint.objects.filter(pk=complaint.pk).values(*before)[0]
    assert after == before
    assert ComplaintEvent.objects.filter(complaint=complaint).count() == events_before
    assert Revisit.objects.filter(customer=person, status="done").count() == 1
    assert not Revisit.objects.filter(customer=person, status="planned").exists()
    # Who asked, who executed, when; the request itself keeps no name.
    request.refresh_from_db()
    assert request.status == "done" and request.executed_at is not None
    assert request.requested_by == "***"
    assert PersonalDataAccess.objects.filter(
        action="erase", actor=org.manager_a
    ).exists()
    # Erasing twice changes nothing.
    privacy_request_execute(actor=org.manager_a, request=request)
    assert PersonalDataAccess.objects.filter(action="erase").count() == 1


def test_only_managers_of_the_department_execute(org, person):
    request = _request(org, person, "erase")
    with pytest.raises(NotPermitted):
        privacy_request_execute(actor=org.agent_a, request=request)
    with pytest.raises(NotPermitted):
        privacy_request_execute(actor=org.manager_b, request=request)
    assert Customer.objects.get(pk=person.pk).name == NAME


def test_a_rejected_request_cannot_be_executed(org, person):
    request = _request(org, person, "erase")
    privacy_request_reject(actor=org.manager_a, request=request, reason="身份未核实")
    with pytest.raises(IllegalTransition):
        privacy_request_execute(actor=org.manager_a, request=request)
    assert PrivacyRequest.objects.get(pk=request.pk).status == "rejected"


def test_agents_cannot_record_privacy_requests(org, person):
    with pytest.raises(NotPermitted):
        privacy_request_create(
            actor=org.agent_a, customer=person, kind="export", requested_by="x"
        )


def test_viewing_a_customer_in_the_admin_is_logged_and_masked_for_others(
    org, person, client
):
    client.force_login(org.agent_a)
    org.agent_a.is_staff = True
    url = f"/admin/crm/customer/{person.pk}/change/"
    response = client.get(url)
    assert response.status_code == 200
    assert PHONE in response.content.decode()
    assert (
        PersonalDataAccess.objects.filter(actor=org.agent_a, action="view").count() == 1
    )
    client.force_login(org.qa_inspector_a)
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert PHONE not in html and "+86139****5678" in html
    assert not PersonalDataAccess.objects.filter(actor=org.qa_inspector_a).exists()


def test_old_timestamps_are_kept_on_erasure(org, person):
    past = timezone.now() - timedelta(days=30)
    Customer.objects.filter(pk=person.pk).update(created_at=past)
    privacy_request_execute(actor=org.manager_a, request=_request(org, person, "erase"))
    assert Customer.objects.get(pk=person.pk).created_at == past
