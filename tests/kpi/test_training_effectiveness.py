"""training_effectiveness: the average gain of the knowledge test right after a
session over the same person's test before it (issue 16), exact on a hand-built
set; the test before the course is scheduled at enrolment."""

from datetime import date
from decimal import Decimal as D

import pytest
import time_machine

from config.errors import Conflict
from kpi.models import KpiResult, SubjectType
from kpi.services import kpi_compute_period
from tests.factories.kpi import local, month
from tests.factories.training import AssessmentFactory, TrainingSessionFactory
from training.models import Assessment
from training.services.assessments import assessment_record_result
from training.services.sessions import enrollment_create

pytestmark = pytest.mark.django_db

NOW = local(2026, 11, 5, 9, 0)
W = Assessment.Window


def _result(period, subject_type, subject_id):
    return KpiResult.objects.get(
        period=period,
        indicator__code="training_effectiveness",
        subject_type=subject_type,
        subject_id=subject_id,
    )


def _pair(org, staff, *, starts, before, after, after_on):
    """Enrol (which schedules the test before), record it, and the test after."""
    session = TrainingSessionFactory(starts_at=starts)
    with time_machine.travel(starts, tick=False):
        enrollment_create(actor=org.admin, session=session, staff=staff)
        pre = Assessment.objects.get(session=session, staff=staff, window=W.BEFORE)
        if before is not None:
            assessment_record_result(actor=org.admin, assessment=pre, score=before)
    AssessmentFactory(
        staff=staff,
        course=session.course,
        session=session,
        window=W.IMMEDIATE,
        score=D(after),
        passed=D(after) >= D(60),
        taken_on=after_on,
    )
    return session


@pytest.fixture
def october(org):
    _pair(
        org,
        org.agent_a,
        starts=local(2026, 10, 10, 9),
        before=50,
        after=80,
        after_on=date(2026, 10, 12),
    )  # +30
    _pair(
        org,
        org.complaint_handler_a,
        starts=local(2026, 10, 30, 9),
        before=70,
        after=75,
        after_on=date(2026, 10, 31),
    )  # +5
    # no score before: not a pair
    _pair(
        org,
        org.agent_b,
        starts=local(2026, 10, 10, 9),
        before=None,
        after=90,
        after_on=date(2026, 10, 12),
    )
    # taken in November: not October's
    _pair(
        org,
        org.agent_a,
        starts=local(2026, 10, 28, 9),
        before=60,
        after=55,
        after_on=date(2026, 11, 1),
    )
    period = month(2026, 10)
    kpi_compute_period(actor=None, period=period, now=NOW)
    return period


def test_effectiveness_is_the_average_gain_of_the_pairs(org, october):
    staff = _result(october, SubjectType.STAFF, org.agent_a.pk)
    assert (staff.value, staff.numerator, staff.denominator) == (
        D("30.0000"),
        D("30.0000"),
        D("1.0000"),
    )
    handler = _result(october, SubjectType.STAFF, org.complaint_handler_a.pk)
    assert handler.value == D("5.0000")
    team = _result(october, SubjectType.TEAM, org.team_a.pk)
    assert (team.value, team.numerator, team.denominator) == (
        D("17.5000"),
        D("35.0000"),
        D("2.0000"),
    )
    department = _result(october, SubjectType.DEPARTMENT, org.dept_b.pk)
    assert department.value is None  # agent_b has no test before


def test_november_counts_its_own_pair_and_a_drop_is_negative(org, october):
    period = month(2026, 11)
    kpi_compute_period(actor=None, period=period, now=local(2026, 12, 2, 9))
    assert _result(period, SubjectType.STAFF, org.agent_a.pk).value == D("-5.0000")


def test_enrolment_schedules_one_ungraded_test_before_the_course(org):
    session = TrainingSessionFactory(starts_at=local(2026, 12, 20, 9))
    with time_machine.travel(local(2026, 12, 1, 10), tick=False):
        enrollment_create(actor=org.admin, session=session, staff=org.agent_a)
        enrollment_create(actor=org.admin, session=session, staff=org.agent_a)
    pre = Assessment.objects.get(session=session, staff=org.agent_a, window=W.BEFORE)
    assert (pre.kind, pre.due_on, pre.pass_mark) == (
        Assessment.Kind.KNOWLEDGE,
        date(2026, 12, 20),
        None,
    )
    # taken before the session: fine; it is not graded (no pass/fail)
    with time_machine.travel(local(2026, 12, 19, 10), tick=False):
        assessment_record_result(actor=org.admin, assessment=pre, score=45)
    pre.refresh_from_db()
    assert (pre.score, pre.passed) == (D("45.0"), None)
    # after the session's first day it is no longer a test before the course
    with (
        time_machine.travel(local(2026, 12, 22, 10), tick=False),
        pytest.raises(Conflict),
    ):
        assessment_record_result(
            actor=org.admin, assessment=pre, score=50, taken_on=date(2026, 12, 21)
        )
