"""seed_demo: realistic, deterministic, idempotent."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from crm.demo import DEMO_PASSWORD
from crm.models import Customer, Department, PartnerOrganisation, Team, User

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (User, Department, Team, PartnerOrganisation, Customer)
    }


def _seed(**options):
    out = StringIO()
    call_command("seed_demo", stdout=out, customers=50, complaints=0, **options)
    return out.getvalue()


def test_seed_demo_twice_creates_nothing_the_second_time():
    first_output = _seed()
    first = _counts()
    _seed()
    assert _counts() == first
    assert first["User"] >= 40
    assert first["Customer"] == 50
    assert first["Department"] == 2 and first["Team"] == 4
    assert first["PartnerOrganisation"] >= 1
    assert DEMO_PASSWORD in first_output
    assert "manager01" in first_output


def test_seed_demo_covers_every_staff_role_and_logins_work():
    _seed()
    roles = set(User.objects.values_list("groups__name", flat=True))
    assert {
        "admin",
        "manager",
        "supervisor",
        "agent",
        "complaint_handler",
        "account_manager",
        "relations_specialist",
        "qa_inspector",
        "trainer",
    } <= roles
    assert authenticate(username="agent01", password=DEMO_PASSWORD) is not None
    admin = authenticate(username="admin", password=DEMO_PASSWORD)
    assert admin is not None and admin.is_superuser
    # Everyone below the department managers reports to somebody.
    top = User.objects.filter(supervisor=None).values_list("username", flat=True)
    assert set(top) == {"admin", "manager01", "manager02"}


def test_seed_demo_is_deterministic_for_a_seed():
    _seed(seed=7)
    names = list(Customer.objects.order_by("code").values_list("name", "phone"))
    Customer.objects.all().delete()
    _seed(seed=7)
    assert list(Customer.objects.order_by("code").values_list("name", "phone")) == names


def test_seed_demo_scales_customers_in_bulk(django_assert_max_num_queries):
    _seed()
    # Batched inserts: far fewer queries than rows (SQLite caps a batch at 999
    # parameters — with the customer's ~25 columns that is ~40 rows a batch — so it
    # needs more batches than PostgreSQL; one per row would be 12k).
    with django_assert_max_num_queries(400):
        call_command("seed_demo", customers=12000, complaints=0, stdout=StringIO())
    assert Customer.objects.count() == 12000
