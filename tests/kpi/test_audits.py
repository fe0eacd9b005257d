"""Service-standard audits (季度/半年度审核): the cadence opens one audit per
plan and period, the auditor works it through the services (role and scope
checked, nothing changed on a refusal), a major finding needs its CAPA before
the report, and the report page and its XLSX show exactly the audit's rows."""

import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from complaints.models import CorrectiveAction
from config.errors import IllegalTransition, InvalidInput, NotPermitted
from crm.models import Notification
from kpi.models import AuditFinding, AuditPlan, ServiceAudit
from kpi.services.audits import (
    audit_add_finding,
    audit_period,
    audit_raise_capa,
    audit_report,
    audit_start,
    audits_open_due,
)
from kpi.tasks import open_due_audits

pytestmark = pytest.mark.django_db

CHECKLIST = (
    "接听电话三声内应答\n使用标准问候语\n投诉 48 小时内答复客户\n服装整洁、工牌佩戴"
)
AS = ServiceAudit.Status


@pytest.fixture
def plan(org):
    return AuditPlan.objects.create(
        name="华东客服中心服务标准季度审核",
        department=org.dept_a,
        cadence=AuditPlan.Cadence.QUARTERLY,
        auditor=org.qa_inspector_a,
        checklist=CHECKLIST,
    )


@pytest.fixture
def audit(plan):
    audits_open_due(today=date(2026, 11, 20))
    return ServiceAudit.objects.get(plan=plan)


def test_periods_are_local_quarters_and_half_years():
    assert audit_period("quarterly", date(2026, 11, 20)) == (
        "2026-Q4",
        date(2026, 10, 1),
        date(2027, 1, 1),
    )
    assert audit_period("half_yearly", date(2026, 6, 30)) == (
        "2026-H1",
        date(2026, 1, 1),
        date(2026, 7, 1),
    )
    assert audit_period("half_yearly", date(2026, 7, 1))[0] == "2026-H2"


def test_the_cadence_opens_each_period_once_and_tells_the_auditor(org, plan):
    AuditPlan.objects.create(
        name="停用的计划",
        department=org.dept_a,
        auditor=org.qa_inspector_a,
        checklist=CHECKLIST,
        is_active=False,
    )
    half = AuditPlan.objects.create(
        name="华南半年度审核",
        department=org.dept_b,
        team=org.team_b,
        cadence=AuditPlan.Cadence.HALF_YEARLY,
        auditor=org.qa_inspector_b,
        checklist=CHECKLIST,
    )

    assert audits_open_due(today=date(2026, 10, 1)) == 2
    assert audits_open_due(today=date(2026, 11, 20)) == 0  # same periods
    assert audits_open_due(today=date(2027, 1, 1)) == 2  # 2027-Q1 and 2027-H1

    keys = sorted(ServiceAudit.objects.values_list("plan__name", "period_key"))
    assert keys == [
        ("华东客服中心服务标准季度审核", "2026-Q4"),
        ("华东客服中心服务标准季度审核", "2027-Q1"),
        ("华南半年度审核", "2026-H2"),
        ("华南半年度审核", "2027-H1"),
    ]
    q4 = ServiceAudit.objects.get(plan=plan, period_key="2026-Q4")
    assert (q4.department, q4.team, q4.auditor) == (
        org.dept_a,
        None,
        org.qa_inspector_a,
    )
    assert (q4.period_start, q4.period_end) == (date(2026, 10, 1), date(2027, 1, 1))
    assert ServiceAudit.objects.get(plan=half, period_key="2026-H2").team == org.team_b
    notes = Notification.objects.filter(kind="audit_opened")
    assert notes.count() == 4
    assert notes.filter(recipient=org.qa_inspector_a).count() == 2


@pytest.mark.usefixtures("local_day_edge")  # also at 23:30 UTC = 07:30 CST
def test_the_beat_task_opens_the_local_quarter(org, plan):
    open_due_audits()
    open_due_audits()
    today = timezone.localdate()
    audit = ServiceAudit.objects.get(plan=plan)
    assert audit.period_key == f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def test_an_audit_keeps_the_checklist_it_was_opened_with(plan, audit):
    plan.checklist = "全新的检查项"
    plan.save()
    audit.refresh_from_db()
    assert audit.checklist_items()[0] == "接听电话三声内应答"
    assert len(audit.checklist_items()) == 4


def test_the_audit_from_start_to_report(org, audit):
    qa, manager = org.qa_inspector_a, org.manager_a

    audit = audit_start(actor=qa, audit=audit, version=audit.version)
    minor = audit_add_finding(
        actor=qa,
        audit=audit,
        item="使用标准问候语",
        severity="minor",
        description="抽查 20 通电话，3 通未使用标准问候语",
    )
    major = audit_add_finding(
        actor=qa,
        audit=audit,
        item="投诉 48 小时内答复客户",
        severity="major",
        description="11 月有 4 件投诉超过 48 小时才答复",
    )
    # a major finding without its corrective action blocks the report
    with pytest.raises(InvalidInput) as refused:
        audit_report(actor=qa, audit=audit, summary="总体符合")
    assert refused.value.field == "summary"
    assert ServiceAudit.objects.get(pk=audit.pk).status == AS.IN_PROGRESS
    # QA inspectors do not create CAPAs; the department's manager does
    with pytest.raises(NotPermitted):
        audit_raise_capa(
            actor=qa,
            finding=major,
            owner=org.supervisor_a,
            due_date=timezone.localdate() + timedelta(days=30),
            action="主管每日检查待答复投诉",
        )
    capa = audit_raise_capa(
        actor=manager,
        finding=major,
        owner=org.supervisor_a,
        due_date=timezone.localdate() + timedelta(days=30),
        action="主管每日检查待答复投诉",
    )
    assert capa.owner == org.supervisor_a
    assert capa.title.startswith("审核 2026-Q4") and "48 小时" in capa.title
    assert capa.root_cause == "11 月有 4 件投诉超过 48 小时才答复"
    with pytest.raises(IllegalTransition):
        audit_raise_capa(
            actor=manager,
            finding=major,
            owner=org.supervisor_a,
            due_date=timezone.localdate() + timedelta(days=30),
            action="again",
        )

    reported = audit_report(actor=qa, audit=audit, summary="总体符合，答复时效需改进。")

    assert reported.status == AS.REPORTED and reported.reported_at is not None
    assert set(AuditFinding.objects.filter(audit=audit)) == {minor, major}
    assert AuditFinding.objects.get(pk=major.pk).capa == capa
    assert AuditFinding.objects.get(pk=minor.pk).capa is None
    assert CorrectiveAction.objects.count() == 1
    with pytest.raises(IllegalTransition):
        audit_add_finding(
            actor=qa,
            audit=reported,
            item="使用标准问候语",
            severity="minor",
            description="x",
        )


@pytest.mark.parametrize(
    "who",
    ["agent_a", "supervisor_a", "complaint_handler_a", "manager_b", "qa_inspector_b"],
)
def test_only_the_auditor_or_the_departments_manager_works_an_audit(org, audit, who):
    actor = getattr(org, who)
    with pytest.raises(NotPermitted):
        audit_start(actor=actor, audit=audit)
    assert ServiceAudit.objects.get(pk=audit.pk).status == AS.OPEN
    audit_start(actor=org.manager_a, audit=audit)  # the department's manager may
    with pytest.raises(NotPermitted):
        audit_add_finding(
            actor=actor,
            audit=audit,
            item="使用标准问候语",
            severity="minor",
            description="x",
        )
    assert not AuditFinding.objects.exists()


def test_findings_are_checked(org, audit):
    qa = org.qa_inspector_a
    with pytest.raises(IllegalTransition):  # not started yet
        audit_add_finding(
            actor=qa,
            audit=audit,
            item="使用标准问候语",
            severity="minor",
            description="x",
        )
    audit_start(actor=qa, audit=audit)
    for item, severity, description, field in (
        ("不在清单里的项", "minor", "x", "item"),
        ("使用标准问候语", "fatal", "x", "severity"),
        ("使用标准问候语", "minor", "  ", "description"),
    ):
        with pytest.raises(InvalidInput) as refused:
            audit_add_finding(
                actor=qa,
                audit=audit,
                item=item,
                severity=severity,
                description=description,
            )
        assert refused.value.field == field
    assert not AuditFinding.objects.exists()


def _worked(org, audit):
    qa = org.qa_inspector_a
    audit_start(actor=qa, audit=audit)
    finding = audit_add_finding(
        actor=qa,
        audit=audit,
        item="服装整洁、工牌佩戴",
        severity="critical",
        description='=HYPERLINK("http://x") 两名员工未佩戴工牌',
    )
    audit_raise_capa(
        actor=org.manager_a,
        finding=finding,
        owner=org.supervisor_a,
        due_date=timezone.localdate() + timedelta(days=14),
        action="晨会检查工牌",
    )
    return audit_report(actor=qa, audit=audit, summary="仪容仪表需整改。")


def test_report_page_and_xlsx(client, org, audit):
    _worked(org, audit)
    client.force_login(org.manager_a)
    url = f"/kpi/audits/{audit.pk}/"

    html = client.get(url).content.decode()
    assert "审核报告" in html and "仪容仪表需整改。" in html
    assert "不符合" in html and "符合" in html and "晨会检查工牌" not in html
    assert "两名员工未佩戴工牌" in html and "已出报告" in html

    response = client.get(url + "?format=xlsx")
    workbook = load_workbook(io.BytesIO(response.content))
    summary = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert summary[0][0] == "华东客服中心服务标准季度审核 · 2026-Q4 · 华东"
    items = {row[0]: row[1:] for row in summary[6:]}
    assert items["服装整洁、工牌佩戴"] == ("不符合", 1)
    assert items["使用标准问候语"] == ("符合", 0)
    findings = list(workbook.worksheets[1].iter_rows(values_only=True))
    assert findings[1][1] == "重大"
    assert findings[1][2].startswith("'=HYPERLINK")  # written as text, never run
    assert findings[1][4] == str(org.supervisor_a)


def test_report_page_is_scoped(client, org, audit):
    for user, status in (
        (org.manager_b, 404),
        (org.qa_inspector_b, 404),
        (org.agent_a, 404),
        (org.qa_inspector_a, 200),
        (org.admin, 200),
    ):
        client.force_login(user)
        assert client.get(f"/kpi/audits/{audit.pk}/").status_code == status, user


def test_report_page_query_count_does_not_grow_with_findings(client, org, audit):
    qa = org.qa_inspector_a
    audit_start(actor=qa, audit=audit)
    client.force_login(org.manager_a)
    url = f"/kpi/audits/{audit.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(8):
        finding = audit_add_finding(
            actor=qa,
            audit=audit,
            item="使用标准问候语",
            severity="major",
            description=f"#{n}",
        )
        audit_raise_capa(
            actor=org.manager_a,
            finding=finding,
            owner=org.supervisor_a,
            due_date=timezone.localdate() + timedelta(days=10),
            action="整改",
        )
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert "#7" in html
    assert len(many.captured_queries) <= len(few.captured_queries)


def test_admin_steps_run_the_services(client, org, audit):
    client.force_login(org.qa_inspector_a)
    step = f"/admin/kpi/serviceaudit/{audit.pk}/step/"
    page = client.get(f"/admin/kpi/serviceaudit/{audit.pk}/change/").content.decode()
    assert "开始审核" in page

    response = client.post(step, {"action": "start", "version": audit.version})
    assert response.status_code == 302
    audit.refresh_from_db()
    assert audit.status == AS.IN_PROGRESS

    # a finding against no item: refused on the form, nothing written
    response = client.post(
        step,
        {
            "action": "finding",
            "version": audit.version,
            "item": "",
            "severity": "minor",
        },
    )
    assert response.status_code == 200
    assert "请选择本次审核检查清单中的一项。" in response.content.decode()
    assert not AuditFinding.objects.exists()

    response = client.post(
        step,
        {
            "action": "finding",
            "version": audit.version,
            "item": "使用标准问候语",
            "severity": "minor",
            "description": "未使用标准问候语",
        },
    )
    assert response.status_code == 302
    assert AuditFinding.objects.get().recorded_by == org.qa_inspector_a
    # a stale version is refused
    response = client.post(
        step, {"action": "report", "version": audit.version, "summary": "好"}
    )
    assert response.status_code == 200
    assert ServiceAudit.objects.get(pk=audit.pk).status == AS.IN_PROGRESS


def test_plan_admin_checks_the_team_belongs_to_the_department(client, org):
    client.force_login(org.manager_a)
    response = client.post(
        "/admin/kpi/auditplan/add/",
        {
            "name": "错误的计划",
            "department": org.dept_a.pk,
            "team": org.team_b.pk,
            "cadence": "quarterly",
            "auditor": org.qa_inspector_a.pk,
            "checklist": CHECKLIST,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert not AuditPlan.objects.exists()
