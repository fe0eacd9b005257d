"""Customers are private to their owner (issue 11, High 1).

A partner's ``POST /customers/`` and ``POST /complaints/`` match only customers
that partner registered. A phone or e-mail of a customer registered in-house or
by another partner gives the caller a new customer of its own — the answer looks
exactly like the one for an unknown phone — and the other customer's row (name,
e-mail, external ids, complaints) is left as it was.
"""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from complaints.models import Complaint
from config.api.scopes import Scope
from crm.models import Customer, CustomerExternalId
from tests.factories.crm import CustomerExternalIdFactory, CustomerFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers/"
RW = [Scope.CUSTOMERS_READ, Scope.CUSTOMERS_WRITE]
COMPLAINT_SCOPES = [Scope.COMPLAINTS_READ, Scope.COMPLAINTS_WRITE]
VOLATILE = {"code", "created_at", "updated_at"}


def snapshot(customer):
    """What must not change about another owner's customer."""
    row = Customer.objects.get(pk=customer.pk)
    return {
        "name": row.name,
        "phone": row.phone,
        "email": row.email,
        "partner": row.partner_id,
        "updated_at": row.updated_at,
        "external_ids": sorted(
            CustomerExternalId.objects.filter(customer=row).values_list(
                "partner_id", "external_id"
            )
        ),
        "complaints": Complaint.objects.filter(customer=row).count(),
    }


def leaks(body, customer, sent=()) -> list[str]:
    """Values of ``customer`` found in a JSON answer, except those the caller
    sent itself (a phone it posted comes back as its own customer's phone)."""
    text = str(body)
    secrets = [customer.code, customer.name, customer.phone, customer.email]
    return [value for value in secrets if value and value not in sent and value in text]


@pytest.fixture
def a_customer(partner_a):
    customer = CustomerFactory(
        name="速达的客户",
        phone="+8613711112222",
        email="",
        partner=partner_a,
    )
    CustomerExternalIdFactory(customer=customer, partner=partner_a, external_id="A-1")
    return customer


@pytest.fixture
def in_house(org):
    return CustomerFactory(
        name="内部客户",
        phone="+8613733334444",
        email="",
        department=org.dept_a,
    )


@pytest.mark.parametrize("owner", ["a_customer", "in_house"])
def test_another_owners_phone_gives_partner_b_a_new_customer_of_its_own(
    request, owner, partner_a, partner_b, key_client
):
    # Given a customer registered by partner A (or in-house)
    theirs = request.getfixturevalue(owner)
    before = snapshot(theirs)
    b = key_client(partner_b, scopes=RW)

    # When partner B posts that phone with its own name, e-mail and external id
    response = b.post(
        URL,
        {
            "name": "云海的客户",
            "phone": theirs.phone.replace("+86", ""),
            "email": "b@yunhai.example.cn",
            "external_id": "B-9",
        },
        format="json",
    )

    # Then B gets a new customer with exactly what it sent, nothing of theirs
    assert response.status_code == 201, response.json()
    body = response.json()
    assert leaks(body, theirs, sent=[theirs.phone]) == []
    assert {k: v for k, v in body.items() if k not in VOLATILE} == {
        "name": "云海的客户",
        "kind": "individual",
        "phone": theirs.phone,
        "email": "b@yunhai.example.cn",
        "external_id": "B-9",
        "tier": "regular",
    }
    mine = Customer.objects.get(code=body["code"])
    assert mine.partner == partner_b and mine.pk != theirs.pk
    # and their row is untouched: no e-mail filled in, no id of B linked
    assert snapshot(theirs) == before
    # B reads back its own customer; A (or anyone but B) does not see it
    assert b.get(f"{URL}{mine.code}/").json()["email"] == "b@yunhai.example.cn"
    a = key_client(partner_a, scopes=RW)
    assert a.get(f"{URL}{mine.code}/").status_code == 404
    assert mine.code not in str(a.get(URL).json())
    assert b.get(f"{URL}{theirs.code}/").status_code == 404


def test_the_answer_does_not_tell_whether_someone_else_has_the_phone(
    partner_a, partner_b, key_client, a_customer
):
    b = key_client(partner_b, scopes=RW)

    taken = b.post(URL, {"name": "甲", "phone": "13711112222"}, format="json")
    fresh = b.post(URL, {"name": "甲", "phone": "13755556666"}, format="json")

    assert taken.status_code == fresh.status_code == 201
    shape = {k: v for k, v in taken.json().items() if k not in VOLATILE | {"phone"}}
    assert shape == {
        k: v for k, v in fresh.json().items() if k not in VOLATILE | {"phone"}
    }
    assert set(taken.headers) == set(fresh.headers)


def test_another_owners_email_is_not_matched_either(partner_b, key_client, in_house):
    in_house_mail = CustomerFactory(name="邮箱客户", phone="", email="x@example.cn")
    before = snapshot(in_house_mail)
    b = key_client(partner_b, scopes=RW)

    response = b.post(
        URL,
        {"name": "乙", "email": "X@Example.cn", "phone": "13799990000"},
        format="json",
    )

    assert response.status_code == 201
    assert leaks(response.json(), in_house_mail, sent=["x@example.cn"]) == []
    assert snapshot(in_house_mail) == before  # its blank phone stays blank


def test_a_partner_still_finds_its_own_customer_by_phone_email_or_id(
    partner_a, key_client, a_customer
):
    a = key_client(partner_a, scopes=RW)

    by_phone = a.post(URL, {"name": "x", "phone": "13711112222"}, format="json")
    by_id = a.post(URL, {"name": "x", "external_id": "A-1"}, format="json")
    filled = a.post(
        URL, {"name": "x", "phone": "13711112222", "email": "a@suda.cn"}, format="json"
    )

    assert by_phone.status_code == by_id.status_code == filled.status_code == 200
    assert {by_phone.json()["code"], by_id.json()["code"]} == {a_customer.code}
    a_customer.refresh_from_db()
    assert a_customer.email == "a@suda.cn"  # its own blank e-mail is filled in
    assert Customer.objects.count() == 1


def test_a_second_post_of_the_same_phone_finds_the_partners_new_customer(
    partner_b, key_client, in_house
):
    b = key_client(partner_b, scopes=RW)
    body = {"name": "丙", "phone": "13733334444"}

    first = b.post(URL, body, format="json")
    second = b.post(URL, body, format="json")

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["code"] == second.json()["code"] != in_house.code
    assert Customer.objects.filter(partner=partner_b).count() == 1


def test_an_id_linked_to_another_owners_customer_is_moved_to_the_partners_own(
    partner_b, key_client, in_house
):
    # Given a link from before customers were private: B's id names in_house
    CustomerExternalIdFactory(customer=in_house, partner=partner_b, external_id="B-1")
    b = key_client(partner_b, scopes=RW)

    # Then the id alone is no longer enough to name a customer
    alone = b.post(URL, {"name": "丁", "external_id": "B-1"}, format="json")
    assert alone.status_code == 400 and "phone" in alone.json()["errors"]

    # When B sends it with a phone, it gets (and keeps) a customer of its own
    response = b.post(
        URL, {"name": "丁", "external_id": "B-1", "phone": "13800001111"}, format="json"
    )
    again = b.post(URL, {"name": "丁", "external_id": "B-1"}, format="json")

    assert response.status_code == 201 and again.status_code == 200
    assert leaks(response.json(), in_house) == []
    mine = Customer.objects.get(partner=partner_b)
    assert again.json()["code"] == response.json()["code"] == mine.code
    assert CustomerExternalId.objects.get(partner=partner_b).customer == mine
    assert not in_house.external_ids.exists()


def test_a_partners_complaint_never_attaches_to_another_owners_customer(
    partner_a, partner_b, key_client, a_customer
):
    before = snapshot(a_customer)
    b = key_client(partner_b, scopes=COMPLAINT_SCOPES)

    response = b.post(
        "/api/v1/complaints/",
        {
            "customer": {
                "name": "云海的客户",
                "phone": "13711112222",
                "email": "b@yunhai.example.cn",
                "external_id": "A-1",
            },
            "channel": "online",
            "category": "service_quality",
            "subject": "包裹延误",
            "description": "三天未到。",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert leaks(response.json(), a_customer) == []
    complaint = Complaint.objects.get(reference=response.json()["reference"])
    assert complaint.customer.partner == partner_b
    assert response.json()["customer"]["name"] == "云海的客户"
    assert snapshot(a_customer) == before
    a = key_client(partner_a, scopes=COMPLAINT_SCOPES)
    assert a.get(f"/api/v1/complaints/{complaint.reference}/").status_code == 404


def test_staff_cannot_read_an_out_of_scope_customer_through_create(
    org, staff_client, in_house
):
    # in_house belongs to department A; agent B may not see it
    before = snapshot(in_house)

    response = staff_client(org.agent_b).post(
        URL,
        {"name": "乙", "phone": "13733334444", "email": "b@example.cn"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "duplicate_customer"
    assert "phone" in response.json()["errors"]
    assert leaks(response.json(), in_house) == []
    assert snapshot(in_house) == before
    # In scope, the same call finds it
    found = staff_client(org.agent_a).post(
        URL, {"name": "甲", "phone": "13733334444"}, format="json"
    )
    assert found.status_code == 200 and found.json()["code"] == in_house.code


def test_staff_complaint_intake_attaches_an_out_of_scope_customer_unchanged(
    org, staff_client, in_house
):
    before = snapshot(in_house)

    response = staff_client(org.agent_b).post(
        "/api/v1/complaints/",
        {
            "customer": {
                "name": "乙",
                "phone": "13733334444",
                "email": "b@example.cn",
                "external_id": "CALL-1",
            },
            "channel": "phone",
            "category": "service_quality",
            "subject": "来电投诉",
            "description": "服务态度差。",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert Complaint.objects.get().customer == in_house
    assert {**snapshot(in_house), "complaints": 0} == before


def test_the_same_phone_is_unique_per_owner_not_across_owners(partner_a, partner_b):
    phone = "+8613744445555"
    CustomerFactory(phone=phone, partner=None)
    CustomerFactory(phone=phone, partner=partner_a)
    CustomerFactory(phone=phone, partner=partner_b)

    for partner in (None, partner_a):
        with pytest.raises(IntegrityError), transaction.atomic():
            CustomerFactory(phone=phone, partner=partner)

    assert Customer.objects.count() == 3


def test_a_partner_with_customers_cannot_be_deleted(partner_a, a_customer):
    # Its customers would become in-house customers (and clash with them).
    with pytest.raises(ProtectedError):
        partner_a.delete()


@pytest.mark.skipif(
    "postgresql"
    not in __import__("django.conf").conf.settings.DATABASES["default"]["ENGINE"],
    reason="concurrent writers need PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_over_a_foreign_link_make_one_customer_of_the_partner():
    import threading

    from django.db import connection

    from crm.services import customer_upsert
    from tests.factories.crm import PartnerFactory

    # Given an in-house customer that partner B's id was linked to long ago
    partner = PartnerFactory()
    in_house = CustomerFactory(phone="+8613766667777", email="")
    CustomerExternalIdFactory(customer=in_house, partner=partner, external_id="OLD-1")
    before = snapshot(in_house)
    barrier = threading.Barrier(6)
    results, errors = [], []

    def submit(i):
        try:
            barrier.wait()
            # Half send a new phone, half the in-house customer's phone
            phone = "13766667777" if i % 2 else "13766668888"
            results.append(
                customer_upsert(
                    actor=None,
                    name="并发",
                    phone=phone,
                    external_id="OLD-1",
                    partner=partner,
                )
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    # When six requests of B arrive at once
    threads = [threading.Thread(target=submit, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # Then B has one customer of its own, named by the id; in_house is unchanged
    # but for the old link, which moved
    assert errors == []
    own = Customer.objects.get(partner=partner)
    assert {c.pk for c, _created in results} == {own.pk}
    assert sum(created for _c, created in results) == 1
    link = CustomerExternalId.objects.get(partner=partner, external_id="OLD-1")
    assert link.customer == own
    after = snapshot(in_house)
    assert after.pop("external_ids") == []
    assert after == {k: v for k, v in before.items() if k != "external_ids"}
