"""Every training service writes its audit row (TrainingEvent)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories.training import (
    AssessmentFactory,
    CertificationFactory,
    CourseFactory,
    EnrollmentFactory,
    TrainingAssignmentFactory,
    TrainingSessionFactory,
)
from training import services
from training.models import TrainingAssignment, TrainingEvent

pytestmark = pytest.mark.django_db
K = TrainingEvent.Kind


def _kinds(**filters):
    return list(
        TrainingEvent.objects.filter(**filters)
        .order_by("pk")
        .values_list("kind", flat=True)
    )


def test_session_flow_is_audited(org):
    session = TrainingSessionFactory(course=CourseFactory(hours=Decimal("4")))
    services.enrollment_create(actor=org.trainer_a, session=session, staff=org.agent_a)
    early = TrainingAssignmentFactory(staff=org.agent_a, course=session.course)
    TrainingAssignment.objects.filter(pk=early.pk).update(
        created_at=session.starts_at - timedelta(days=1)
    )
    services.session_record_attendance(
        actor=org.trainer_a,
        session=session,
        entries=[services.AttendanceEntry(staff_id=org.agent_a.pk, status="attended")],
        complete=True,
    )
    # a second identical sheet changes nothing and writes nothing
    services.session_record_attendance(
        actor=org.trainer_a,
        session=session,
        entries=[services.AttendanceEntry(staff_id=org.agent_a.pk, status="attended")],
    )
    assert _kinds(session=session) == [
        K.ENROLLED,
        K.ATTENDANCE_RECORDED,
        K.ASSIGNMENT_DONE,
        K.SESSION_COMPLETED,
    ]
    sheet = TrainingEvent.objects.get(kind=K.ATTENDANCE_RECORDED)
    assert sheet.actor == org.trainer_a
    assert sheet.data == {
        "entries": [{"staff": org.agent_a.pk, "status": "attended", "hours": "4.0"}]
    }
    done = TrainingEvent.objects.get(kind=K.ASSIGNMENT_DONE)
    assert (done.staff, done.assignment_id) == (org.agent_a, early.pk)


def test_results_and_remedial_assignments_are_audited(org):
    assessment = AssessmentFactory(staff=org.agent_a)
    services.assessment_record_result(
        actor=org.trainer_a, assessment=assessment, score=30
    )
    services.assessment_record_result(
        actor=org.trainer_a, assessment=assessment, score=30
    )
    assert _kinds(staff=org.agent_a) == [K.RESULT_RECORDED, K.ASSIGNMENT_CREATED]
    result = TrainingEvent.objects.get(kind=K.RESULT_RECORDED)
    assert result.data == {"score": "30.0", "passed": False}
    assert result.assessment == assessment
    created = TrainingEvent.objects.get(kind=K.ASSIGNMENT_CREATED)
    assert created.data["reason"] == "failed_assessment"
    assert created.data["key"] == f"remedial:assessment:{assessment.pk}"


def test_certification_events_once_per_sweep_effect(org):
    today = timezone.localdate()
    lapsing = CertificationFactory(
        staff=org.agent_a, expires_on=today - timedelta(days=1)
    )
    soon = CertificationFactory(staff=org.agent_b, expires_on=today + timedelta(days=5))
    services.certification_sweep()
    services.certification_sweep()
    assert _kinds(certification=lapsing) == [K.CERTIFICATION_EXPIRED]
    assert _kinds(certification=soon) == [K.CERTIFICATION_REMINDED]
    assert TrainingEvent.objects.get(certification=soon).data == {
        "window_days": 30,
        "days_left": 5,
    }
    issued = services.certification_issue(
        actor=org.trainer_a,
        staff=org.agent_a,
        qualification="客户服务专员资格证",
        issued_on=today,
        expires_on=today + timedelta(days=700),
    )
    services.certification_revoke(actor=org.trainer_a, certification=issued)
    assert _kinds(certification=issued) == [
        K.CERTIFICATION_ISSUED,
        K.CERTIFICATION_REVOKED,
    ]


def test_trainers_read_the_audit_trail_others_do_not(client, org):
    session = TrainingSessionFactory()
    EnrollmentFactory(session=session, staff=org.agent_a)
    services.session_complete(actor=org.trainer_a, session=session)
    client.force_login(org.trainer_b)
    page = client.get(reverse("admin:training_trainingevent_changelist"))
    assert page.status_code == 200
    assert len(page.context["cl"].result_list) == 1
    assert (
        b'name="_save"'
        not in client.get(
            reverse(
                "admin:training_trainingevent_change",
                args=[TrainingEvent.objects.get().pk],
            )
        ).content
    )
    client.force_login(org.agent_a)
    assert (
        client.get(reverse("admin:training_trainingevent_changelist")).status_code
        == 403
    )
