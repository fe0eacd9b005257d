"""Attitude-complaint rule: 2+ attitude complaints in 90 days → etiquette course,
assigned once (tested on real complaints received through the service)."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from complaints.services import complaint_reject
from crm.models import Notification
from tests.factories.complaints import make_complaint
from tests.factories.training import CourseFactory
from training import services, tasks
from training.models import Course, TrainingAssignment

pytestmark = pytest.mark.django_db
NOW = timezone.now()


@pytest.fixture
def etiquette(db):
    return CourseFactory(code="etiquette", topic=Course.Topic.ETIQUETTE)


def _attitude(staff, days_ago: int, **overrides):
    kwargs = {
        "category": "attitude",
        "subject": "快递员态度恶劣",
        "attributed_staff": staff,
        "received_at": NOW - timedelta(days=days_ago),
    }
    kwargs.update(overrides)
    return make_complaint(**kwargs)


def _assignments(staff):
    return TrainingAssignment.objects.filter(
        staff=staff, reason=TrainingAssignment.Reason.COMPLAINT_PATTERN
    )


def test_two_attitude_complaints_in_90_days_assign_the_etiquette_course_once(
    org, etiquette
):
    # receiving a complaint runs the rule (complaints follow-ups); so does a re-check
    _attitude(org.agent_a, days_ago=80)
    assert not _assignments(org.agent_a).exists()
    _attitude(org.agent_a, days_ago=3)
    [assignment] = _assignments(org.agent_a)
    assert assignment.course == etiquette
    assert assignment.assigned_by is None
    assert "2" in assignment.note

    again = services.assignment_check_attitude_complaints(staff=org.agent_a, now=NOW)
    _attitude(org.agent_a, days_ago=1)

    assert again is None
    assert _assignments(org.agent_a).count() == 1
    assert (
        Notification.objects.filter(
            recipient=org.agent_a, kind="training.assignment"
        ).count()
        == 1
    )


def test_the_rule_counts_from_now_backwards(org, etiquette):
    """Checked later, complaints older than 90 days by then no longer count."""
    with override_settings(KEFU_TRAINING_ATTITUDE_THRESHOLD=99):
        _attitude(org.agent_a, days_ago=60)
        _attitude(org.agent_a, days_ago=50)
    later = NOW + timedelta(days=35)
    assert (
        services.assignment_check_attitude_complaints(staff=org.agent_a, now=later)
        is None
    )
    assert services.assignment_check_attitude_complaints(staff=org.agent_a, now=NOW)


@pytest.mark.parametrize(
    "other",
    [
        {"days_ago": 91},  # outside the window
        {"days_ago": 5, "category": "service_quality"},  # not attitude
        {"days_ago": 5, "attributed_staff": None},  # about nobody
    ],
)
def test_complaints_outside_the_rule_do_not_count(org, etiquette, other):
    _attitude(org.agent_a, days_ago=10)
    staff = other.pop("attributed_staff", org.agent_a)
    days = other.pop("days_ago")
    _attitude(staff, days_ago=days, **other)
    assert (
        services.assignment_check_attitude_complaints(staff=org.agent_a, now=NOW)
        is None
    )
    assert not _assignments(org.agent_a).exists()


def test_rejected_complaints_do_not_count(org, etiquette):
    _attitude(org.agent_a, days_ago=10)
    spam = _attitude(org.agent_a, days_ago=5)
    complaint_reject(actor=org.admin, complaint=spam, reason="重复投诉")
    assert (
        services.assignment_check_attitude_complaints(staff=org.agent_a, now=NOW)
        is None
    )


def test_threshold_is_a_setting(org, etiquette, settings):
    settings.KEFU_TRAINING_ATTITUDE_THRESHOLD = 3
    _attitude(org.agent_a, days_ago=10)
    _attitude(org.agent_a, days_ago=5)
    assert not _assignments(org.agent_a).exists()
    _attitude(org.agent_a, days_ago=1)
    assert _assignments(org.agent_a).count() == 1


def test_a_new_pattern_after_the_course_is_done_assigns_again(org, etiquette):
    _attitude(org.agent_a, days_ago=20)
    _attitude(org.agent_a, days_ago=15)
    first = _assignments(org.agent_a).get()
    services.assignment_complete(actor=org.trainer_a, assignment=first)
    # the same complaints do not count twice, nor does one new complaint
    assert services.assignment_check_attitude_complaints(staff=org.agent_a) is None
    _attitude(org.agent_a, days_ago=0)
    assert _assignments(org.agent_a).count() == 1
    _attitude(org.agent_a, days_ago=0)
    assert _assignments(org.agent_a).count() == 2
    assert _assignments(org.agent_a).filter(done_at__isnull=True).count() == 1


def test_no_etiquette_course_means_no_assignment(org):
    _attitude(org.agent_a, days_ago=2)
    _attitude(org.agent_a, days_ago=1)
    assert (
        services.assignment_check_attitude_complaints(staff=org.agent_a, now=NOW)
        is None
    )


def test_the_task_takes_an_id_and_is_safe_to_run_twice(org):
    # complaints received before the etiquette course existed assigned nothing
    _attitude(org.agent_a, days_ago=2)
    _attitude(org.agent_a, days_ago=1)
    assert not _assignments(org.agent_a).exists()
    CourseFactory(code="etiquette", topic=Course.Topic.ETIQUETTE)

    first = tasks.attitude_check.apply(args=[org.agent_a.pk]).get()
    second = tasks.attitude_check.apply(args=[org.agent_a.pk]).get()

    assert first == _assignments(org.agent_a).get().pk
    assert second is None
    assert tasks.attitude_check.apply(args=[999999]).get() is None


def test_attitude_rule_says_once_that_no_etiquette_course_exists(org, caplog):
    import logging

    from training.services import assignments

    assignments._NO_COURSE_LOGGED.clear()
    with caplog.at_level(logging.INFO, logger=assignments.logger.name):
        for _ in range(3):
            assignments._log_no_course_once()
    lines = [r for r in caplog.records if "etiquette course" in r.getMessage()]
    assert len(lines) == 1
