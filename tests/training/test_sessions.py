"""Enrolment and the bulk attendance service."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from config.errors import Conflict, IllegalTransition, InvalidInput
from tests.factories.training import (
    CourseFactory,
    EnrollmentFactory,
    TrainingAssignmentFactory,
    TrainingSessionFactory,
)
from training import services
from training.models import Enrollment, TrainingAssignment, TrainingSession

pytestmark = pytest.mark.django_db
Entry = services.AttendanceEntry


@pytest.fixture
def session(org):
    s = TrainingSessionFactory(course=CourseFactory(hours=Decimal("6")), capacity=2)
    EnrollmentFactory(session=s, staff=org.agent_a)
    EnrollmentFactory(session=s, staff=org.agent_b)
    return s


def test_enrolment_respects_capacity_and_is_idempotent(org, session):
    again, created = services.enrollment_create(
        actor=org.trainer_a, session=session, staff=org.agent_a
    )
    assert not created and again.staff == org.agent_a
    with pytest.raises(Conflict) as exc:
        services.enrollment_create(
            actor=org.trainer_a, session=session, staff=org.complaint_handler_a
        )
    assert exc.value.code == "session_full"
    # a withdrawal frees the seat
    services.session_record_attendance(
        actor=org.trainer_a,
        session=session,
        entries=[Entry(staff_id=org.agent_b.pk, status="withdrawn")],
    )
    enrollment, created = services.enrollment_create(
        actor=org.trainer_a, session=session, staff=org.complaint_handler_a
    )
    assert created and enrollment.status == Enrollment.Status.ENROLLED


def test_enrolment_in_a_cancelled_session_is_refused(org, session):
    services.session_cancel(actor=org.trainer_a, session=session)
    with pytest.raises(IllegalTransition):
        services.enrollment_create(
            actor=org.trainer_a, session=session, staff=org.supervisor_a
        )


def test_attendance_defaults_to_the_course_hours_and_writes_only_changes(org, session):
    result = services.session_record_attendance(
        actor=org.trainer_a,
        session=session,
        entries=[
            Entry(staff_id=org.agent_a.pk, status="attended"),
            Entry(staff_id=org.agent_b.pk, status="absent", hours=Decimal("3")),
        ],
    )
    assert result == {"changed": 2, "assignments_done": 0, "assessments_created": 0}
    rows = dict(Enrollment.objects.values_list("staff__username", "attended_hours"))
    assert rows == {"agent_a": Decimal("6.0"), "agent_b": Decimal("0.0")}
    a = Enrollment.objects.get(staff=org.agent_a)
    assert a.recorded_by == org.trainer_a and a.recorded_at is not None

    again = services.session_record_attendance(
        actor=org.trainer_a,
        session=session,
        entries=[Entry(staff_id=org.agent_a.pk, status="attended", hours=Decimal("6"))],
    )
    assert again["changed"] == 0


@pytest.mark.parametrize("hours", [Decimal("0"), Decimal("-1"), Decimal("12"), "x"])
def test_attended_hours_must_fit_the_session(org, session, hours):
    with pytest.raises(InvalidInput) as exc:
        services.session_record_attendance(
            actor=org.trainer_a,
            session=session,
            entries=[Entry(staff_id=org.agent_a.pk, status="attended", hours=hours)],
        )
    assert exc.value.field == "hours"
    assert Enrollment.objects.get(staff=org.agent_a).status == "enrolled"


def test_attendance_of_someone_not_enrolled_is_refused_and_nothing_is_saved(
    org, session
):
    with pytest.raises(InvalidInput):
        services.session_record_attendance(
            actor=org.trainer_a,
            session=session,
            entries=[
                Entry(staff_id=org.agent_a.pk, status="attended"),
                Entry(staff_id=org.supervisor_b.pk, status="attended"),
            ],
        )
    assert not Enrollment.objects.filter(status="attended").exists()


def test_attendance_before_the_session_starts_is_refused(org):
    future = TrainingSessionFactory(
        starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=1, hours=2),
    )
    EnrollmentFactory(session=future, staff=org.agent_a)
    with pytest.raises(InvalidInput):
        services.session_record_attendance(
            actor=org.trainer_a,
            session=future,
            entries=[Entry(staff_id=org.agent_a.pk, status="attended")],
        )


def test_attending_closes_open_assignments_of_the_course(org, session):
    open_one = TrainingAssignmentFactory(staff=org.agent_a, course=session.course)
    other_course = TrainingAssignmentFactory(staff=org.agent_a)
    later = TrainingAssignmentFactory(staff=org.agent_b, course=session.course)
    # assigned before the session ended (the last one after it: not satisfied by it)
    before = session.starts_at - timedelta(days=3)
    TrainingAssignment.objects.filter(pk__in=[open_one.pk, other_course.pk]).update(
        created_at=before
    )
    result = services.session_record_attendance(
        actor=org.trainer_a,
        session=session,
        entries=[
            Entry(staff_id=org.agent_a.pk, status="attended"),
            Entry(staff_id=org.agent_b.pk, status="attended"),
        ],
        complete=True,
    )
    later.refresh_from_db()
    assert later.done_at is None
    open_one.refresh_from_db()
    other_course.refresh_from_db()
    assert result["assignments_done"] == 1
    assert open_one.done_at is not None
    assert other_course.done_at is None
    # complete=True completed the session and scheduled the attendee's assessments
    session.refresh_from_db()
    assert session.status == TrainingSession.Status.COMPLETED
    assert result["assessments_created"] == 10


def test_a_completed_session_cannot_be_cancelled(org, session):
    services.session_complete(actor=org.trainer_a, session=session)
    with pytest.raises(IllegalTransition):
        services.session_cancel(actor=org.trainer_a, session=session)
