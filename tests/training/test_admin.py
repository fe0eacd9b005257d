"""Training admin: trainers edit, others read their own record; bulk attendance."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from tests.factories.training import (
    AssessmentFactory,
    CertificationFactory,
    CourseFactory,
    EnrollmentFactory,
    TrainingRequirementFactory,
    TrainingSessionFactory,
)
from training import services
from training.models import Assessment, Course, Enrollment, TrainingSession

pytestmark = pytest.mark.django_db


def _client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def session(org):
    s = TrainingSessionFactory(course=CourseFactory(code="comm", hours=Decimal("6")))
    for staff in (org.agent_a, org.agent_b, org.complaint_handler_a):
        EnrollmentFactory(session=s, staff=staff)
    return s


@pytest.mark.parametrize(
    ("who", "add", "view"),
    [
        ("trainer_a", 200, 200),
        ("manager_a", 403, 200),
        ("supervisor_a", 403, 200),
        ("agent_a", 403, 200),
        ("qa_inspector_a", 403, 200),
    ],
)
def test_only_trainers_edit_courses(client, org, who, add, view):
    course = CourseFactory(code="etq", topic=Course.Topic.ETIQUETTE)
    c = _client(client, getattr(org, who))
    assert c.get(reverse("admin:training_course_add")).status_code == add
    page = c.get(reverse("admin:training_course_change", args=[course.pk]))
    assert page.status_code == view
    # read-only users get no save button
    assert (b'name="_save"' in page.content) is (who == "trainer_a")


def test_trainer_creates_a_course_through_the_admin(client, org):
    c = _client(client, org.trainer_a)
    response = c.post(
        reverse("admin:training_course_add"),
        {
            "code": "etiquette-101",
            "title": "服务礼仪基础",
            "topic": "etiquette",
            "hours": "6",
            "format": "classroom",
            "is_active": "on",
            "is_mandatory": "on",
        },
    )
    assert response.status_code == 302
    assert Course.objects.get(code="etiquette-101").is_mandatory


def test_agents_cannot_touch_sessions_or_assessments(client, org, session):
    c = _client(client, org.agent_a)
    assert (
        c.get(reverse("admin:training_trainingsession_changelist")).status_code == 403
    )
    assert (
        c.get(
            reverse("admin:training_trainingsession_attendance", args=[session.pk])
        ).status_code
        == 403
    )
    assert c.get(reverse("admin:training_assessment_changelist")).status_code == 403


def test_supervisor_reads_team_assessments_only(client, org):
    AssessmentFactory(staff=org.agent_a, notes="A-side")
    AssessmentFactory(staff=org.agent_b, notes="B-side")
    page = _client(client, org.supervisor_a).get(
        reverse("admin:training_assessment_changelist")
    )
    assert page.status_code == 200
    assert org.agent_a.name in page.content.decode()
    assert org.agent_b.name not in page.content.decode()


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("agent_a", {"agent_a"}),
        ("supervisor_a", "team_a"),
        ("manager_a", "dept_a"),
        ("trainer_b", "all"),
        ("admin", "all"),
    ],
)
def test_training_records_list_is_scoped_per_role(client, org, who, expected):
    user = org.admin if who == "admin" else getattr(org, who)
    page = _client(client, user).get(
        reverse("admin:training_trainingrecord_changelist")
    )
    assert page.status_code == 200
    shown = {u.username for u in page.context["cl"].result_list}
    from crm.models import User

    everyone = set(
        User.objects.filter(is_active=True).values_list("username", flat=True)
    )
    if expected == "team_a":
        expected = set(
            User.objects.filter(team=org.team_a).values_list("username", flat=True)
        )
    elif expected == "dept_a":
        expected = set(
            User.objects.filter(department=org.dept_a).values_list(
                "username", flat=True
            )
        )
    elif expected == "all":
        expected = everyone
    assert shown == expected


def test_an_agent_reads_their_own_record_but_not_a_colleagues(client, org):
    CertificationFactory(staff=org.agent_a, qualification="客服专员资格证")
    c = _client(client, org.agent_a)
    own = c.get(reverse("admin:training_trainingrecord_change", args=[org.agent_a.pk]))
    assert own.status_code == 200
    assert "客服专员资格证" in own.content.decode()
    assert b'name="_save"' not in own.content
    other = c.get(
        reverse("admin:training_trainingrecord_change", args=[org.agent_b.pk])
    )
    assert other.status_code == 302  # "does not exist" for rows outside the scope


def test_records_changelist_filters_and_query_count(
    client, org, django_assert_max_num_queries
):
    TrainingRequirementFactory(role="agent", yearly_hours=Decimal("80"))
    c = _client(client, org.trainer_a)
    url = reverse("admin:training_trainingrecord_changelist")
    below = c.get(url, {"below_requirement": "1", "year": timezone.localdate().year})
    assert {u.username for u in below.context["cl"].result_list} == {
        "agent_a",
        "agent_b",
    }
    c.get(url)  # warm caches (content types, sessions)
    with django_assert_max_num_queries(12):
        before = len(c.get(url).context["cl"].result_list)
    for n in range(20):
        UserFactory(username=f"more{n}", roles=["agent"])
    with django_assert_max_num_queries(12):
        page = c.get(url)
    assert len(page.context["cl"].result_list) == before + 20


def test_staff_page_shows_the_training_record_section(client, org):
    TrainingRequirementFactory(role="agent", yearly_hours=Decimal("80"))
    page = _client(client, org.supervisor_a).get(
        reverse("admin:crm_user_change", args=[org.agent_a.pk])
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="training-record"' in html
    assert "80" in html


def test_bulk_attendance_page_records_everyone_and_completes(client, org, session):
    c = _client(client, org.trainer_a)
    url = reverse("admin:training_trainingsession_attendance", args=[session.pk])
    page = c.get(url)
    assert page.status_code == 200
    forms = page.context["formset"].forms
    assert [f.initial["status"] for f in forms] == ["attended"] * 3

    data = {
        "form-TOTAL_FORMS": "3",
        "form-INITIAL_FORMS": "3",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "complete": "on",
    }
    plan = {
        org.agent_a.pk: ("attended", ""),
        org.agent_b.pk: ("attended", "4.5"),
        org.complaint_handler_a.pk: ("absent", ""),
    }
    for i, form in enumerate(forms):
        status, hours = plan[form.initial["staff_id"]]
        data[f"form-{i}-staff_id"] = form.initial["staff_id"]
        data[f"form-{i}-status"] = status
        data[f"form-{i}-hours"] = hours
    response = c.post(url, data)

    assert response.status_code == 302
    rows = dict(
        Enrollment.objects.filter(session=session).values_list(
            "staff__username", "attended_hours"
        )
    )
    assert rows == {
        "agent_a": Decimal("6.0"),
        "agent_b": Decimal("4.5"),
        "complaint_handler_a": Decimal("0.0"),
    }
    session.refresh_from_db()
    assert session.status == TrainingSession.Status.COMPLETED
    assert Assessment.objects.filter(session=session).count() == 10


def test_bulk_attendance_shows_a_domain_error_and_saves_nothing(client, org, session):
    c = _client(client, org.trainer_a)
    url = reverse("admin:training_trainingsession_attendance", args=[session.pk])
    forms = c.get(url).context["formset"].forms
    data = {
        "form-TOTAL_FORMS": str(len(forms)),
        "form-INITIAL_FORMS": str(len(forms)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for i, form in enumerate(forms):
        data[f"form-{i}-staff_id"] = form.initial["staff_id"]
        data[f"form-{i}-status"] = "attended"
        data[f"form-{i}-hours"] = "99"
    response = c.post(url, data, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]]
    assert not Enrollment.objects.filter(status="attended").exists()


def test_session_admin_actions_and_changelist(client, org, session):
    c = _client(client, org.trainer_a)
    changelist = c.get(reverse("admin:training_trainingsession_changelist"))
    assert changelist.status_code == 200
    c.post(
        reverse("admin:training_trainingsession_changelist"),
        {"action": "complete_sessions", "_selected_action": [session.pk]},
    )
    session.refresh_from_db()
    assert session.status == TrainingSession.Status.COMPLETED
    change = c.get(reverse("admin:training_trainingsession_change", args=[session.pk]))
    assert "attendance/" in change.content.decode()


def test_trainer_records_an_assessment_result_in_the_admin(client, org):
    assessment = AssessmentFactory(staff=org.agent_a)
    c = _client(client, org.trainer_a)
    response = c.post(
        reverse("admin:training_assessment_change", args=[assessment.pk]),
        {
            "score": "55",
            "taken_on": timezone.localdate().isoformat(),
            "notes": "待提高",
        },
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert (assessment.score, assessment.passed, assessment.assessor) == (
        Decimal("55.0"),
        False,
        org.trainer_a,
    )
    assert assessment.remedial_assignments.count() == 1


@pytest.mark.usefixtures("local_day_edge")  # also at 23:30 UTC = 07:30 CST
def test_trainer_issues_a_certification_and_lists_expiring_ones(client, org):
    c = _client(client, org.trainer_a)
    today = timezone.localdate()
    response = c.post(
        reverse("admin:training_certification_add"),
        {
            "staff": org.agent_a.pk,
            "qualification": "客户服务专员资格证",
            "number": "ZG-9",
            "issued_on": (today - timedelta(days=700)).isoformat(),
            "expires_on": (today + timedelta(days=20)).isoformat(),
        },
    )
    assert response.status_code == 302
    page = c.get(reverse("admin:training_certification_changelist"), {"expiring": "30"})
    assert [x.number for x in page.context["cl"].result_list] == ["ZG-9"]


def test_the_trainers_admin_speaks_chinese(client, org, session):
    c = _client(client, org.trainer_a)
    index = c.get(reverse("admin:index")).content.decode()
    assert "培训与考核" in index and "培训场次" in index and "员工培训档案" in index
    sheet = c.get(
        reverse("admin:training_trainingsession_attendance", args=[session.pk])
    ).content.decode()
    assert "登记出勤" in sheet and "已出勤" in sheet
    courses = c.get(reverse("admin:training_course_changelist")).content.decode()
    assert "课程编码" in courses


def test_trainer_enrols_staff_from_the_session_page_through_the_service(
    client, org, session
):
    session.capacity = 4
    session.save()
    c = _client(client, org.trainer_a)
    url = reverse("admin:training_trainingsession_change", args=[session.pk])
    page = c.get(url)
    prefixes = [fs.formset.prefix for fs in page.context["inline_admin_formsets"]]
    data = {
        "course": session.course.pk,
        "starts_at_0": timezone.localtime(session.starts_at).strftime("%Y-%m-%d"),
        "starts_at_1": timezone.localtime(session.starts_at).strftime("%H:%M:%S"),
        "ends_at_0": timezone.localtime(session.ends_at).strftime("%Y-%m-%d"),
        "ends_at_1": timezone.localtime(session.ends_at).strftime("%H:%M:%S"),
        "place": session.place,
        "capacity": "4",
    }
    listed, adding = prefixes
    existing = list(session.enrollments.order_by("pk"))
    data.update(
        {
            f"{listed}-TOTAL_FORMS": str(len(existing)),
            f"{listed}-INITIAL_FORMS": str(len(existing)),
            f"{listed}-MIN_NUM_FORMS": "0",
            f"{listed}-MAX_NUM_FORMS": "1000",
            f"{adding}-TOTAL_FORMS": "2",
            f"{adding}-INITIAL_FORMS": "0",
            f"{adding}-MIN_NUM_FORMS": "0",
            f"{adding}-MAX_NUM_FORMS": "1000",
            f"{adding}-0-staff": org.supervisor_a.pk,
            f"{adding}-1-staff": org.supervisor_b.pk,
        }
    )
    for i, e in enumerate(existing):
        data[f"{listed}-{i}-id"] = e.pk
        data[f"{listed}-{i}-session"] = session.pk
    before = set(session.enrollments.values_list("staff__username", flat=True))
    assert len(before) == 3
    # capacity 4: the fifth enrolment is refused, so the whole page is (nothing
    # saved, nothing logged) and comes back with the refusal
    response = c.post(url, data)
    assert response.status_code == 200
    assert any(
        "名额已满" in str(m) or "full" in str(m) for m in response.context["messages"]
    )
    assert set(session.enrollments.values_list("staff__username", flat=True)) == (
        before
    )
    assert not LogEntry.objects.filter(object_id=str(session.pk)).exists()
    # without the fifth, the fourth goes through the service
    data[f"{adding}-1-staff"] = ""
    response = c.post(url, data)
    assert response.status_code == 302
    enrolled = set(session.enrollments.values_list("staff__username", flat=True))
    assert enrolled == before | {"supervisor_a"}


@pytest.mark.parametrize(
    ("url_name", "factory"),
    [
        ("admin:training_trainingsession_changelist", "session"),
        ("admin:training_assessment_changelist", "assessment"),
        ("admin:training_certification_changelist", "certification"),
        ("admin:training_enrollment_changelist", "enrollment"),
        ("admin:training_trainingassignment_changelist", "assignment"),
        ("admin:training_course_changelist", "course"),
        ("admin:training_trainingevent_changelist", "event"),
    ],
)
def test_trainer_lists_cost_a_constant_number_of_queries(
    client, org, django_assert_max_num_queries, url_name, factory
):
    from tests.factories.training import TrainingAssignmentFactory

    def make(n):
        for _i in range(n):
            if factory == "session":
                s = TrainingSessionFactory()
                EnrollmentFactory(session=s, staff=org.agent_a)
            elif factory == "assessment":
                AssessmentFactory(staff=org.agent_a)
            elif factory == "certification":
                CertificationFactory(staff=org.agent_a)
            elif factory == "enrollment":
                EnrollmentFactory(staff=UserFactory())
            elif factory == "assignment":
                TrainingAssignmentFactory(staff=org.agent_b)
            elif factory == "event":
                s = TrainingSessionFactory()
                EnrollmentFactory(session=s, staff=org.agent_a)
                services.session_complete(actor=org.trainer_a, session=s)
            else:
                CourseFactory(target_roles=["agent", "supervisor"])

    c = _client(client, org.trainer_a)
    make(2)
    c.get(reverse(url_name))
    with django_assert_max_num_queries(12) as few:
        assert c.get(reverse(url_name)).status_code == 200
    make(15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = c.get(reverse(url_name))
    assert len(page.context["cl"].result_list) >= 17


def test_sessions_filter_for_the_trainers_day(client, org):
    now = timezone.now()
    # At local midnight: today's at any hour, and started (attendance to
    # record) — 00:30 had not started yet when CI ran at 00:25 in Shanghai.
    midnight = timezone.localtime(now).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    todays = TrainingSessionFactory(
        starts_at=midnight, ends_at=midnight + timedelta(hours=1)
    )
    upcoming = TrainingSessionFactory(
        starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=2)
    )
    c = _client(client, org.trainer_a)
    url = reverse("admin:training_trainingsession_changelist")
    assert list(c.get(url, {"when": "today"}).context["cl"].result_list) == [todays]
    assert list(c.get(url, {"when": "upcoming"}).context["cl"].result_list) == [
        upcoming
    ]
    assert todays in c.get(url, {"when": "to_record"}).context["cl"].result_list


def test_staff_page_hides_the_training_section_outside_the_record_scope(client, org):
    # QA inspectors may open every staff page, but training records are not theirs
    page = _client(client, org.qa_inspector_a).get(
        reverse("admin:crm_user_change", args=[org.agent_a.pk])
    )
    assert page.status_code == 200
    assert 'class="training-record"' not in page.content.decode()
    trainer = _client(client, org.trainer_b).get(
        reverse("admin:crm_user_change", args=[org.agent_a.pk])
    )
    assert 'class="training-record"' in trainer.content.decode()


def test_trainer_renews_a_certification_in_the_admin(client, org):
    today = timezone.localdate()
    cert = CertificationFactory(
        staff=org.agent_a,
        number="ZG-OLD",
        issued_on=today - timedelta(days=900),
        expires_on=today - timedelta(days=2),
        status="expired",
    )
    response = _client(client, org.trainer_a).post(
        reverse("admin:training_certification_change", args=[cert.pk]),
        {
            "staff": org.agent_a.pk,
            "qualification": cert.qualification,
            "number": "ZG-NEW",
            "issued_on": today.isoformat(),
            "expires_on": (today + timedelta(days=1095)).isoformat(),
        },
    )
    assert response.status_code == 302
    cert.refresh_from_db()
    assert (cert.status, cert.number) == ("valid", "ZG-NEW")


def _sheet(forms, **fields):
    data = {
        "form-TOTAL_FORMS": str(len(forms)),
        "form-INITIAL_FORMS": str(len(forms)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for i, form in enumerate(forms):
        data[f"form-{i}-staff_id"] = form.initial["staff_id"]
        data[f"form-{i}-status"] = "attended"
        data[f"form-{i}-hours"] = ""
    return data


def _todays_session(org, *, start_hour, end_hour, now):
    """A session today (Asia/Shanghai) from ``start_hour`` to ``end_hour``."""
    from datetime import datetime, time

    from django.utils import timezone

    day = timezone.localdate(now)
    starts = timezone.make_aware(datetime.combine(day, time(start_hour)))
    s = TrainingSessionFactory(
        course=CourseFactory(code="day", hours=Decimal("6")),
        starts_at=starts,
        ends_at=starts.replace(hour=end_hour),
    )
    for staff in (org.agent_a, org.agent_b):
        EnrollmentFactory(session=s, staff=staff)
    return s


def test_attendance_before_the_start_and_completing_only_after_the_end(client, org):
    import time_machine
    from django.utils import timezone

    # Given a session today 09:00–15:00, and it is 08:40 in Shanghai
    with time_machine.travel("2026-11-16 00:40:00+00:00", tick=False):
        day = _todays_session(org, start_hour=9, end_hour=15, now=timezone.now())
        c = _client(client, org.trainer_a)
        url = reverse("admin:training_trainingsession_attendance", args=[day.pk])
        page = c.get(url)
        # The sheet proposes "attended" and the completion box is not ticked
        forms = page.context["formset"].forms
        assert [f.initial["status"] for f in forms] == ["attended"] * 2
        assert not page.context["complete_form"]["complete"].value()
        # Recording before the start is accepted
        assert c.post(url, _sheet(forms)).status_code == 302
        assert Enrollment.objects.filter(session=day, status="attended").count() == 2
    # At 10:00 the session is planned, its status label is not a revisit word
    with time_machine.travel("2026-11-16 02:00:00+00:00", tick=False):
        forms = c.get(url).context["formset"].forms
        data = _sheet(forms, complete="on")
        data["form-0-status"] = "absent"
        response = c.post(url, data)
        # Completing before 15:00 is refused on the box, the typed rows kept
        assert response.status_code == 200
        assert "complete" in response.context["complete_form"].errors
        assert response.context["formset"].forms[0]["status"].value() == "absent"
        day.refresh_from_db()
        assert day.status == TrainingSession.Status.PLANNED
        html = c.get(
            reverse("admin:training_trainingsession_change", args=[day.pk])
        ).content.decode()
        assert "已计划" in html and "待回访" not in html


def test_all_present_button_marks_every_line_attended(client, org, session):
    c = _client(client, org.trainer_a)
    url = reverse("admin:training_trainingsession_attendance", args=[session.pk])
    forms = c.get(url).context["formset"].forms
    data = _sheet(forms, all_present="1")
    for i in range(len(forms)):
        data[f"form-{i}-status"] = "absent"
    assert c.post(url, data).status_code == 302
    statuses = set(
        Enrollment.objects.filter(session=session).values_list("status", flat=True)
    )
    assert statuses == {"attended"}
