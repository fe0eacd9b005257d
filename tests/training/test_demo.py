"""The training part of seed_demo: a year of training, idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from crm.models import Notification, User
from training.models import (
    Assessment,
    Certification,
    Course,
    Enrollment,
    TrainingAssignment,
    TrainingRequirement,
    TrainingSession,
)
from training.selectors import certifications_expiring, training_records

pytestmark = pytest.mark.django_db
MODELS = (
    Course,
    TrainingRequirement,
    TrainingSession,
    Enrollment,
    Assessment,
    Certification,
    TrainingAssignment,
)


def _seed():
    out = StringIO()
    call_command("seed_demo", customers=10, complaints=0, stdout=out)
    return out.getvalue()


def _counts():
    counts = {m.__name__: m.objects.count() for m in MODELS}
    counts["reminders"] = Notification.objects.filter(
        kind__startswith="training."
    ).count()
    return counts


def test_seed_demo_gives_a_trainers_working_day_and_is_idempotent():
    output = _seed()
    first = _counts()
    _seed()
    assert _counts() == first
    assert "training" in output

    today = timezone.localdate()
    # a year of sessions, completed with attendance, plus today's and upcoming
    assert TrainingSession.objects.filter(status="completed").count() >= 30
    oldest = TrainingSession.objects.order_by("starts_at").first().starts_at
    assert (today - timezone.localdate(oldest)).days >= 330
    todays = TrainingSession.objects.get(starts_at__date=today, status="planned")
    assert todays.enrollments.filter(status="enrolled").count() >= 5
    # assessments scheduled by completion, results where due, failures → remedial
    assert Assessment.objects.filter(taken_on__isnull=False).exists()
    assert Assessment.objects.filter(taken_on__isnull=True, due_on__gte=today).exists()
    assert TrainingAssignment.objects.filter(reason="failed_assessment").exists()
    assert TrainingAssignment.objects.filter(reason="new_hire").count() == 2
    # certifications: some expiring within 30 days, reminded once each
    expiring = certifications_expiring(within_days=30)
    assert expiring.count() >= 3
    assert (
        Notification.objects.filter(kind="training.certification_expiring").count()
        == expiring.count()
    )
    # hours vs requirement: some front-line staff below 80 h, most above
    front = User.objects.filter(groups__name__in=["agent", "complaint_handler"])
    rows = training_records(staff_qs=front, year=today.year)
    below = rows.filter(below_requirement=True).count()
    assert below >= 1
    assert rows.filter(top_performer=True).exists()
    # Chinese wording from the seeds
    assert Course.objects.get(code="etq-101").title == "服务礼仪规范"
