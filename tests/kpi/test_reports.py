"""The monthly reporting pack: the XLSX download (scoped like the dashboard, the
same figures as the snapshots) and the beat job e-mailing it (attached, through
the notification outbox) to each manager exactly once per month."""

import io
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from crm.models import Notification, NotificationAttachment
from crm.notification_emails import notification_emails_deliver
from kpi.models import KpiPeriod, KpiResult, SubjectType
from kpi.services import kpi_compute_period
from kpi.services.reports import kpi_send_monthly_reports
from kpi.tasks import send_monthly_reports
from tests.factories import UserFactory
from tests.factories.kpi import inspection, local, month

NOW = local(2026, 12, 5, 9, 0)
pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(org):
    qa = org.qa_inspector_a
    inspection(inspector=qa, staff=org.agent_a, at=local(2026, 10, 3, 10), score=6)
    inspection(inspector=qa, staff=org.agent_a, at=local(2026, 11, 3, 10), score=8)
    inspection(inspector=qa, staff=org.complaint_handler_a, at=local(2026, 11, 4, 10))
    inspection(
        inspector=org.qa_inspector_b, staff=org.agent_b, at=local(2026, 11, 3, 10)
    )
    for m in (10, 11):
        kpi_compute_period(actor=None, period=month(2026, m), now=NOW)
    return org


def _sheets(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    workbook = load_workbook(io.BytesIO(response.content))
    return {
        sheet.title: list(sheet.iter_rows(values_only=True))
        for sheet in workbook.worksheets
    }


def test_manager_downloads_the_pack_of_their_department(client, computed):
    org = computed
    client.force_login(org.manager_a)
    scope = f"department:{org.dept_a.pk}"

    response = client.get(f"/kpi/report/?period=2026-11&scope={scope}")

    assert "kpi-report-2026-11-department-" in response["Content-Disposition"]
    sheets = _sheets(response)
    assert list(sheets) == ["指标", "考核表", "投诉构成", "SLA 超时"]
    overview = sheets["指标"]
    assert overview[0][0] == f"{org.dept_a.name} · 2026-11"
    assert overview[1][:3] == ("指标", "单位", "实际值")
    assert overview[1][7] == "上期 (2026-10)"
    qa = next(row for row in overview[2:] if row[0] == "质检平均分")
    department = KpiResult.objects.get(
        period__key="2026-11",
        indicator__code="qa_score_avg",
        subject_type=SubjectType.DEPARTMENT,
        subject_id=org.dept_a.pk,
    )
    assert D(str(qa[2])) == department.value == D(90)  # (80 + 100) / 2
    assert (qa[3], qa[4]) == (
        float(department.numerator),
        float(department.denominator),
    )
    assert qa[7] == 60.0 and qa[8] == 30.0  # October 60 → +30
    names = {row[0] for row in sheets["考核表"][1:]}
    assert org.agent_a.name in names and org.agent_b.name not in names


def test_pack_refuses_other_scopes_and_other_roles(client, computed):
    org = computed
    client.force_login(org.manager_a)
    other = f"department:{org.dept_b.pk}"
    assert client.get(f"/kpi/report/?period=2026-11&scope={other}").status_code == 404
    assert client.get("/kpi/report/?period=2031-01").status_code == 404
    client.force_login(org.supervisor_a)
    team = _sheets(client.get("/kpi/report/?period=2026-11"))  # their team
    assert team["指标"][0][0] == f"{org.team_a.name} · 2026-11"
    client.force_login(org.agent_a)
    assert client.get("/kpi/report/?period=2026-11").status_code == 403


def test_pack_query_count_does_not_grow_with_staff(client, computed):
    org = computed
    client.force_login(org.manager_a)
    url = f"/kpi/report/?period=2026-11&scope=department:{org.dept_a.pk}"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for n in range(12):
        staff = UserFactory(username=f"more{n}", team=org.team_a, roles=["agent"])
        inspection(
            inspector=org.qa_inspector_a, staff=staff, at=local(2026, 11, 5), score=7
        )
    kpi_compute_period(actor=None, period=month(2026, 11), now=NOW)
    with CaptureQueriesContext(connection) as large:
        sheets = _sheets(client.get(url))
    assert len(large.captured_queries) <= len(small.captured_queries)
    assert staff.name in {row[0] for row in sheets["考核表"]}


def test_each_manager_gets_last_months_pack_once(computed):
    org = computed

    first = kpi_send_monthly_reports(today=date(2026, 12, 1))
    again = kpi_send_monthly_reports(today=date(2026, 12, 1))

    managers = {org.manager_a.pk, org.manager_b.pk}
    rows = Notification.objects.filter(kind="kpi_monthly_report")
    assert (first, again) == (2, 0)
    assert {n.recipient_id for n in rows} == managers
    note = rows.get(recipient=org.manager_a)
    assert note.key == f"kpi:report:2026-11:{org.manager_a.pk}"
    assert "2026-11" in note.title and org.dept_a.name in note.title
    assert note.link == f"/kpi/report/?period=2026-11&scope=department:{org.dept_a.pk}"
    assert "投诉解决率" in note.body
    assert note.email_status in (
        Notification.EmailStatus.PENDING,
        Notification.EmailStatus.SENT,
        Notification.EmailStatus.SKIPPED,
    )


def test_the_job_computes_last_month_when_the_night_did_not(org):
    assert not KpiPeriod.objects.filter(key="2026-10").exists()

    kpi_send_monthly_reports(today=date(2026, 11, 1))

    assert KpiPeriod.objects.get(key="2026-10").computed_at is not None
    assert (
        Notification.objects.filter(
            kind="kpi_monthly_report", key__startswith="kpi:report:2026-10:"
        ).count()
        == 2
    )


@pytest.mark.usefixtures("local_day_edge")  # also at 23:30 UTC = 07:30 CST
def test_the_beat_task_reports_the_local_last_month(org):
    send_monthly_reports()
    today = timezone.localdate()
    last = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert set(
        Notification.objects.filter(kind="kpi_monthly_report").values_list(
            "key", flat=True
        )
    ) == {
        f"kpi:report:{last}:{org.manager_a.pk}",
        f"kpi:report:{last}:{org.manager_b.pk}",
    }


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attached_pack(message):
    """The sheets of the one XLSX attached to ``message``."""
    (name, content, mimetype), *others = message.attachments
    assert not others and name.endswith(".xlsx") and mimetype == XLSX
    workbook = load_workbook(io.BytesIO(content))
    return name, {
        sheet.title: list(sheet.iter_rows(values_only=True))
        for sheet in workbook.worksheets
    }


def test_each_manager_is_mailed_their_departments_pack_once(computed, monkeypatch):
    org = computed
    monkeypatch.setattr("crm.notifications._enqueue_delivery", lambda: None)

    # When the monthly job runs and the outbox delivers, twice over
    kpi_send_monthly_reports(today=date(2026, 12, 1))
    notification_emails_deliver()
    kpi_send_monthly_reports(today=date(2026, 12, 1))
    notification_emails_deliver()

    # Then each manager got one e-mail, with the link and their pack attached
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [org.manager_a.email, org.manager_b.email]
    )
    message = next(m for m in mail.outbox if m.to == [org.manager_a.email])
    assert (
        f"/kpi/report/?period=2026-11&scope=department:{org.dept_a.pk}" in message.body
    )
    name, sheets = _attached_pack(message)
    assert name == f"kpi-report-2026-11-department-{org.dept_a.pk}.xlsx"
    overview = sheets["指标"]
    assert overview[0][0] == f"{org.dept_a.name} · 2026-11"
    qa = next(row for row in overview[2:] if row[0] == "质检平均分")
    assert D(str(qa[2])) == D(90)  # department A: (80 + 100) / 2
    names = {row[0] for row in sheets["考核表"][1:]}
    assert org.agent_a.name in names and org.agent_b.name not in names
    # manager B's pack holds department B's figures only
    _name, other = _attached_pack(
        next(m for m in mail.outbox if m.to == [org.manager_b.email])
    )
    assert other["指标"][0][0] == f"{org.dept_b.name} · 2026-11"
    assert org.agent_a.name not in {row[0] for row in other["考核表"][1:]}
    assert set(Notification.objects.values_list("email_status", "email_attempts")) == {
        ("sent", 1)
    }


def test_a_manager_without_an_address_gets_no_pack_built(computed, monkeypatch):
    org = computed
    monkeypatch.setattr("crm.notifications._enqueue_delivery", lambda: None)
    type(org.manager_b).objects.filter(pk=org.manager_b.pk).update(email="")

    assert kpi_send_monthly_reports(today=date(2026, 12, 1)) == 2

    note = Notification.objects.get(recipient=org.manager_b)
    assert note.email_status == Notification.EmailStatus.SKIPPED
    assert list(
        NotificationAttachment.objects.values_list("notification__recipient", flat=True)
    ) == [org.manager_a.pk]


def test_a_pack_over_the_size_cap_is_announced_with_its_link_only(
    computed, monkeypatch, settings
):
    monkeypatch.setattr("crm.notifications._enqueue_delivery", lambda: None)
    settings.KEFU_REPORT_ATTACHMENT_MAX_BYTES = 100  # any real workbook is larger

    assert kpi_send_monthly_reports(today=date(2026, 12, 1)) == 2
    notification_emails_deliver()

    assert not NotificationAttachment.objects.exists()
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert message.attachments == []
        assert "/kpi/report/?period=2026-11" in message.body
