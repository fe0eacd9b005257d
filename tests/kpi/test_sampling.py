"""Sampling plans (抽样质检, issue 16): the daily draw takes each agent's share
of the team's complaints closed in the period (5 %, at least 2, never more than
closed), reproducibly for a plan and date, into the inspectors' queues evenly;
a re-run or a concurrent run draws nothing more; recording the inspection
clears the sample."""

import random
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings

from complaints.models import Complaint
from crm.models import Notification
from kpi import selectors
from kpi.models import InspectionSample, SamplingPlan
from kpi.services.checklists import checklist_active
from kpi.services.inspections import inspection_record
from kpi.services.sampling import (
    sample_target,
    sampling_draw,
    sampling_picks,
    sampling_record,
)
from kpi.tasks import draw_inspection_samples
from tests.factories import UserFactory
from tests.factories.complaints import make_complaint
from tests.factories.kpi import local

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 21)  # draws the complaints closed 1–20 November


def _closed(org, staff, n, *, at=(2026, 11, 10), team=None, status="closed"):
    """``n`` complaints of ``staff`` closed at ``at`` (the state the draw reads:
    team, assignee, status, closed_at)."""
    pks = []
    for _ in range(n):
        complaint = make_complaint(actor=org.supervisor_a)
        pks.append(complaint.pk)
    Complaint.objects.filter(pk__in=pks).update(
        team=team or org.team_a,
        assignee=staff,
        status=status,
        closed_at=local(*at),
    )
    return pks


@pytest.fixture
def qa2(org):
    return UserFactory(
        username="qa_inspector_a2", team=org.team_a, roles=["qa_inspector"]
    )


@pytest.fixture
def plan(org, qa2):
    plan = SamplingPlan.objects.create(
        name="华东一组月度抽检",
        team=org.team_a,
        checklist=checklist_active(code="call"),
        period=SamplingPlan.Period.MONTH,
        rate=Decimal("5.00"),
        min_per_agent=2,
    )
    plan.inspectors.set([org.qa_inspector_a, qa2])
    return plan


@pytest.fixture
def closed(org):
    agent_c = UserFactory(username="agent_c", team=org.team_a, roles=["agent"])
    return {
        org.agent_a: _closed(org, org.agent_a, 50),  # 5 % = 2.5 → 3
        agent_c: _closed(org, agent_c, 10),  # 5 % = 0.5 → at least 2
        org.complaint_handler_a: _closed(org, org.complaint_handler_a, 1),  # only 1
    }


def test_sample_target():
    assert [
        sample_target(n, rate=Decimal(5), minimum=2)
        for n in (0, 1, 2, 10, 40, 41, 50, 100)
    ] == [0, 1, 2, 2, 2, 3, 3, 5]


def test_the_draw_takes_each_agents_share(org, plan, closed, qa2):
    # Outside the draw: another team, October, after the cut-off, not closed
    _closed(org, org.agent_b, 5, team=org.team_b)
    _closed(org, org.agent_a, 5, at=(2026, 10, 31, 23, 0))
    _closed(org, org.agent_a, 5, at=(2026, 11, 21, 0, 30))
    _closed(org, org.agent_a, 5, status="resolved")

    assert sampling_draw(plan=plan, day=DAY) == 6

    samples = InspectionSample.objects.filter(plan=plan)
    per_agent = Counter(samples.values_list("staff__username", flat=True))
    assert per_agent == {"agent_a": 3, "agent_c": 2, "complaint_handler_a": 1}
    for staff, pks in closed.items():
        assert set(
            samples.filter(staff=staff).values_list("complaint_id", flat=True)
        ) <= set(pks)
    assert Counter(samples.values_list("inspector__username", flat=True)) == {
        "qa_inspector_a": 3,
        "qa_inspector_a2": 3,
    }
    assert set(
        samples.values_list("period_key", "period_start", "drawn_on", "team_id")
    ) == {("2026-11", date(2026, 11, 1), DAY, org.team_a.pk)}


def test_the_draw_is_reproducible_for_its_plan_and_date(org, plan, closed):
    # Given the picks computed before the draw (seeded by plan and date)
    picks = sampling_picks(plan, DAY)
    assert sampling_picks(plan, DAY) == picks
    # Then they are the generator's choice over each agent's complaints by id
    rng = random.Random(f"kefu-qa:{plan.pk}:{DAY.isoformat()}")
    expected = []
    for staff in sorted(closed, key=lambda u: u.pk):
        need = {"agent_a": 3, "agent_c": 2, "complaint_handler_a": 1}[staff.username]
        expected += sorted(rng.sample(sorted(closed[staff]), need))
    assert [p.complaint_id for p in picks] == expected
    # And the draw records exactly those
    sampling_draw(plan=plan, day=DAY)
    assert sorted(
        InspectionSample.objects.values_list("complaint_id", "staff_id", "inspector_id")
    ) == sorted((p.complaint_id, p.staff_id, p.inspector_id) for p in picks)


def test_a_rerun_draws_nothing_more_and_tells_each_inspector_once(org, plan, closed):
    assert sampling_draw(plan=plan, day=DAY) == 6
    assert sampling_draw(plan=plan, day=DAY) == 0
    assert sampling_draw(plan=plan, day=date(2026, 11, 22)) == 0
    assert InspectionSample.objects.count() == 6
    told = Notification.objects.filter(kind="qa_samples_drawn")
    assert sorted(told.values_list("recipient__username", "title")) == [
        ("qa_inspector_a", "3 件投诉待质检（华东一组月度抽检）"),
        ("qa_inspector_a2", "3 件投诉待质检（华东一组月度抽检）"),
    ]


def test_later_closures_top_the_sample_up(org, plan, closed):
    sampling_draw(plan=plan, day=DAY)
    # 30 more of agent_a's: 80 closed → 5 % = 4, one more than drawn
    _closed(org, org.agent_a, 30, at=(2026, 11, 25))
    assert sampling_draw(plan=plan, day=date(2026, 11, 26)) == 1
    assert InspectionSample.objects.filter(staff=org.agent_a).count() == 4
    # December starts a new period: November's closures are not drawn again
    assert sampling_draw(plan=plan, day=date(2026, 12, 2)) == 0


def test_a_concurrent_draw_that_lost_inserts_nothing(org, plan, closed):
    # Two runs compute the same picks; one records them first
    stale = sampling_picks(plan, DAY)
    assert sampling_draw(plan=plan, day=DAY) == 6
    # The other's insert meets the unique constraint and is dropped whole
    assert sampling_record(plan, DAY, stale) == 0
    assert InspectionSample.objects.count() == 6


def test_an_inactive_plan_draws_nothing(org, plan, closed):
    plan.is_active = False
    plan.save(update_fields=["is_active"])
    assert sampling_draw(plan=plan, day=DAY) == 0


def test_the_daily_task_draws_every_active_plan(org, plan, closed):
    with time_machine.travel(local(2026, 11, 21, 6, 40), tick=False):
        assert draw_inspection_samples() == 6
        assert draw_inspection_samples() == 0
    entry = settings.CELERY_BEAT_SCHEDULE["kpi-draw-inspection-samples"]
    assert entry["task"] == "kpi.draw_inspection_samples"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({6}, {40})


def test_the_queue_is_scoped_and_an_inspection_clears_its_sample(
    org, plan, closed, qa2
):
    sampling_draw(plan=plan, day=DAY)
    mine = selectors.inspection_sample_list(user=org.qa_inspector_a)
    assert mine.count() == 6  # the department's queue (3 of them assigned to qa_a)
    assert not selectors.inspection_sample_list(user=org.qa_inspector_b).exists()
    assert selectors.inspection_sample_list(user=org.supervisor_a).count() == 6
    assert not selectors.inspection_sample_list(user=org.agent_a).exists()
    sample = InspectionSample.objects.filter(inspector=org.qa_inspector_a).first()
    inspection = inspection_record(
        actor=org.qa_inspector_a,
        complaint=sample.complaint,
        scores=dict.fromkeys(
            [
                "polite_language",
                "clarity",
                "tone",
                "listening",
                "accuracy",
                "compliance",
            ],
            8,
        ),
    )
    sample.refresh_from_db()
    assert sample.inspection == inspection
    assert inspection.checklist == checklist_active(code="call")
    assert inspection.staff == sample.staff
    assert InspectionSample.objects.filter(inspection__isnull=True).count() == 5
