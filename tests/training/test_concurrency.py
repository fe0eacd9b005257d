"""Concurrent runs of the training rules write once (PostgreSQL row locks and
unique keys)."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from crm.models import Notification
from tests.factories import UserFactory
from tests.factories.training import (
    AssessmentFactory,
    CertificationFactory,
    CourseFactory,
    EnrollmentFactory,
    TrainingSessionFactory,
)
from training import services
from training.models import Assessment, TrainingAssignment

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="concurrent writers need PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def role_groups(transactional_db):
    """The role groups: a transactional test's flush empties the table, and the
    services check the actor's role (scope) before they write."""
    from django.contrib.auth.models import Group, Permission

    from crm.roles import sync_role_groups

    sync_role_groups(Group, Permission)


def _race(func, n=6):
    barrier = threading.Barrier(n)
    errors = []

    def run():
        try:
            barrier.wait()
            func()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_concurrent_completions_schedule_each_assessment_once():
    trainer = UserFactory(roles=["trainer"])
    session = TrainingSessionFactory()
    for _ in range(3):
        EnrollmentFactory(session=session, status="attended")
    _race(lambda: services.session_complete(actor=trainer, session=session))
    assert Assessment.objects.filter(session=session).count() == 15


def test_concurrent_failed_results_assign_the_remedial_course_once():
    trainer = UserFactory(roles=["trainer"])
    staff = UserFactory(roles=["agent"])
    assessment = AssessmentFactory(staff=staff, course=CourseFactory())
    _race(
        lambda: services.assessment_record_result(
            actor=trainer, assessment=assessment, score=20
        )
    )
    assert TrainingAssignment.objects.filter(staff=staff).count() == 1


def test_concurrent_sweeps_remind_once():
    CertificationFactory(expires_on=timezone.localdate() + timedelta(days=9))
    _race(services.certification_sweep)
    assert (
        Notification.objects.filter(kind="training.certification_expiring").count() == 1
    )
