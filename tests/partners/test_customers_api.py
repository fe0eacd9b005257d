"""Customers and revisits endpoints: partner isolation, dedupe, masking."""

import pytest

from config.api.scopes import Scope
from crm.models import Customer
from tests.factories.crm import (
    CustomerExternalIdFactory,
    CustomerFactory,
    RevisitFactory,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers/"
RW = [Scope.CUSTOMERS_READ, Scope.CUSTOMERS_WRITE]


def test_partner_creates_then_finds_the_same_customer(partner_a, key_client):
    client = key_client(partner_a, scopes=RW)
    body = {"name": "张敏", "phone": "13700137000", "external_id": "M-77"}

    created = client.post(URL, body, format="json")
    again = client.post(URL, {"name": "张敏", "external_id": "M-77"}, format="json")

    assert created.status_code == 201, created.json()
    assert again.status_code == 200
    assert again.json()["code"] == created.json()["code"]
    assert created.json()["external_id"] == "M-77"
    assert created.json()["phone"] == "+8613700137000"
    customer = Customer.objects.get()
    assert customer.partner == partner_a


def test_partner_lists_and_reads_only_its_customers(partner_a, partner_b, key_client):
    own = CustomerFactory(partner=partner_a)
    CustomerExternalIdFactory(customer=own, partner=partner_a, external_id="A-1")
    other = CustomerFactory(partner=partner_b)
    CustomerFactory(partner=None)
    client = key_client(partner_a, scopes=RW)

    listed = client.get(URL).json()["results"]

    assert [c["code"] for c in listed] == [own.code]
    assert listed[0]["external_id"] == "A-1"
    assert client.get(f"{URL}{own.code}/").status_code == 200
    assert client.get(f"{URL}{other.code}/").status_code == 404
    assert [
        c["code"] for c in client.get(URL, {"external_id": "A-1"}).json()["results"]
    ] == [own.code]


def test_a_phone_registered_elsewhere_gives_the_partner_its_own_customer(
    partner_a, key_client
):
    # Details: tests/partners/test_customer_privacy.py
    other = CustomerFactory(partner=None, phone="+8613600136000", email="li@ex.cn")
    client = key_client(partner_a, scopes=RW)

    response = client.post(URL, {"name": "李", "phone": "13600136000"}, format="json")

    assert response.status_code == 201
    assert response.json()["code"] != other.code
    assert response.json()["phone"] == "+8613600136000"
    assert response.json()["email"] == ""


def test_customer_bad_input_names_fields(partner_a, key_client):
    client = key_client(partner_a, scopes=RW)

    no_id = client.post(URL, {"name": "无"}, format="json")
    bad_phone = client.post(URL, {"name": "x", "phone": "12"}, format="json")

    assert no_id.status_code == 400 and "phone" in no_id.json()["errors"]
    assert bad_phone.status_code == 400 and "phone" in bad_phone.json()["errors"]
    assert not Customer.objects.exists()


def test_staff_see_customers_of_their_scope_unmasked(org, staff_client):
    mine = CustomerFactory(owner=org.account_manager_a, phone="+8613500135000")
    theirs = CustomerFactory(owner=org.account_manager_b)

    listed = staff_client(org.account_manager_a).get(URL).json()["results"]

    assert [c["code"] for c in listed] == [mine.code]
    assert listed[0]["phone"] == "+8613500135000"
    assert (
        staff_client(org.account_manager_a).get(f"{URL}{theirs.code}/").status_code
        == 404
    )


def test_customer_list_query_count_is_constant(
    partner_a, key_client, django_assert_max_num_queries
):
    for _ in range(15):
        CustomerFactory(partner=partner_a)
    client = key_client(partner_a, scopes=RW)
    client.get(URL)

    with django_assert_max_num_queries(2):
        assert len(client.get(URL, {"page_size": 15}).json()["results"]) == 15


def test_revisits_partner_and_staff(
    partner_a, partner_b, key_client, org, staff_client
):
    own = RevisitFactory(customer=CustomerFactory(partner=partner_a))
    RevisitFactory(customer=CustomerFactory(partner=partner_b))
    staff_one = RevisitFactory(
        customer=CustomerFactory(owner=org.account_manager_a),
        assignee=org.account_manager_a,
    )

    partner_list = key_client(partner_a, scopes=[Scope.CUSTOMERS_READ]).get(
        "/api/v1/revisits/"
    )
    staff_list = staff_client(org.account_manager_a).get(
        "/api/v1/revisits/", {"status": "planned"}
    )

    assert [r["id"] for r in partner_list.json()["results"]] == [own.pk]
    assert partner_list.json()["results"][0]["customer"] == own.customer.code
    assert [r["id"] for r in staff_list.json()["results"]] == [staff_one.pk]
    assert staff_client(org.trainer_a).get("/api/v1/revisits/").status_code == 403


def test_revisit_list_query_count_is_constant(
    partner_a, key_client, django_assert_max_num_queries
):
    customer = CustomerFactory(partner=partner_a)
    for _ in range(12):
        RevisitFactory(customer=customer)
    client = key_client(partner_a, scopes=[Scope.CUSTOMERS_READ])
    client.get("/api/v1/revisits/")

    for size in (1, 12):
        with django_assert_max_num_queries(2):
            page = client.get("/api/v1/revisits/", {"page_size": size}).json()
        assert len(page["results"]) == size
