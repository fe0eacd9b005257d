"""training_hours_ytd (against the role's requirement) and assessment_pass_rate."""

from datetime import date
from decimal import Decimal as D

import pytest

from kpi.models import KpiResult, SubjectType
from kpi.services import kpi_compute_period
from tests.factories.kpi import local, month
from tests.factories.training import (
    AssessmentFactory,
    EnrollmentFactory,
    TrainingRequirementFactory,
    TrainingSessionFactory,
)

NOW = local(2026, 11, 5, 9, 0)


def _result(period, code, subject_type, subject_id):
    return KpiResult.objects.get(
        period=period,
        indicator__code=code,
        subject_type=subject_type,
        subject_id=subject_id,
    )


def _attend(staff, starts_at, hours, status="attended"):
    session = TrainingSessionFactory(starts_at=starts_at)
    return EnrollmentFactory(
        session=session, staff=staff, status=status, attended_hours=D(hours)
    )


@pytest.fixture
def training(org):
    TrainingRequirementFactory(role="agent", yearly_hours=D(80))
    a = org.agent_a
    _attend(a, local(2025, 12, 10, 9), 10)  # last year: not counted
    _attend(a, local(2026, 3, 10, 9), 8)
    _attend(a, local(2026, 10, 5, 9), 6)
    _attend(a, local(2026, 10, 10, 9), 6, status="absent")
    _attend(a, local(2026, 11, 20, 9), 4)  # after October
    _attend(org.complaint_handler_a, local(2026, 10, 5, 9), 6)
    for day, passed in ((3, True), (15, False), (20, True)):
        AssessmentFactory(staff=a, taken_on=date(2026, 10, day), passed=passed)
    AssessmentFactory(staff=a, taken_on=None, passed=None)  # not yet taken
    AssessmentFactory(staff=a, taken_on=date(2026, 11, 2), passed=True)
    period = month(2026, 10)
    kpi_compute_period(actor=None, period=period, now=NOW)
    return org, period


@pytest.mark.django_db
def test_training_hours_year_to_date_against_requirement(training):
    org, period = training
    r = _result(period, "training_hours_ytd", SubjectType.STAFF, org.agent_a.pk)
    assert r.value == D("14.0000")  # 8 + 6, up to the end of October
    assert r.target == D(80)  # the agent role's yearly requirement
    assert r.score == D("17.50")
    assert r.sample_size == 2
    # a staff member without any attendance has a true zero
    zero = _result(period, "training_hours_ytd", SubjectType.STAFF, org.supervisor_a.pk)
    assert zero.value == D(0)
    # team A: 20 hours over the 5 scorecard holders of the team (agent,
    # handler, relations specialist, supervisor and, since kpi 0008, the
    # after-sales engineer)
    team = _result(period, "training_hours_ytd", SubjectType.TEAM, org.team_a.pk)
    assert (team.numerator, team.denominator, team.value) == (
        D(20),
        D(5),
        D("4.0000"),
    )


@pytest.mark.django_db
def test_assessment_pass_rate(training):
    org, period = training
    r = _result(period, "assessment_pass_rate", SubjectType.STAFF, org.agent_a.pk)
    assert (r.numerator, r.denominator) == (D(2), D(3))
    assert r.value == D("66.6667")
    none = _result(
        period, "assessment_pass_rate", SubjectType.STAFF, org.complaint_handler_a.pk
    )
    assert none.value is None


@pytest.mark.django_db
def test_year_hours_agree_with_the_training_record(training):
    from crm.models import User
    from kpi.models import KpiPeriod
    from kpi.periods import period_for
    from training.selectors import training_records

    org, _period = training
    year = period_for(KpiPeriod.Kind.YEAR, date(2026, 1, 1))
    kpi_compute_period(actor=None, period=year, now=local(2027, 1, 2))
    r = _result(year, "training_hours_ytd", SubjectType.STAFF, org.agent_a.pk)
    record = training_records(
        staff_qs=User.objects.filter(pk=org.agent_a.pk), year=2026
    ).get()
    assert r.value == record.training_hours == D(18)


@pytest.mark.django_db
def test_training_figures_drill_down_to_their_records(client, training):
    org, period = training
    client.force_login(org.manager_a)
    for code, rows in (("training_hours_ytd", 2), ("assessment_pass_rate", 3)):
        response = client.get(
            f"/kpi/drill/{code}/",
            {"period": period.key, "subject": f"staff:{org.agent_a.pk}"},
        )
        assert response.status_code == 200
        assert response.content.decode().count("<tr>") - 1 == rows, code
