"""A customer created by staff belongs somewhere the creator sees (issue 11, Medium 10).

``POST /api/v1/customers/`` with a staff login puts the new customer in the
creator's department; an account manager (whose role sees only the customers
they own) becomes its owner. The creator reads it back.
"""

import pytest
from rest_framework.test import APIClient

from crm.models import Customer
from crm.services import customer_create

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers/"
CREATORS = ["agent", "complaint_handler", "supervisor", "manager", "account_manager"]


def client_for(user):
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.mark.parametrize("role", CREATORS)
def test_the_creator_reads_back_the_customer_they_created(org, role):
    creator = getattr(org, f"{role}_a")
    client = client_for(creator)

    created = client.post(
        URL, {"name": "新客户", "phone": "13812340000"}, format="json"
    )

    assert created.status_code == 201, created.json()
    customer = Customer.objects.get(code=created.json()["code"])
    assert customer.department == org.dept_a
    expected_owner = creator if role == "account_manager" else None
    assert customer.owner == expected_owner
    assert customer.partner is None
    read = client.get(f"{URL}{customer.code}/")
    assert read.status_code == 200
    assert read.json()["phone"] == "+8613812340000"
    # ... and the other department does not see it
    other = client_for(getattr(org, f"{role}_b"))
    assert other.get(f"{URL}{customer.code}/").status_code == 404


def test_an_admin_without_department_creates_an_unassigned_customer(org):
    created = client_for(org.admin).post(
        URL, {"name": "总部客户", "email": "hq@example.cn"}, format="json"
    )

    assert created.status_code == 201
    customer = Customer.objects.get(code=created.json()["code"])
    assert (customer.department, customer.owner) == (None, None)
    assert client_for(org.admin).get(f"{URL}{customer.code}/").status_code == 200


def test_the_service_applies_the_same_defaults_unless_told_otherwise(org):
    # Given the admin form's call (owner and department named, or not)
    own = customer_create(actor=org.account_manager_a, name="甲", phone="13800000001")
    named = customer_create(
        actor=org.manager_a,
        name="乙",
        phone="13800000002",
        owner=org.account_manager_a,
    )
    by_agent = customer_create(actor=org.agent_b, name="丙", phone="13800000003")

    assert (own.owner, own.department) == (org.account_manager_a, org.dept_a)
    assert (named.owner, named.department) == (org.account_manager_a, org.dept_a)
    assert (by_agent.owner, by_agent.department) == (None, org.dept_b)
