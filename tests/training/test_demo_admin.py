"""Issue 5 "Done when": the demo shows a trainer's working day in the admin in
Chinese — log in as the demo trainer and walk the pages of the day."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from crm.models import User
from training.models import TrainingSession

pytestmark = pytest.mark.django_db


def test_demo_trainers_day_in_chinese(client):
    call_command("seed_demo", customers=10, complaints=0, stdout=StringIO())
    trainer = User.objects.get(username="trainer01")
    client.force_login(trainer)
    today = timezone.localdate()
    todays = TrainingSession.objects.get(starts_at__date=today, status="planned")

    pages = {
        reverse("admin:index"): ["培训"],
        reverse("admin:training_trainingsession_changelist"): ["培训场次"],
        reverse("admin:training_trainingsession_change", args=[todays.pk]): [
            "登记出勤"
        ],
        reverse("admin:training_trainingsession_attendance", args=[todays.pk]): [
            "出勤"
        ],
        reverse("admin:training_assessment_changelist"): ["培训评估"],
        reverse("admin:training_certification_changelist") + "?expiring=30": [
            "资格证书"
        ],
        reverse("admin:training_trainingassignment_changelist"): ["培训任务"],
        reverse("admin:training_trainingrecord_changelist"): ["员工培训档案"],
    }
    for url, words in pages.items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        html = response.content.decode()
        assert 'lang="zh-hans"' in html, url
        for word in words:
            assert word in html, (url, word)
    # today's attendance sheet lists the enrolled staff
    sheet = client.get(
        reverse("admin:training_trainingsession_attendance", args=[todays.pk])
    ).content.decode()
    for enrollment in todays.enrollments.select_related("staff")[:3]:
        staff = enrollment.staff
        names = [n for n in (staff.get_full_name(), staff.username, str(staff)) if n]
        assert any(name in sheet for name in names), names
