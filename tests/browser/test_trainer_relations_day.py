"""trainer01 records today's attendance before and after a session's start;
relations01 completes a revisit due today."""

from datetime import datetime, time, timedelta

import time_machine
from django.utils import timezone

from tests.browser.world import make_world
from tests.factories.training import (
    CourseFactory,
    EnrollmentFactory,
    TrainingSessionFactory,
)
from training.models import Enrollment

TRAINER_BUDGET = 6


def at_local(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def test_trainer_records_attendance_before_and_after_the_start(desk):
    today = timezone.localdate()
    # 10:00 today in Shanghai (the clock ticks on, for the live server too)
    with time_machine.travel(at_local(today, 10), tick=True):
        w = make_world()
        course = CourseFactory(code="KC-LY01", title="服务礼仪与沟通技巧")
        started = TrainingSessionFactory(
            course=course,
            trainer=w.trainer01,
            starts_at=at_local(today, 9),
            ends_at=at_local(today, 15),
            place="培训室 A",
        )
        later = TrainingSessionFactory(
            course=course,
            trainer=w.trainer01,
            starts_at=at_local(today, 14),
            ends_at=at_local(today, 17),
            place="培训室 B",
        )
        for session in (started, later):
            for staff in (w.agent01, w.agent09):
                EnrollmentFactory(session=session, staff=staff)

        d = desk("trainer01")
        d.check("home")
        # Before the start (14:00): people sign in as they arrive
        d.click(f"#desk-sessions a[href$='/trainingsession/{later.pk}/attendance/']")
        d.check("later-sheet")
        d.select("select[name='form-0-status']", value=Enrollment.Status.ATTENDED)
        d.select("select[name='form-1-status']", value=Enrollment.Status.ATTENDED)
        d.click("input[type=submit][value=保存出勤]")
        d.check("later-saved")
        # After the start (09:00): everybody present in one click
        d.goto("/")
        d.click(f"#desk-sessions a[href$='/trainingsession/{started.pk}/attendance/']")
        d.check("started-sheet")
        d.click("input[name=all_present]")
        d.check("started-saved")

    for session in (started, later):
        statuses = set(
            Enrollment.objects.filter(session=session).values_list("status", flat=True)
        )
        assert statuses == {Enrollment.Status.ATTENDED}, (session, statuses)
    assert d.clicks <= TRAINER_BUDGET, d.clicks
    assert started.starts_at < at_local(today, 10) < later.starts_at
    assert later.starts_at - started.starts_at == timedelta(hours=5)


RELATIONS_BUDGET = 3


def test_relations_specialist_completes_a_revisit_due_today(desk):
    from crm.models import Revisit
    from tests.factories.crm import RevisitFactory

    # 10:00 in Shanghai, so that "due in 30 minutes" is still today whenever
    # the suite runs (at 23:40 local it would be tomorrow)
    with time_machine.travel(at_local(timezone.localdate(), 10), tick=True):
        w = make_world()
        revisit = RevisitFactory(
            customer=w.customer,
            assignee=w.relations01,
            due_at=timezone.now() + timedelta(minutes=30),
            key="browser:1",
        )
        d = desk("relations01")
        d.check("home")
        d.click(f"#desk-revisits a[href$='/revisit/{revisit.pk}/change/']")
        d.check("revisit")
        d.select("#id_outcome", value=Revisit.Outcome.REACHED)
        d.page.fill("#id_satisfaction_score", "5")
        d.page.fill("#id_feedback", "客户表示问题已解决，对处理结果满意。")
        d.click("input[name=_save]")
        d.check("saved")
        revisit.refresh_from_db()
        assert revisit.status == Revisit.Status.DONE
        assert revisit.outcome == Revisit.Outcome.REACHED
        assert revisit.satisfaction_score == 5
        assert d.clicks <= RELATIONS_BUDGET, d.clicks
