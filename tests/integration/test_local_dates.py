"""Business dates are Asia/Shanghai dates, also when the UTC date differs.

Every test runs three times (``local_day_edge``): at local midday, at 23:30 UTC
(07:30 the next day in Shanghai) and at 23:30 UTC on 31 December (07:30 on New
Year's Day). Code that takes ``now().date()``, ``date.today()`` in UTC or UTC
midnights passes the first run and fails the other two.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from complaints import services as complaint_services
from complaints.models import CorrectiveAction, SlaTarget
from config.errors import InvalidInput
from crm.selectors import revisits_due_today
from kpi.tasks import compute_snapshots
from tests.factories import UserFactory
from tests.factories.complaints import make_complaint
from tests.factories.crm import CustomerFactory, RevisitFactory
from tests.factories.training import (
    CertificationFactory,
    EnrollmentFactory,
    TrainingRequirementFactory,
    TrainingSessionFactory,
)
from training import services as training_services
from training.models import Certification
from training.selectors import training_record_for

pytestmark = pytest.mark.django_db


def local(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def test_the_clock_is_where_the_edge_says(local_day_edge):
    assert timezone.localdate() == local_day_edge.local_date
    assert timezone.now().date() != local_day_edge.local_date or (
        local_day_edge.name == "cst-midday"
    )


# ------------------------------------------------------------------ CAPA


def _capa(org, due_date):
    return complaint_services.capa_create(
        actor=org.supervisor_a,
        title="派送员服务礼仪整改",
        root_cause="未经培训上岗",
        action="全员培训",
        owner=org.complaint_handler_a,
        due_date=due_date,
    )


def test_capa_due_yesterday_is_refused_and_due_today_accepted(local_day_edge, org):
    today = local_day_edge.local_date

    with pytest.raises(InvalidInput) as exc:
        _capa(org, today - timedelta(days=1))
    capa = _capa(org, today)

    assert exc.value.field == "due_date"
    assert CorrectiveAction.objects.get().pk == capa.pk
    assert capa.due_date == today


# -------------------------------------------------------------- revisits


def test_revisits_due_today_end_at_local_midnight(local_day_edge, org, client):
    today = local_day_edge.local_date
    tomorrow = today + timedelta(days=1)
    agent = org.relations_specialist_a
    tonight = RevisitFactory(
        customer=CustomerFactory(department=org.dept_a),
        assignee=agent,
        due_at=local(today, 23, 0),
    )
    RevisitFactory(
        customer=CustomerFactory(department=org.dept_a),
        assignee=agent,
        due_at=local(tomorrow, 0, 30),
    )

    assert list(revisits_due_today(user=agent)) == [tonight]
    client.force_login(agent)
    response = client.get("/admin/crm/revisit/", {"due": "mine_today"})
    assert list(response.context["cl"].result_list) == [tonight]


# -------------------------------------------------------------- training


def test_training_hours_count_in_the_local_year(local_day_edge, org):
    TrainingRequirementFactory(role="agent", yearly_hours=Decimal("80"))
    started = timezone.now() - timedelta(hours=1)  # local_date, 06:30 or 11:00
    session = TrainingSessionFactory(
        starts_at=started, ends_at=started + timedelta(minutes=30)
    )
    EnrollmentFactory(
        session=session,
        staff=org.agent_a,
        status="attended",
        attended_hours=Decimal("3.5"),
    )

    record = training_record_for(staff=org.agent_a)

    assert record["year"] == local_day_edge.local_date.year
    assert record["hours"] == Decimal("3.5")


def test_certification_expires_after_its_local_last_day(local_day_edge, org):
    today = local_day_edge.local_date
    last_day_today = CertificationFactory(staff=org.agent_a, expires_on=today)
    ended_yesterday = CertificationFactory(
        staff=org.agent_b, expires_on=today - timedelta(days=1)
    )

    training_services.certification_sweep()

    last_day_today.refresh_from_db()
    ended_yesterday.refresh_from_db()
    assert last_day_today.status == Certification.Status.VALID
    assert ended_yesterday.status == Certification.Status.EXPIRED


# ------------------------------------------------------------------- KPI


def test_nightly_kpi_job_computes_the_local_month(local_day_edge, db):
    today = local_day_edge.local_date
    previous = today.replace(day=1) - timedelta(days=1)

    keys = compute_snapshots()

    assert keys[:2] == [today.strftime("%Y-%m"), previous.strftime("%Y-%m")]
    assert str(today.year) in keys
    assert f"{today.year}-Q{(today.month - 1) // 3 + 1}" in keys


def test_kpi_dashboard_offers_the_local_month(local_day_edge, org, client):
    client.force_login(org.manager_a)

    response = client.get("/kpi/")

    assert response.status_code == 200
    assert response.context["today_key"] == local_day_edge.local_date.strftime("%Y-%m")


# ------------------------------------------------------------------- SLA

# First response of a standard complaint: 30 business minutes on the standard
# calendar (09:00-12:00, 13:30-18:00 on working days; 1-3 January 2027 are a
# holiday, so New Year's morning counts from Monday 4 January).
FIRST_RESPONSE_DUE = {
    "cst-midday": (2026, 6, 16, 14, 0),
    "utc-2330": (2026, 6, 16, 9, 30),
    "utc-2330-new-year": (2027, 1, 4, 9, 30),
}


def test_a_complaint_received_now_gets_the_local_date_and_business_due_time(
    local_day_edge, org
):
    complaint = make_complaint(actor=org.agent_a)

    assert complaint.reference.startswith(
        "TS" + local_day_edge.local_date.strftime("%Y%m%d")
    )
    due = SlaTarget.objects.get(complaint=complaint, kind="first_response").due_at
    assert timezone.localtime(due) == timezone.make_aware(
        datetime(*FIRST_RESPONSE_DUE[local_day_edge.name])
    )


def test_staff_created_today_are_in_todays_records(local_day_edge):
    """A sanity check of the fixture itself: factories see the travelled clock."""
    user = UserFactory()
    assert timezone.localdate(user.date_joined) == local_day_edge.local_date


def test_database_date_functions_use_the_local_day(local_day_edge, org):
    """``__date`` lookups and Trunc* (the admin's date_hierarchy) convert to the
    current time zone on SQLite and PostgreSQL alike, so they may be used."""
    from django.db.models.functions import TruncDate, TruncMonth

    from crm.models import Revisit

    revisit = RevisitFactory(due_at=timezone.now())
    row = Revisit.objects.annotate(
        day=TruncDate("due_at"), month=TruncMonth("due_at")
    ).get(pk=revisit.pk)

    assert row.day == local_day_edge.local_date
    assert timezone.localtime(row.month).date() == local_day_edge.local_date.replace(
        day=1
    )
    assert Revisit.objects.filter(due_at__date=local_day_edge.local_date).exists()
