"""seed_demo: realistic, deterministic, idempotent."""

import random
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import OutputWrapper
from django.db import models

from crm.demo import DEMO_PASSWORD, DemoContext
from crm.models import Customer, Department, PartnerOrganisation, Team, User

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (User, Department, Team, PartnerOrganisation, Customer)
    }


CRM_ONLY = ["complaints", "aftersales", "training", "kpi"]


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
    _seed(skip=CRM_ONLY)
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
    # Only crm's data, so that customers can be deleted between the two runs.
    crm_only = {"seed": 7, "skip": CRM_ONLY}
    _seed(**crm_only)
    names = list(Customer.objects.order_by("code").values_list("name", "phone"))
    Customer.objects.all().delete()
    _seed(**crm_only)
    assert list(Customer.objects.order_by("code").values_list("name", "phone")) == names


def test_seed_demo_scales_customers_in_bulk(django_assert_max_num_queries):
    _seed(skip=CRM_ONLY)
    # Batched inserts: far fewer queries than rows (SQLite caps a batch at 999
    # parameters — with the customer's ~25 columns that is ~40 rows a batch — so it
    # needs more batches than PostgreSQL; one per row would be 12k).
    with django_assert_max_num_queries(400):
        call_command(
            "seed_demo",
            customers=12000,
            complaints=0,
            skip=CRM_ONLY,
            stdout=StringIO(),
        )
    assert Customer.objects.count() == 12000


def test_seed_demo_adds_contacts_interactions_and_a_year_of_revisits_once():
    from django.utils import timezone

    from crm.models import Contact, Interaction, Revisit
    from crm.services.reminders import revisit_sweep

    _seed(skip=CRM_ONLY)
    counts = (
        Contact.objects.count(),
        Interaction.objects.count(),
        Revisit.objects.count(),
    )
    assert all(counts)
    now = timezone.now()
    planned = Revisit.objects.filter(status="planned")
    done = Revisit.objects.filter(status="done")
    assert planned.filter(due_at__lt=now).exists()  # overdue
    assert planned.filter(
        due_at__range=(now, now + timezone.timedelta(hours=1))
    ).exists()
    assert done.filter(done_at__lte=models.F("due_at")).exists()  # on time
    assert done.filter(done_at__gt=models.F("due_at")).exists()  # late
    assert Revisit.objects.filter(status="missed").exists()
    assert Revisit.objects.order_by("due_at").first().due_at < now - timezone.timedelta(
        days=300
    )
    _seed(skip=CRM_ONLY)
    assert (
        Contact.objects.count(),
        Interaction.objects.count(),
        Revisit.objects.count(),
    ) == counts
    # The first sweep reminds only the recent ones, not a year of history.
    assert 0 < revisit_sweep() < planned.count() + 10


def test_complaint_confirmation_revisits_of_the_demo_share_the_service_key(org):
    import random

    from django.utils import timezone

    from complaints.demo_revisits import seed_complaint_revisits
    from complaints.models import Complaint
    from crm.demo import DemoContext
    from crm.models import Revisit
    from crm.services import revisit_plan_for_resolved_complaint
    from tests.factories.complaints import make_complaint

    complaint = make_complaint(actor=org.agent_a)
    Complaint.objects.filter(pk=complaint.pk).update(
        resolved_at=timezone.now() - timezone.timedelta(days=3), status="resolved"
    )
    ctx = DemoContext(seed=1, rng=random.Random(1))
    seed_complaint_revisits(ctx)
    seed_complaint_revisits(ctx)
    revisit = Revisit.objects.get(complaint=complaint)
    complaint.refresh_from_db()
    assert revisit_plan_for_resolved_complaint(complaint=complaint) == revisit
    assert Revisit.objects.filter(complaint=complaint).count() == 1


def test_seed_demo_publishes_one_email_delivery_task_not_one_per_transaction(
    django_capture_on_commit_callbacks,
):
    """Hundreds of seeded notifications must not flood the broker with delivery
    messages that would delay the SLA sweep and reminders after `make run`."""
    from crm import notifications
    from crm.models import Notification

    with django_capture_on_commit_callbacks() as callbacks:
        call_command("seed_demo", stdout=StringIO(), customers=50, complaints=60)
    deliveries = [c for c in callbacks if c is notifications._enqueue_delivery]
    assert Notification.objects.exists()
    assert len(deliveries) == 1


def test_seed_demo_shows_progress_and_the_real_address(monkeypatch):
    monkeypatch.setenv("PORT", "8301")
    output = _seed(skip=CRM_ONLY)
    # A step counter before each app's part, and the login list's real port
    assert "[1/1] crm" in output
    assert "http://127.0.0.1:8301/admin/" in output
    assert ":8000" not in output


def test_progress_bar_prints_one_line_per_five_percent_with_rate_and_time_left():
    out = StringIO()
    ctx = DemoContext(seed=1, rng=random.Random(1), stdout=OutputWrapper(out))
    for done in range(0, 1001, 10):
        ctx.progress("complaints bulk", done, 1000)
    lines = out.getvalue().splitlines()
    assert len(lines) == 21  # 0 %, 5 %, …, 100 %
    assert lines[-1].startswith("    complaints bulk [####################] 100%")
    assert "1,000/1,000" in lines[-1] and "/s" in lines[-1] and "left" in lines[-1]
    assert "[##########..........]  50%" in lines[10]
    assert lines[0].endswith("0% 0/1,000")  # the clock starts: no rate yet
