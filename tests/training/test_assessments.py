"""Completing a session schedules the 0/+1/+3-month assessments (exact dates,
once); a failed assessment assigns a remedial course once."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.utils import timezone

from config.errors import Conflict, IllegalTransition, InvalidInput
from crm.models import Notification
from tests.factories.training import (
    AssessmentFactory,
    CourseFactory,
    EnrollmentFactory,
    TrainingSessionFactory,
)
from training import services
from training.models import Assessment, TrainingAssignment, TrainingSession

pytestmark = pytest.mark.django_db
K, W = Assessment.Kind, Assessment.Window


def _local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_default_timezone())


@pytest.fixture
def session_jan31(org):
    """A one-day session on 31 January 2026 with two attendees and one absentee."""
    session = TrainingSessionFactory(
        course=CourseFactory(code="etiquette-basic", hours=Decimal("6")),
        starts_at=_local(date(2026, 1, 31), 9),
        ends_at=_local(date(2026, 1, 31), 17),
    )
    for staff, status in (
        (org.agent_a, "attended"),
        (org.complaint_handler_a, "attended"),
        (org.agent_b, "absent"),
    ):
        EnrollmentFactory(session=session, staff=staff, status=status)
    return session


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 0, date(2026, 1, 31)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
        (date(2026, 12, 31), 1, date(2027, 1, 31)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(day, months, expected):
    assert services.add_months(day, months) == expected


def test_completing_a_session_schedules_each_attendees_assessments_on_exact_dates(
    org, session_jan31
):
    # when the trainer completes the session
    session, created = services.session_complete(
        actor=org.trainer_a, session=session_jan31
    )

    # then each attendee has the five planned assessments, absentees none
    assert session.status == TrainingSession.Status.COMPLETED
    assert created == 10
    rows = set(
        Assessment.objects.filter(session=session).values_list(
            "staff__username", "kind", "window", "due_on", "pass_mark"
        )
    )
    for username in ("agent_a", "complaint_handler_a"):
        assert {r for r in rows if r[0] == username} == {
            (username, K.SATISFACTION, W.IMMEDIATE, date(2026, 1, 31), None),
            (username, K.KNOWLEDGE, W.IMMEDIATE, date(2026, 1, 31), Decimal("60")),
            (username, K.SKILL, W.ONE_MONTH, date(2026, 2, 28), Decimal("60")),
            (username, K.PERFORMANCE, W.ONE_MONTH, date(2026, 2, 28), Decimal("60")),
            (username, K.PERFORMANCE, W.THREE_MONTHS, date(2026, 4, 30), Decimal("60")),
        }
    assert not Assessment.objects.filter(staff=org.agent_b).exists()


def test_due_dates_count_from_the_local_date_of_the_session_end(org):
    # 23:30 in Shanghai on 31 March is 15:30 UTC: the local day counts.
    session = TrainingSessionFactory(
        starts_at=_local(date(2026, 3, 31), 19),
        ends_at=_local(date(2026, 3, 31), 23),
    )
    EnrollmentFactory(session=session, staff=org.agent_a, status="attended")
    services.session_complete(actor=org.trainer_a, session=session)
    dues = set(Assessment.objects.values_list("window", "due_on"))
    assert dues == {
        (W.IMMEDIATE, date(2026, 3, 31)),
        (W.ONE_MONTH, date(2026, 4, 30)),
        (W.THREE_MONTHS, date(2026, 6, 30)),
    }


def test_completing_again_schedules_nothing_new(org, session_jan31):
    services.session_complete(actor=org.trainer_a, session=session_jan31)
    first = list(Assessment.objects.order_by("pk").values_list("pk", "due_on"))

    _session, created = services.session_complete(
        actor=org.trainer_a, session=session_jan31
    )
    services.assessments_schedule_for_session(session=session_jan31)

    assert created == 0
    assert list(Assessment.objects.order_by("pk").values_list("pk", "due_on")) == first


def test_a_late_attendance_entry_schedules_only_the_newcomer(org, session_jan31):
    services.session_complete(actor=org.trainer_a, session=session_jan31)
    result = services.session_record_attendance(
        actor=org.trainer_a,
        session=session_jan31,
        entries=[services.AttendanceEntry(staff_id=org.agent_b.pk, status="attended")],
    )
    assert result["assessments_created"] == 5
    assert Assessment.objects.count() == 15
    assert Assessment.objects.filter(staff=org.agent_b).count() == 5


def test_a_cancelled_or_future_session_cannot_be_completed(org):
    cancelled = TrainingSessionFactory(status=TrainingSession.Status.CANCELLED)
    with pytest.raises(IllegalTransition):
        services.session_complete(actor=org.trainer_a, session=cancelled)
    future = TrainingSessionFactory(
        starts_at=timezone.now() + timezone.timedelta(days=2),
        ends_at=timezone.now() + timezone.timedelta(days=2, hours=3),
    )
    with pytest.raises(InvalidInput):
        services.session_complete(actor=org.trainer_a, session=future)
    future.refresh_from_db()
    assert future.status == TrainingSession.Status.PLANNED


def test_recording_a_pass_sets_passed_and_assessor(org):
    assessment = AssessmentFactory(staff=org.agent_a)
    result = services.assessment_record_result(
        actor=org.trainer_a, assessment=assessment, score=75, notes="良好"
    )
    assert (result.score, result.passed, result.assessor, result.notes) == (
        Decimal("75.0"),
        True,
        org.trainer_a,
        "良好",
    )
    assert result.taken_on == timezone.localdate()
    assert not TrainingAssignment.objects.exists()


def test_a_survey_is_recorded_without_a_verdict(org):
    survey = AssessmentFactory(staff=org.agent_a, kind=K.SATISFACTION, pass_mark=None)
    result = services.assessment_record_result(
        actor=org.trainer_a, assessment=survey, score=40
    )
    assert result.passed is None
    assert not TrainingAssignment.objects.exists()


@pytest.mark.parametrize("score", [-1, 101, "abc", None])
def test_a_score_outside_0_to_100_is_refused(org, score):
    assessment = AssessmentFactory(staff=org.agent_a)
    with pytest.raises(InvalidInput) as exc:
        services.assessment_record_result(
            actor=org.trainer_a, assessment=assessment, score=score
        )
    assert exc.value.field == "score"
    assessment.refresh_from_db()
    assert assessment.score is None


def test_a_result_dated_before_the_session_is_refused(org, session_jan31):
    services.session_complete(actor=org.trainer_a, session=session_jan31)
    assessment = Assessment.objects.filter(staff=org.agent_a).first()
    with pytest.raises(Conflict):
        services.assessment_record_result(
            actor=org.trainer_a,
            assessment=assessment,
            score=80,
            taken_on=date(2026, 1, 30),
        )


def test_a_failed_assessment_assigns_the_remedial_course_once(org):
    remedial = CourseFactory(code="etiquette-remedial")
    course = CourseFactory(code="etiquette", remedial_course=remedial)
    knowledge = AssessmentFactory(staff=org.agent_a, course=course)
    skill = AssessmentFactory(staff=org.agent_a, course=course, kind=K.SKILL)

    # when the agent fails, the result is re-entered, and a second test fails too
    services.assessment_record_result(
        actor=org.trainer_a, assessment=knowledge, score=40
    )
    services.assessment_record_result(
        actor=org.trainer_a, assessment=knowledge, score=40
    )
    services.assessment_record_result(
        actor=org.trainer_a, assessment=knowledge, score=45
    )
    services.assessment_record_result(actor=org.trainer_a, assessment=skill, score=30)

    # then one remedial assignment exists, pointing at the first failure
    assignment = TrainingAssignment.objects.get()
    assert assignment.staff == org.agent_a
    assert assignment.course == remedial
    assert assignment.reason == TrainingAssignment.Reason.FAILED_ASSESSMENT
    assert assignment.source_assessment == knowledge
    assert assignment.assigned_by == org.trainer_a
    assert assignment.due_on == timezone.localdate() + timezone.timedelta(days=30)
    # and the agent was told once
    notes = Notification.objects.filter(
        recipient=org.agent_a, kind="training.assignment"
    )
    assert notes.count() == 1


def test_failing_again_after_the_remedial_course_is_done_assigns_it_again(org):
    course = CourseFactory(code="privacy")
    first = AssessmentFactory(staff=org.agent_a, course=course)
    services.assessment_record_result(actor=org.trainer_a, assessment=first, score=10)
    services.assignment_complete(
        actor=org.trainer_a, assignment=TrainingAssignment.objects.get()
    )
    second = AssessmentFactory(staff=org.agent_a, course=course, kind=K.SKILL)
    services.assessment_record_result(actor=org.trainer_a, assessment=second, score=10)
    assert TrainingAssignment.objects.filter(course=course).count() == 2
    assert TrainingAssignment.objects.filter(done_at__isnull=True).count() == 1
