"""The KPI selectors of the admin, the API and the pages, read by each role
(and by a partner where the API reaches it).

Snapshot rows of November 2026: agent A's (``a``), agent B's (``b``), and the
team rows of team A and B (``team_a``, ``team_b``); scorecards of agents A and
B; quality inspections of agents A and B by their department's inspector.
"""

from __future__ import annotations

import pytest
from django.http import Http404
from django.utils import timezone

from kpi import selectors
from kpi.models import (
    Indicator,
    KpiPeriod,
    KpiResult,
    ScorecardResult,
    ScorecardTemplate,
    SubjectType,
)
from tests.factories.kpi import inspection, local, month
from tests.factories.readers import READERS, STAFF_READERS, labels, reader

pytestmark = pytest.mark.django_db

RESULTS = {
    "admin": {"a", "b", "team_a", "team_b"},
    "manager": {"a", "team_a"},  # department
    "supervisor": {"a", "team_a"},  # team
    "agent": {"a"},  # own
    "complaint_handler": set(),
    "account_manager": set(),
    "relations_specialist": set(),
    "qa_inspector": set(),
    "trainer": set(),
    "partner": set(),
}
STAFF_ONLY = {role: rows - {"team_a", "team_b"} for role, rows in RESULTS.items()}
INSPECTIONS = {**STAFF_ONLY, "qa_inspector": {"a"}}  # department, own inspections


@pytest.fixture
def world(org):
    w = org
    w.period = month(2026, 11)
    indicator = Indicator.objects.get(code="frt_avg")
    template = ScorecardTemplate.objects.get(role="agent")
    now = timezone.now()
    w.results, w.cards, w.inspections = {}, {}, {}
    for side in ("a", "b"):
        staff = getattr(org, f"agent_{side}")
        team = getattr(org, f"team_{side}")
        row = KpiResult.objects.create(
            period=w.period,
            indicator=indicator,
            subject_type=SubjectType.STAFF,
            subject_id=staff.pk,
            staff=staff,
            team=team,
            department=team.department,
            computed_at=now,
        )
        w.results[row.pk] = side
        row = KpiResult.objects.create(
            period=w.period,
            indicator=indicator,
            subject_type=SubjectType.TEAM,
            subject_id=team.pk,
            team=team,
            department=team.department,
            computed_at=now,
        )
        w.results[row.pk] = f"team_{side}"
        card = ScorecardResult.objects.create(
            period=w.period,
            staff=staff,
            team=team,
            department=team.department,
            template=template,
            computed_at=now,
        )
        w.cards[card.pk] = side
        done = inspection(
            inspector=getattr(org, f"qa_inspector_{side}"),
            staff=staff,
            at=local(2026, 11, 3),
        )
        w.inspections[done.pk] = side
    return w


def test_result_list(world, subtests):
    for role in READERS:
        with subtests.test(role=role):
            rows = selectors.result_list(user=reader(world, role, partner=None))
            assert labels(rows, world.results) == RESULTS[role]


def test_export_rows(world, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            rows = selectors.export_rows(reader(world, role), world.period)
            assert labels(rows, world.results) == RESULTS[role]


def test_scorecard_result_list(world, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            rows = selectors.scorecard_result_list(user=reader(world, role))
            assert labels(rows, world.cards) == STAFF_ONLY[role]


def test_staff_scorecard(world, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            card = selectors.staff_scorecard(
                user=reader(world, role), period=world.period, staff_id=world.agent_a.pk
            )
            found = set() if card is None else {world.cards[card.pk]}
            assert found == STAFF_ONLY[role] & {"a"}


def test_quality_inspection_list(world, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            rows = selectors.quality_inspection_list(user=reader(world, role))
            assert labels(rows, world.inspections) == INSPECTIONS[role]


def test_subject_results_and_staff_member(world, subtests):
    """Agent A's card opens for whoever sees their results (and for agent A)."""
    for role in STAFF_READERS:
        with subtests.test(role=role):
            user = reader(world, role)
            results = selectors.subject_results(
                user, world.period, SubjectType.STAFF, world.agent_a.pk
            )
            sees = "a" in RESULTS[role]
            assert set(results) == ({"frt_avg"} if sees else set())
            if sees:
                assert selectors.staff_member(user, world.agent_a.pk) == world.agent_a
            else:
                with pytest.raises(Http404):
                    selectors.staff_member(user, world.agent_a.pk)


SCOPES = {
    "admin": {"department:dept-a", "department:dept-b", "team:team-a", "team:team-b"},
    "manager": {"department:dept-a", "team:team-a"},
    "supervisor": {"team:team-a"},
}


def test_dashboard_scopes(world, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            names = {
                **{
                    f"department:{d.pk}": f"department:{d.code}"
                    for d in (world.dept_a, world.dept_b)
                },
                **{
                    f"team:{t.pk}": f"team:{t.code}"
                    for t in (world.team_a, world.team_b)
                },
            }
            scopes = selectors.dashboard_scopes(reader(world, role))
            assert {names[s.key] for s in scopes} == SCOPES.get(role, set())


def test_periods(world):
    assert selectors.period_by_key("2026-11") == world.period
    assert selectors.period_by_key("1999-01") is None
    assert selectors.period_get(pk=world.period.pk) == world.period
    assert selectors.period_get(pk=world.period.pk + 1000) is None
    assert selectors.latest_computed_period() is None  # nothing computed yet
    KpiPeriod.objects.filter(pk=world.period.pk).update(computed_at=timezone.now())
    october = month(2026, 10)
    KpiPeriod.objects.filter(pk=october.pk).update(computed_at=timezone.now())
    assert selectors.latest_computed_period() == world.period
