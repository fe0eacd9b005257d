"""The customer API masks identifiers for staff roles that do not need them and
logs each staff view of an unmasked customer."""

import pytest

from crm.models import PersonalDataAccess
from tests.factories.crm import CustomerFactory

pytestmark = pytest.mark.django_db


def test_staff_detail_is_unmasked_for_agents_and_logged(org, client):
    customer = CustomerFactory(phone="+8613812345678", department=org.dept_a)
    client.force_login(org.agent_a)
    response = client.get(f"/api/v1/customers/{customer.code}/")
    assert response.status_code == 200
    assert response.json()["phone"] == "+8613812345678"
    log = PersonalDataAccess.objects.get()
    assert (log.actor, log.customer, log.action) == (org.agent_a, customer, "view")


def test_staff_roles_without_need_get_masked_identifiers_and_no_log(org, client):
    customer = CustomerFactory(phone="+8613812345678", department=org.dept_a)
    client.force_login(org.qa_inspector_a)
    response = client.get(f"/api/v1/customers/{customer.code}/")
    assert response.status_code == 200
    assert response.json()["phone"] == "+86138****5678"
    listing = client.get("/api/v1/customers/").json()
    assert listing["results"][0]["phone"] == "+86138****5678"
    assert not PersonalDataAccess.objects.exists()
