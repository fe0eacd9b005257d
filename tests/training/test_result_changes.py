"""Changes of assessments, certifications and assignments outside their state
changes (notes, the qualification's name, due date and note): through
``assessment_update``, ``certification_update`` and ``assignment_update``, which
check the actor's permission and scope, write only what changed and leave an
event; the admin's change pages call them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from config.errors import NotPermitted
from tests.factories.training import (
    AssessmentFactory,
    CertificationFactory,
    TrainingAssignmentFactory,
)
from training import services
from training.models import TrainingEvent

pytestmark = pytest.mark.django_db

Kind = TrainingEvent.Kind


def test_a_trainer_changes_the_notes_of_an_assessment(org):
    assessment = AssessmentFactory(staff=org.agent_a, notes="")

    saved = services.assessment_update(
        actor=org.trainer_a, assessment=assessment, notes="补考安排在下周"
    )

    assessment.refresh_from_db()
    assert saved.notes == assessment.notes == "补考安排在下周"
    event = TrainingEvent.objects.get(kind=Kind.ASSESSMENT_UPDATED)
    assert (event.actor, event.staff, event.assessment) == (
        org.trainer_a,
        org.agent_a,
        assessment,
    )
    assert event.data == {"fields": ["notes"]}
    # the same notes again: nothing written
    services.assessment_update(
        actor=org.trainer_a, assessment=assessment, notes="补考安排在下周"
    )
    assert TrainingEvent.objects.filter(kind=Kind.ASSESSMENT_UPDATED).count() == 1


def test_only_who_may_change_an_assessment_changes_its_notes(org):
    assessment = AssessmentFactory(staff=org.agent_a, notes="原")
    # managers read assessments of their department, they do not change them
    with pytest.raises(NotPermitted):
        services.assessment_update(
            actor=org.manager_a, assessment=assessment, notes="改"
        )
    assessment.refresh_from_db()
    assert assessment.notes == "原"
    assert not TrainingEvent.objects.exists()


def test_a_trainer_corrects_the_name_of_a_qualification(org):
    cert = CertificationFactory(staff=org.agent_a, qualification="客服资格证")

    services.certification_update(
        actor=org.trainer_a, certification=cert, qualification="客户服务专员资格证"
    )

    cert.refresh_from_db()
    assert cert.qualification == "客户服务专员资格证"
    assert cert.status == "valid"
    event = TrainingEvent.objects.get(kind=Kind.CERTIFICATION_UPDATED)
    assert event.certification == cert and event.staff == org.agent_a
    assert event.data == {"qualification": ["客服资格证", "客户服务专员资格证"]}


def test_a_qualification_name_is_refused_outside_ones_reach(org):
    cert = CertificationFactory(staff=org.agent_a, qualification="客服资格证")
    for actor in (org.manager_a, org.supervisor_a, org.agent_a):
        with pytest.raises(NotPermitted):
            services.certification_update(
                actor=actor, certification=cert, qualification="改名"
            )
    cert.refresh_from_db()
    assert cert.qualification == "客服资格证"
    assert not TrainingEvent.objects.exists()


def test_a_manager_moves_the_due_date_of_an_assignment_in_their_department(org):
    assignment = TrainingAssignmentFactory(staff=org.agent_a, note="")
    due = assignment.due_on + timedelta(days=14)

    services.assignment_update(
        actor=org.manager_a, assignment=assignment, due_on=due, note="延期两周"
    )

    assignment.refresh_from_db()
    assert (assignment.due_on, assignment.note) == (due, "延期两周")
    event = TrainingEvent.objects.get(kind=Kind.ASSIGNMENT_UPDATED)
    assert event.assignment == assignment and event.actor == org.manager_a
    assert event.data == {
        "due_on": [str(due - timedelta(days=14)), str(due)],
        "note": ["", "延期两周"],
    }


def test_an_assignment_of_another_department_is_refused(org):
    assignment = TrainingAssignmentFactory(staff=org.agent_b)
    before = assignment.due_on
    with pytest.raises(NotPermitted):
        services.assignment_update(
            actor=org.manager_a,
            assignment=assignment,
            due_on=before + timedelta(days=1),
        )
    assignment.refresh_from_db()
    assert assignment.due_on == before
    assert not TrainingEvent.objects.exists()


# --- the admin's change pages call them ---------------------------------------------


def test_the_assessment_page_saves_notes_through_the_service(client, org):
    assessment = AssessmentFactory(staff=org.agent_a, notes="")
    client.force_login(org.trainer_a)
    response = client.post(
        reverse("admin:training_assessment_change", args=[assessment.pk]),
        {"score": "", "taken_on": "", "notes": "迟到十分钟"},
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.notes == "迟到十分钟" and assessment.score is None
    assert TrainingEvent.objects.get().kind == Kind.ASSESSMENT_UPDATED


def test_the_certification_page_corrects_the_name_through_the_service(client, org):
    cert = CertificationFactory(staff=org.agent_a, qualification="客服资格证")
    client.force_login(org.trainer_a)
    response = client.post(
        reverse("admin:training_certification_change", args=[cert.pk]),
        {
            "staff": org.agent_a.pk,
            "qualification": "客户服务专员资格证",
            "number": cert.number,
            "issued_on": cert.issued_on.isoformat(),
            "expires_on": cert.expires_on.isoformat(),
        },
    )
    assert response.status_code == 302
    cert.refresh_from_db()
    assert cert.qualification == "客户服务专员资格证"
    # only the name changed: no renewal
    assert list(TrainingEvent.objects.values_list("kind", flat=True)) == [
        Kind.CERTIFICATION_UPDATED
    ]


def test_the_assignment_page_saves_through_the_service(client, org):
    assignment = TrainingAssignmentFactory(staff=org.agent_a, note="")
    due = timezone.localdate() + timedelta(days=60)
    client.force_login(org.trainer_a)
    response = client.post(
        reverse("admin:training_trainingassignment_change", args=[assignment.pk]),
        {"due_on": due.isoformat(), "note": "请尽快完成"},
    )
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert (assignment.due_on, assignment.note) == (due, "请尽快完成")
    event = TrainingEvent.objects.get()
    assert event.kind == Kind.ASSIGNMENT_UPDATED and event.actor == org.trainer_a
