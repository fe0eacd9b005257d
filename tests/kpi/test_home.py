"""The home at / : each role's work for today, scoped, with pinned query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.models import Complaint
from complaints.services import complaint_assign
from tests.factories.complaints import make_complaint, walk
from tests.factories.crm import RevisitFactory
from tests.factories.training import EnrollmentFactory, TrainingSessionFactory

pytestmark = pytest.mark.django_db


def _home(client, user):
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response


def test_anonymous_is_sent_to_the_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_login_lands_on_the_home(client, org):
    response = client.post(
        "/admin/login/",
        {"username": org.agent_a.username, "password": "pw-for-tests", "next": "/"},
    )
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/admin/login/")
    assert page.status_code == 302  # signed in: the admin sends on


def test_agent_sees_own_open_complaints_next_due_first(client, org):
    first = make_complaint(actor=org.agent_a, subject="第一件投诉")
    second = make_complaint(actor=org.agent_a, subject="第二件投诉")
    walk(second, "analyzing", actor=org.supervisor_a)
    other = make_complaint(actor=org.agent_b, subject="别组的投诉")
    response = _home(client, org.agent_a)
    mine = response.context["mine"]
    assert {c.pk for c in mine} >= {first.pk}
    assert other.pk not in {c.pk for c in mine}
    dues = [c.next_due for c in mine]
    assert dues == sorted(dues)
    html = response.content.decode()
    assert "我的未结投诉" in html and first.reference in html
    assert "countdown" in html


def test_supervisor_sees_unassigned_and_at_risk_of_the_team(client, org):
    unassigned = make_complaint(actor=org.supervisor_a, subject="无人处理")
    risky = make_complaint(actor=org.supervisor_a, subject="快到期")
    complaint_assign(actor=org.supervisor_a, complaint=risky, assignee=org.agent_a)
    other = make_complaint(actor=org.supervisor_b)
    response = _home(client, org.supervisor_a)
    queue = response.context["queue"]
    assert {c.pk for c in queue["unassigned"]} >= {unassigned.pk} - {risky.pk}
    assert other.pk not in {c.pk for c in queue["unassigned"]}
    later = timezone.now() + timedelta(days=30)
    from complaints import selectors

    at_risk = selectors.team_queue(user=org.supervisor_a, now=later)["at_risk"]
    assert risky.pk in {c.pk for c in at_risk}
    assert "本组待分派" in response.content.decode()


def test_relations_sees_revisits_due_today(client, org):
    # Overdue by 20 minutes: due by the end of the local day at any hour (20
    # minutes ahead fails from 23:40 in Shanghai, when it is tomorrow's).
    due = RevisitFactory(
        assignee=org.relations_specialist_a,
        customer__department=org.dept_a,
        due_at=timezone.now() - timedelta(minutes=20),
    )
    RevisitFactory(
        assignee=org.relations_specialist_a,
        customer__department=org.dept_a,
        due_at=timezone.now() + timedelta(days=3),
    )
    response = _home(client, org.relations_specialist_a)
    assert [r.pk for r in response.context["revisits"]] == [due.pk]


def test_trainer_sees_todays_sessions_with_attendance_to_record(client, org):
    now = timezone.localtime()
    start = now.replace(hour=0, minute=1)
    today = TrainingSessionFactory(trainer=org.trainer_a, starts_at=start)
    TrainingSessionFactory(trainer=org.trainer_a, starts_at=start + timedelta(days=2))
    EnrollmentFactory(session=today, staff=org.agent_a)
    response = _home(client, org.trainer_a)
    sessions = response.context["sessions"]
    assert [s.pk for s in sessions] == [today.pk]
    assert sessions[0].to_record == 1
    assert "待登记 1 人" in response.content.decode()


def test_qa_sees_resolved_complaints_not_inspected(client, org):
    resolved = walk(
        make_complaint(actor=org.agent_a), "resolved", actor=org.supervisor_a
    )
    open_ = make_complaint(actor=org.agent_a)
    response = _home(client, org.qa_inspector_a)
    pks = {c.pk for c in response.context["to_inspect"]}
    assert resolved.pk in pks and open_.pk not in pks


def test_qa_sees_the_samples_drawn_for_them_first(client, org):
    from datetime import date

    from kpi.models import InspectionSample, SamplingPlan
    from kpi.services.checklists import checklist_active

    # Given a complaint closed two months ago, drawn into qa_inspector_a's queue
    old = walk(make_complaint(actor=org.agent_a), "closed", actor=org.supervisor_a)
    Complaint.objects.filter(pk=old.pk).update(
        resolved_at=timezone.now() - timedelta(days=60)
    )
    recent = walk(make_complaint(actor=org.agent_a), "resolved", actor=org.supervisor_a)
    plan = SamplingPlan.objects.create(
        name="抽检", team=org.team_a, checklist=checklist_active(code="call")
    )
    InspectionSample.objects.create(
        plan=plan,
        period_key="2026-09",
        period_start=date(2026, 9, 1),
        complaint=old,
        staff=org.agent_a,
        team=org.team_a,
        inspector=org.qa_inspector_a,
        drawn_on=date(2026, 10, 1),
    )
    # Then it heads their list, marked, before the recent one
    response = _home(client, org.qa_inspector_a)
    assert [c.pk for c in response.context["to_inspect"]] == [old.pk, recent.pk]
    assert "抽检" in response.content.decode()


def test_manager_gets_the_kpi_link(client, org):
    html = _home(client, org.manager_a).content.decode()
    assert "/kpi/" in html and "绩效看板" in html


@pytest.mark.parametrize(
    "role",
    [
        "agent_a",
        "supervisor_a",
        "relations_specialist_a",
        "trainer_a",
        "qa_inspector_a",
        "manager_a",
    ],
)
def test_home_query_count_does_not_grow(
    client, org, role, django_assert_max_num_queries
):
    user = getattr(org, role)
    for _ in range(4):
        c = make_complaint(actor=org.supervisor_a)
        complaint_assign(actor=org.supervisor_a, complaint=c, assignee=org.agent_a)
        walk(make_complaint(actor=org.agent_a), "resolved", actor=org.supervisor_a)
        RevisitFactory(
            assignee=org.relations_specialist_a,
            customer__department=org.dept_a,
            due_at=timezone.now() + timedelta(minutes=5),
        )
        session = TrainingSessionFactory(
            trainer=org.trainer_a,
            starts_at=timezone.localtime().replace(hour=0, minute=5),
        )
        EnrollmentFactory(session=session, staff=org.agent_a)
    client.force_login(user)
    with django_assert_max_num_queries(14):
        response = client.get("/")
    assert response.status_code == 200


def _booked(org, tech, *, days, start, status="approved"):
    from aftersales.services import appointment_book
    from tests.factories.aftersales import make_order, slot, walk_order

    order = walk_order(
        make_order(actor=org.supervisor_a, product_name=f"洗衣机 {days}-{start}"),
        status,
        actor=org.supervisor_a,
    )
    appointment_book(
        actor=org.supervisor_a,
        order=order,
        slot=slot(tech, days=days, start=start),
    )
    order.refresh_from_db()
    return order


# 09:00 and 07:30 (the next local day) in Shanghai
@pytest.mark.parametrize("utc", [(2, 1, 0), (2, 23, 30)])
def test_technician_sees_todays_visits_and_counts_the_week(
    client, org, utc, django_assert_max_num_queries
):
    import datetime as dt

    import time_machine

    from aftersales.services import (
        appointment_cancel,
        order_check_in,
        order_complete,
        order_transition,
    )
    from tests.factories.aftersales import technician

    with time_machine.travel(
        dt.datetime(2026, 12, utc[0], utc[1], utc[2], tzinfo=dt.UTC), tick=False
    ):
        today = timezone.localdate()
        tech = technician(username="tech_home", team=org.team_a)
        other = technician(username="tech_other", team=org.team_a)
        late = _booked(org, tech, days=0, start=14)
        early = _booked(org, tech, days=0, start=9)
        order_check_in(actor=org.supervisor_a, order=early)
        cancelled = _booked(org, tech, days=0, start=16)
        appointment_cancel(actor=org.supervisor_a, order=cancelled, reason="客户改期")
        theirs = _booked(org, other, days=0, start=10)
        done = _booked(org, tech, days=0, start=11)
        done = order_check_in(actor=org.supervisor_a, order=done)
        done = order_transition(
            actor=org.supervisor_a, order=done, to_status="inspected"
        )
        order_complete(actor=org.supervisor_a, order=done, outcome="已修复")
        for days in (1, 7):
            _booked(org, tech, days=days, start=9)
        beyond = _booked(org, tech, days=8, start=9)

        client.force_login(tech.user)
        with django_assert_max_num_queries(9):
            html = client.get("/").content.decode()

    section = html[html.index('id="desk-visits"') :]
    # today's live visits, by start time: the checked-in one first
    assert section.index(early.reference) < section.index(late.reference)
    for absent in (cancelled, theirs, beyond):
        assert absent.reference not in section
    assert "我今天的上门" in section
    # what is next on each: check in, check out (checked in), open (completed)
    row = {
        o.reference: section[section.index(o.reference) :].split("</tr>")[0]
        for o in (early, late, done)
    }
    assert "签退" in row[early.reference]
    assert "签到" in row[late.reference]
    assert "查看" in row[done.reference]
    assert "未来 7 天已预约 2 次上门" in section
    assert f"slot__date__gte={today + timedelta(days=1)}" in section
    assert f"slot__date__lt={today + timedelta(days=8)}" in section


def test_home_shows_no_visit_section_to_others(client, org):
    html = _home(client, org.agent_a).content.decode()
    assert 'id="desk-visits"' not in html
