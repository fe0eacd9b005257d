"""complaint_submit (API intake): the customer found or created by identifiers
and the complaint received for it, in one transaction — both or neither."""

import pytest

from complaints.models import Complaint
from complaints.services import complaint_submit
from config.errors import InvalidInput
from crm.models import Customer, CustomerExternalId
from tests.factories import CustomerFactory, PartnerFactory

pytestmark = pytest.mark.django_db

COMPLAINT = {
    "channel": "online",
    "category": "service_quality",
    "subject": "快递延误三天",
    "description": "包裹三天未送达，物流信息不更新。",
}


def test_a_partner_submission_creates_its_own_customer_then_finds_it(db):
    partner = PartnerFactory()
    customer = {"name": "王伟", "phone": "13800138000", "external_id": "U-1001"}

    first = complaint_submit(
        actor=None, partner=partner, customer=customer, **COMPLAINT
    )
    second = complaint_submit(
        actor=None,
        partner=partner,
        customer={"name": "王伟", "phone": "13900139000", "external_id": "U-1001"},
        **COMPLAINT,
        severity="high",
        order_number="SD1",
    )

    assert first.source_partner == partner and first.status == "received"
    assert first.customer.partner == partner
    assert second.customer == first.customer  # found by the partner's own id
    assert second.severity == "high" and second.order_number == "SD1"
    assert CustomerExternalId.objects.get(external_id="U-1001").partner == partner
    assert first.events.filter(kind="created").exists()


def test_a_refused_customer_names_the_nested_field_and_writes_nothing(db):
    with pytest.raises(InvalidInput) as refused:
        complaint_submit(
            actor=None, partner=PartnerFactory(), customer={"name": "王伟"}, **COMPLAINT
        )

    assert refused.value.field == "customer.phone"
    assert not Customer.objects.exists() and not Complaint.objects.exists()


def test_a_refused_complaint_leaves_no_new_customer_behind(db):
    with pytest.raises(InvalidInput) as refused:
        complaint_submit(
            actor=None,
            partner=PartnerFactory(),
            customer={"name": "王伟", "phone": "13800138000"},
            **{**COMPLAINT, "category": "no-such-category"},
        )

    assert refused.value.field == "category"
    assert not Customer.objects.exists() and not Complaint.objects.exists()


def test_staff_attach_to_the_in_house_customer_outside_their_scope(org):
    other = CustomerFactory(department=org.dept_b, name="李娜", email="")
    before = Customer.objects.count()

    complaint = complaint_submit(
        actor=org.agent_a,
        customer={"name": "李娜(改)", "phone": other.phone, "email": "x@example.cn"},
        **COMPLAINT,
    )

    assert complaint.customer == other and complaint.source_partner is None
    assert complaint.created_by == org.agent_a
    assert Customer.objects.count() == before
    other.refresh_from_db()
    assert other.name == "李娜" and other.email == ""  # found, not changed
