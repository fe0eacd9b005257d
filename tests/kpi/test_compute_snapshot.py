"""The snapshot service: grouping, roll-ups, nulls, scorecards, replacement."""

from decimal import Decimal as D

import pytest

from kpi.models import KpiResult, ScorecardResult, SubjectType
from kpi.services import kpi_compute_period
from tests.factories.kpi import inspection, local, month

NOW = local(2026, 12, 5, 9, 0)


def _result(period, code, subject_type, subject_id):
    return KpiResult.objects.get(
        period=period,
        indicator__code=code,
        subject_type=subject_type,
        subject_id=subject_id,
    )


@pytest.fixture
def inspections(org):
    qa = org.qa_inspector_a
    # November: agent_a 100 and 50, handler_a 80; agent_b 90. October: ignored.
    inspection(inspector=qa, staff=org.agent_a, at=local(2026, 11, 3, 10))
    inspection(inspector=qa, staff=org.agent_a, at=local(2026, 11, 30, 23, 59), score=5)
    inspection(
        inspector=qa, staff=org.complaint_handler_a, at=local(2026, 11, 4), score=8
    )
    # (each department's inspector samples their own department's calls)
    inspection(
        inspector=org.qa_inspector_b, staff=org.agent_b, at=local(2026, 11, 4), score=9
    )
    inspection(inspector=qa, staff=org.agent_a, at=local(2026, 10, 31, 23, 59), score=0)
    return org


@pytest.mark.django_db
def test_staff_team_department_values_come_from_the_same_rows(inspections):
    org = inspections
    period = month(2026, 11)
    kpi_compute_period(actor=None, period=period, now=NOW)

    agent = _result(period, "qa_score_avg", SubjectType.STAFF, org.agent_a.pk)
    assert agent.value == D("75.0000")
    assert (agent.numerator, agent.denominator, agent.sample_size) == (
        D("150.0000"),
        D("2.0000"),
        2,
    )
    assert agent.team_id == org.team_a.pk and agent.department_id == org.dept_a.pk
    # team A: (100 + 50 + 80) / 3 rows — not the mean of the means (77.5)
    team = _result(period, "qa_score_avg", SubjectType.TEAM, org.team_a.pk)
    assert team.value == D("76.6667")
    assert team.sample_size == 3
    dept = _result(period, "qa_score_avg", SubjectType.DEPARTMENT, org.dept_a.pk)
    assert dept.value == D("76.6667")
    assert _result(period, "qa_score_avg", SubjectType.TEAM, org.team_b.pk).value == D(
        "90.0000"
    )
    # score against the default target 90: 75/90
    assert agent.score == D("83.33")


@pytest.mark.django_db
def test_no_data_is_null_not_zero(inspections):
    org = inspections
    period = month(2026, 11)
    kpi_compute_period(actor=None, period=period, now=NOW)
    nothing = _result(period, "qa_score_avg", SubjectType.STAFF, org.supervisor_a.pk)
    assert nothing.value is None
    assert nothing.score is None
    assert nothing.sample_size == 0
    # an empty month: every rate and average is null for everyone
    empty = month(2026, 8)
    kpi_compute_period(actor=None, period=empty, now=NOW)
    assert not KpiResult.objects.filter(
        period=empty, indicator__code="qa_score_avg", value__isnull=False
    ).exists()


@pytest.mark.django_db
def test_recompute_replaces_the_snapshot_never_duplicates(inspections):
    org = inspections
    period = month(2026, 11)
    first = kpi_compute_period(actor=None, period=period, now=NOW)
    count = KpiResult.objects.filter(period=period).count()
    assert count == first.results > 0
    cards = ScorecardResult.objects.filter(period=period).count()

    # when new data arrives and the period is recomputed
    inspection(inspector=org.qa_inspector_a, staff=org.agent_a, at=local(2026, 11, 9))
    kpi_compute_period(actor=None, period=period, now=NOW)

    # then the rows are replaced: same count, new value
    assert KpiResult.objects.filter(period=period).count() == count
    assert ScorecardResult.objects.filter(period=period).count() == cards
    agent = _result(period, "qa_score_avg", SubjectType.STAFF, org.agent_a.pk)
    assert agent.value == D("83.3333")  # (100 + 50 + 100) / 3
    period.refresh_from_db()
    assert period.computed_at == NOW


@pytest.mark.django_db
def test_scorecards_rank_within_team(inspections):
    org = inspections
    period = month(2026, 11)
    kpi_compute_period(actor=None, period=period, now=NOW)
    cards = {
        c.staff_id: c
        for c in ScorecardResult.objects.filter(period=period).select_related(
            "template"
        )
    }
    # agents and handlers get their role's template; trainers have none
    assert cards[org.agent_a.pk].template.role == "agent"
    assert cards[org.complaint_handler_a.pk].template.role == "complaint_handler"
    assert org.trainer_a.pk not in cards
    # agent_a is ranked in team A among the scored members
    card = cards[org.agent_a.pk]
    assert card.score is not None
    assert card.rank_in_team is not None
    assert card.team_size >= 2
    team_a_ranks = sorted(
        c.rank_in_team
        for c in cards.values()
        if c.team_id == org.team_a.pk and c.rank_in_team
    )
    assert team_a_ranks[0] == 1
