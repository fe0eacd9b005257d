"""Query plans at scale (issue 18), on PostgreSQL: the sweeps, the admin lists,
the "SLA breached" filter and the search shapes read their indexes, never the
whole complaints or SLA-target table. See ``tests/complaints/scale_world.py``
for how the data and statistics are made (no planner settings are changed).

SQLite has no comparable planner, so these tests are skipped there.
"""

from __future__ import annotations

import pytest
from django.db import connection

from complaints import selectors
from complaints.models import Complaint, SlaTarget
from complaints.services.sweep import BATCH
from crm.models import Revisit
from tests.complaints.scale_world import later, plan_of, populate, seq_scans

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="EXPLAIN plans are PostgreSQL's (SQLite has no comparable planner)",
)

COMPLAINTS = Complaint._meta.db_table
TARGETS = SlaTarget._meta.db_table
REVISITS = Revisit._meta.db_table


@pytest.fixture
def world(org):
    return populate(org)


def test_the_world_has_the_shape_the_plans_assume(world):
    assert Complaint.objects.count() == 6001
    assert SlaTarget.objects.filter(met_at__isnull=True).count() < 1500
    assert SlaTarget.objects.count() == 4 * 6001


@pytest.mark.parametrize(
    ("read", "index"),
    [
        (selectors.sla_targets_to_warn, "slatarget_warn_due"),
        (selectors.sla_targets_to_breach, "slatarget_breach_due"),
    ],
)
def test_sla_sweep_reads_walk_their_partial_index_in_due_order(world, read, index):
    qs = read(now=later(world))[:BATCH]
    plan = plan_of(qs.values_list("pk", "complaint_id"))
    assert index in plan, plan
    assert not seq_scans(plan, TARGETS), plan


def test_revisit_sweep_reads_walk_their_partial_index(world, org):
    from django.utils import timezone

    from crm import selectors as crm_selectors
    from crm.services.reminders import _claim
    from tests.factories.crm import RevisitFactory

    customer = world.customer
    now = timezone.now()
    revisit = RevisitFactory(customer=customer, due_at=now)
    with connection.cursor() as cursor:
        columns = [
            f.column
            for f in Revisit._meta.concrete_fields
            if not f.primary_key and f.column not in ("key", "status", "due_at")
        ]
        # Thousands done long ago, a few still planned.
        cursor.execute(
            f"INSERT INTO {REVISITS} (key, status, due_at, {', '.join(columns)}) "
            "SELECT 'bulk:' || g, CASE WHEN mod(g, 50) = 0 THEN 'planned' "
            "ELSE 'done' END, r.due_at - (g || ' hours')::interval, "
            f"{', '.join('r.' + c for c in columns)} FROM {REVISITS} r, "
            "generate_series(1, 6000) g WHERE r.id = %s",
            [revisit.pk],
        )
        cursor.execute(f"ANALYZE {REVISITS}")
    # Its partial index or (status, due_at): either reads only planned rows.
    indexes = ("revisit_to_remind", "revisit_to_escalate", "revisit_status_due")
    for queryset in (
        crm_selectors.revisits_to_remind(until=now),
        crm_selectors.revisits_to_escalate(now=now),
    ):
        qs = queryset.select_for_update(skip_locked=True, of=("self",)).order_by(
            "due_at", "pk"
        )[:100]
        plan = plan_of(qs)
        assert any(index in plan for index in indexes), plan
        assert not seq_scans(plan, REVISITS), plan
    # And the claim itself is that query (same order).
    assert _claim(crm_selectors.revisits_to_remind(until=now), 5)


def changelist_plan(client, user, **params) -> tuple[str, list]:
    """EXPLAIN of the admin changelist's page query for ``user`` with ``params``."""
    from django.urls import reverse

    client.force_login(user)
    page = client.get(reverse("admin:complaints_complaint_changelist"), params)
    assert page.status_code == 200
    cl = page.context["cl"]
    return plan_of(cl.queryset[: cl.list_per_page + 1]), list(cl.result_list)


@pytest.fixture
def searchable(world, org):
    """One complaint with a phone/e-mail customer and a known order number."""
    from tests.factories.complaints import make_complaint
    from tests.factories.crm import CustomerFactory

    customer = CustomerFactory(
        name="欧阳娜娜",
        phone="+8613912345678",
        email="ouyang@example.cn",
        department=org.dept_a,
    )
    hit = make_complaint(actor=org.agent_a, customer=customer, order_number="YT88001")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {COMPLAINTS}")
        cursor.execute("ANALYZE crm_customer")
    return hit


@pytest.mark.parametrize(
    "term",
    [
        "reference",
        "YT88001",
        "order",
        "139 1234 5678",
        "ouyang@example.cn",
        "customer_code",
        "欧阳娜娜",
        "第1234单",
        "客户123号",
        "欧阳",
    ],
)
def test_each_search_shape_reads_indexes(client, org, searchable, term):
    hit = searchable
    term = {
        "reference": hit.reference,
        "order": "SF000000001234",
        "customer_code": "ZC0000123",
    }.get(term, term)
    plan, rows = changelist_plan(client, org.supervisor_a, q=term, status__exact="all")
    assert rows, term
    assert not seq_scans(plan, COMPLAINTS), plan
    assert not seq_scans(plan, "crm_customer"), plan


def test_trigram_indexes_serve_chinese_substrings(searchable):
    from crm.models import Customer

    with connection.cursor() as cursor:
        cursor.execute("SELECT show_trgm('快件延误')")
        assert len(cursor.fetchone()[0]) >= 3  # Chinese characters make trigrams
    plan = plan_of(Customer.objects.filter(name__icontains="客户123号"))
    assert "customer_name_trgm" in plan, plan
    plan = plan_of(Complaint.objects.filter(subject__icontains="第1234单"))
    assert "complaint_subject_trgm" in plan, plan


def test_breached_filter_reads_its_partial_index(client, org, world):
    Complaint.objects.filter(
        pk__in=Complaint.objects.filter(status="received").values("pk")[:40]
    ).update(sla_breached=True)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {COMPLAINTS}")
    plan, rows = changelist_plan(client, org.manager_a, sla_breached="yes")
    assert rows
    assert all(c.sla_breached for c in rows)
    assert not seq_scans(plan, COMPLAINTS), plan


@pytest.mark.parametrize(
    "role", ["admin", "manager_a", "supervisor_a", "agent_a", "complaint_handler_a"]
)
def test_each_roles_default_list_reads_indexes(client, org, world, role):
    """The default work list (open, not archived, by next due) and its capped
    count read indexes for every role that works complaints."""
    from crm.admin_base import CappedPaginator

    user = getattr(org, role)
    plan, rows = changelist_plan(client, user)
    assert rows
    assert not seq_scans(plan, COMPLAINTS), plan
    # the count the list shows: COUNT(*) over a LIMITed subquery
    from django.urls import reverse

    page = client.get(reverse("admin:complaints_complaint_changelist"))
    cl = page.context["cl"]
    assert isinstance(cl.paginator, CappedPaginator)
    count_plan = plan_of(cl.queryset.order_by()[: CappedPaginator.CAP + 1])
    assert not seq_scans(count_plan, COMPLAINTS), count_plan


@pytest.mark.parametrize("role", ["admin", "manager_a", "supervisor_a"])
def test_the_default_list_walks_the_due_order_index(client, org, world, role):
    """The work list's order (next due, newest, id) is complaint_due_work's: the
    page is read in index order and stops at its last row — no sort of every
    open complaint in scope."""
    plan, rows = changelist_plan(client, getattr(org, role))
    assert rows
    assert "complaint_due_work" in plan, plan
    assert not any(
        "Sort" in line and "next_due_at" in line for line in plan.splitlines()
    ), plan
    dues = [c.next_due_at for c in rows]
    assert dues == sorted(dues)
