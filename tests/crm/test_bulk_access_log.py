"""Bulk reads of unmasked personal data are logged (issue 11, Medium 8).

A staff member who sees identifiers unmasked (``crm.selectors.sees_personal_data``)
and lists customers through the API leaves one ``PersonalDataAccess`` row per
request with the number of customers shown; the row carries the reader's
department so their manager sees it. Contact pages (unmasked phone and e-mail)
are logged like customer pages. Masked readers and partners leave no row.
"""

from importlib import import_module

import pytest
from django.apps import apps
from django.urls import reverse
from rest_framework.test import APIClient

from config.api.scopes import Scope
from crm import scoping
from crm.models import PersonalDataAccess
from crm.services import personal_data_access_log, personal_data_bulk_access_log
from tests.factories.crm import ContactFactory, CustomerFactory, PartnerFactory
from tests.factories.partners import make_api_key

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers/"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def dept_a_customers(org):
    return [CustomerFactory(department=org.dept_a) for _ in range(3)]


def test_an_unmasked_list_page_writes_one_row_with_the_count(org, dept_a_customers):
    client = client_for(org.agent_a)

    page = client.get(URL, {"page_size": 2}).json()

    assert "*" not in page["results"][0]["phone"]  # unmasked
    row = PersonalDataAccess.objects.get()
    assert (row.actor, row.action, row.record_count) == (org.agent_a, "list", 2)
    assert (row.customer, row.department, row.note) == (None, org.dept_a, "api")

    client.get(page["next"])
    assert list(
        PersonalDataAccess.objects.order_by("pk").values_list("record_count", flat=True)
    ) == [2, 1]


def test_the_readers_manager_sees_the_bulk_row_another_department_does_not(
    org, dept_a_customers
):
    client_for(org.agent_a).get(URL)

    row = PersonalDataAccess.objects.get()
    assert scoping.can_view(org.manager_a, row)
    assert not scoping.can_view(org.manager_b, row)
    assert scoping.can_view(org.admin, row)


def test_an_empty_page_is_not_logged(org):
    assert client_for(org.agent_a).get(URL).json()["results"] == []
    assert not PersonalDataAccess.objects.exists()


def test_masked_readers_and_partners_leave_no_row(org, dept_a_customers):
    # QA inspectors see customers of their department masked
    qa_page = client_for(org.qa_inspector_a).get(URL).json()["results"]
    partner = PartnerFactory()
    CustomerFactory(partner=partner)
    _key, raw = make_api_key(partner=partner, scopes=[Scope.CUSTOMERS_READ])
    partner_client = APIClient()
    partner_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")

    partner_page = partner_client.get(URL).json()["results"]

    assert len(qa_page) == 3 and all("*" in c["phone"] for c in qa_page)
    assert len(partner_page) == 1
    assert not PersonalDataAccess.objects.exists()


def test_single_views_keep_their_row_now_with_the_customers_department(
    org, dept_a_customers
):
    customer = dept_a_customers[0]

    client_for(org.agent_a).get(f"{URL}{customer.code}/")

    row = PersonalDataAccess.objects.get()
    assert (row.customer, row.department, row.action) == (customer, org.dept_a, "view")
    assert row.record_count == 1
    assert scoping.can_view(org.manager_a, row)
    assert not scoping.can_view(org.manager_b, row)


def test_a_contacts_page_with_unmasked_phone_is_logged(org, client):
    contact = ContactFactory(customer=CustomerFactory(department=org.dept_a))
    client.force_login(org.agent_a)

    page = client.get(reverse("admin:crm_contact_change", args=[contact.pk]))

    assert page.status_code == 200
    assert contact.phone in page.content.decode()
    row = PersonalDataAccess.objects.get()
    assert (row.actor, row.customer, row.action) == (
        org.agent_a,
        contact.customer,
        "view",
    )
    assert row.department == org.dept_a
    assert row.note == f"contact {contact.pk}"


def test_the_bulk_service_writes_nothing_for_zero_records(org):
    assert (
        personal_data_bulk_access_log(
            actor=org.admin, action=PersonalDataAccess.Action.LIST, record_count=0
        )
        is None
    )
    row = personal_data_bulk_access_log(
        actor=org.admin,
        action=PersonalDataAccess.Action.EXPORT,
        record_count=7,
        department=org.dept_b,
    )
    assert (row.department, row.record_count, row.customer) == (org.dept_b, 7, None)
    assert str(row).endswith(" · ×7")


def test_the_migration_gives_old_rows_their_customers_department(org):
    customer = CustomerFactory(department=org.dept_b)
    row = personal_data_access_log(actor=org.admin, customer=customer, action="view")
    PersonalDataAccess.objects.filter(pk=row.pk).update(department=None)
    migration = import_module(
        "crm.migrations.0007_customer_private_per_owner_bulk_access_log"
    )

    migration.access_log_departments(apps, None)

    row.refresh_from_db()
    assert row.department == org.dept_b
