"""The sampling draw under two concurrent runs on PostgreSQL (the plan row is
locked for its draw): exactly one run draws, the other finds nothing left.
Skipped on SQLite (it serialises writers anyway)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from complaints.models import Complaint
from crm.models import Notification
from kpi.models import InspectionSample, SamplingPlan
from kpi.services.checklists import checklist_active
from kpi.services.sampling import sampling_draw
from tests.complaints.test_concurrency import run_together
from tests.factories.complaints import make_complaint
from tests.factories.kpi import local

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL"
    ),
]


def test_two_concurrent_draws_draw_once(org):
    pks = [make_complaint(actor=org.supervisor_a).pk for _ in range(50)]
    Complaint.objects.filter(pk__in=pks).update(
        team=org.team_a,
        assignee=org.agent_a,
        status="closed",
        closed_at=local(2026, 11, 10),
    )
    plan = SamplingPlan.objects.create(
        name="并发抽检",
        team=org.team_a,
        checklist=checklist_active(code="call"),
        rate=Decimal(5),
        min_per_agent=2,
    )
    plan.inspectors.set([org.qa_inspector_a])

    results = run_together(
        lambda i: sampling_draw(plan=plan, day=date(2026, 11, 21)), 2
    )

    assert sorted(results) == [0, 3]
    assert InspectionSample.objects.count() == 3
    assert Notification.objects.filter(kind="qa_samples_drawn").count() == 1
