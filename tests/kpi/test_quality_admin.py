"""The 质检 admin pages: a manager's edit of a used checklist saves the next
version (with its items inline), the inspection form scores the chosen
checklist's items (on site: no record needed), and the inspector's queue links
each pending sample to the inspection form."""

from datetime import date
from decimal import Decimal

import pytest

from kpi.models import Checklist, InspectionSample, QualityInspection, SamplingPlan
from kpi.services.checklists import checklist_active
from tests.factories.complaints import make_complaint
from tests.factories.kpi import inspection, local

pytestmark = pytest.mark.django_db


def _login(client, user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    return client


def _checklist_post(checklist, **changes):
    items = list(checklist.items.order_by("position"))
    data = {
        "kind": checklist.kind,
        "name": checklist.name,
        "pass_mark": str(checklist.pass_mark),
        "is_active": "on",
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": str(len(items)),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for n, item in enumerate(items):
        data.update(
            {
                f"items-{n}-id": str(item.pk),
                f"items-{n}-checklist": str(checklist.pk),
                f"items-{n}-position": str(item.position),
                f"items-{n}-code": item.code,
                f"items-{n}-label": item.label,
                f"items-{n}-weight": str(item.weight),
                f"items-{n}-max_score": str(item.max_score),
                f"items-{n}-pass_mark": str(item.pass_mark),
            }
        )
    data.update(changes)
    return data


def test_a_manager_edit_of_a_used_checklist_saves_version_2(client, org):
    v1 = checklist_active(code="call")
    old = inspection(
        inspector=org.qa_inspector_a, staff=org.agent_a, at=local(2026, 11, 3)
    )
    _login(client, org.manager_a)
    page = client.get(f"/admin/kpi/checklist/{v1.pk}/change/").content.decode()
    assert "礼貌用语" in page and "检查项" in page
    response = client.post(
        f"/admin/kpi/checklist/{v1.pk}/change/",
        _checklist_post(
            v1, **{"items-1-label": "表达清晰准确", "items-1-pass_mark": "70"}
        ),
        follow=True,
    )
    assert response.status_code == 200
    v2 = Checklist.objects.get(code="call", version=2)
    assert v2.is_active and not Checklist.objects.get(pk=v1.pk).is_active
    assert list(v2.items.order_by("position").values_list("label", "pass_mark"))[1] == (
        "表达清晰准确",
        Decimal("70.00"),
    )
    assert "已保存为版本 2" in response.content.decode()
    old.refresh_from_db()
    assert old.checklist_id == v1.pk
    assert v1.items.get(position=2).label == "表达清晰"


def test_the_inspection_form_scores_the_onsite_checklist(client, org):
    onsite = checklist_active(kind="onsite")
    _login(client, org.qa_inspector_a)
    page = client.get(f"/admin/kpi/qualityinspection/add/?checklist={onsite.pk}")
    html = page.content.decode()
    assert all(label in html for label in ("服装整洁度", "服务现场环境", "达到 95%"))
    assert "礼貌用语" not in html
    response = client.post(
        f"/admin/kpi/qualityinspection/add/?checklist={onsite.pk}",
        {
            "checklist": str(onsite.pk),
            "complaint": "",
            "interaction": "",
            "staff": str(org.agent_a.pk),
            "inspected_at_0": "2026-11-04",
            "inspected_at_1": "10:00:00",
            "comments": "工牌未佩戴",
            "attire": "96",
            "appearance": "88",
            "environment": "90",
            "conduct": "95",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = QualityInspection.objects.get()
    assert (saved.checklist, saved.staff, saved.total, saved.passed) == (
        onsite,
        org.agent_a,
        Decimal("92.25"),
        False,
    )
    detail = client.get(f"/admin/kpi/qualityinspection/{saved.pk}/change/")
    assert "服务人员形象" in detail.content.decode()


def test_the_queue_links_a_pending_sample_to_the_inspection_form(client, org):
    complaint = make_complaint(actor=org.supervisor_a)
    plan = SamplingPlan.objects.create(
        name="抽检", team=org.team_a, checklist=checklist_active(code="call")
    )
    InspectionSample.objects.create(
        plan=plan,
        period_key="2026-11",
        period_start=date(2026, 11, 1),
        complaint=complaint,
        staff=org.agent_a,
        team=org.team_a,
        inspector=org.qa_inspector_a,
        drawn_on=date(2026, 11, 21),
    )
    _login(client, org.qa_inspector_a)
    html = client.get("/admin/kpi/inspectionsample/?pending=1").content.decode()
    assert f"/admin/kpi/qualityinspection/add/?complaint={complaint.reference}" in html
    assert "录入质检" in html


def test_the_call_form_shows_plain_pass_marks_and_no_verdict_before_saving(client, org):
    _login(client, org.qa_inspector_a)
    html = client.get("/admin/kpi/qualityinspection/add/").content.decode()
    assert "礼貌用语" in html
    assert "达到 60%" in html and "E+" not in html  # not "6E+1%"
    # no total or "passed" before any score is saved
    assert "field-passed" not in html and "field-total" not in html
