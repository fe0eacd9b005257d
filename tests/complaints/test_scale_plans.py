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
