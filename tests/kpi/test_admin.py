"""The KPI admin: configuration, read-only snapshots, inspections through the service."""

import pytest

from kpi.models import QualityInspection
from kpi.services import kpi_compute_period
from tests.factories.complaints import make_complaint
from tests.factories.kpi import inspection, interaction, local, month


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    [
        "indicator",
        "scorecardtemplate",
        "kpiperiod",
        "kpiresult",
        "scorecardresult",
        "qualityinspection",
    ],
)
def test_changelists_render_in_chinese(admin_client, org, model):
    inspection(inspector=org.qa_inspector_a, staff=org.agent_a, at=local(2026, 11, 3))
    kpi_compute_period(actor=None, period=month(2026, 11), now=local(2026, 12, 1))
    response = admin_client.get(f"/admin/kpi/{model}/")
    assert response.status_code == 200
    assert "绩效考核" in response.content.decode()


@pytest.mark.django_db
def test_qa_inspector_records_an_inspection_in_the_admin(client, org):
    call = interaction(staff=org.agent_a, at=local(2026, 11, 3, 10))
    org.qa_inspector_a.is_staff = True
    org.qa_inspector_a.save(update_fields=["is_staff"])
    client.force_login(org.qa_inspector_a)
    data = {
        "interaction": str(call.pk),
        "staff": "",
        "inspected_at_0": "2026-11-04",
        "inspected_at_1": "10:00:00",
        "comments": "很好",
        **dict.fromkeys(QualityInspection.CHECKLIST, "9"),
    }
    response = client.post("/admin/kpi/qualityinspection/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = QualityInspection.objects.get()
    assert saved.staff == org.agent_a and saved.inspector == org.qa_inspector_a
    assert str(saved.total) == "90.00"


def _assigned_complaint(org, *, suffix="a"):
    from complaints.services import complaint_assign

    supervisor = getattr(org, f"supervisor_{suffix}")
    complaint = make_complaint(actor=supervisor)
    return complaint_assign(
        actor=supervisor, complaint=complaint, assignee=getattr(org, f"agent_{suffix}")
    )


def _qa_client(client, org):
    org.qa_inspector_a.is_staff = True
    org.qa_inspector_a.save(update_fields=["is_staff"])
    client.force_login(org.qa_inspector_a)
    return client


def _inspection_form(**fields):
    return {
        "interaction": "",
        "complaint": "",
        "staff": "",
        "inspected_at_0": "2026-11-04",
        "inspected_at_1": "10:00:00",
        "comments": "",
        **dict.fromkeys(QualityInspection.CHECKLIST, "8"),
        **fields,
    }


@pytest.mark.django_db
def test_inspection_change_page_opens_for_complaint_and_interaction(client, org):
    # Given an inspection of a call and one of a complaint
    by_call = inspection(
        inspector=org.qa_inspector_a, staff=org.agent_a, at=local(2026, 11, 3)
    )
    complaint = _assigned_complaint(org)
    _qa_client(client, org)
    client.post(
        "/admin/kpi/qualityinspection/add/",
        _inspection_form(complaint=complaint.reference),
    )
    by_complaint = QualityInspection.objects.get(complaint=complaint)
    # When the QA inspector opens each change page
    for row in (by_call, by_complaint):
        response = client.get(f"/admin/kpi/qualityinspection/{row.pk}/change/")
        # Then it is shown (read-only), never a 500
        assert response.status_code == 200
    assert complaint.reference in response.content.decode()


@pytest.mark.django_db
def test_inspection_add_form_takes_the_complaint_reference(client, org):
    complaint = _assigned_complaint(org)
    _qa_client(client, org)
    # The form shows the 0–10 scale on every checklist item
    page = client.get("/admin/kpi/qualityinspection/add/").content.decode()
    assert page.count('max="10"') == len(QualityInspection.CHECKLIST)
    assert "0 到 10" in page
    # Typed in lower case with spaces, the reference finds the complaint
    response = client.post(
        "/admin/kpi/qualityinspection/add/",
        _inspection_form(complaint=f" {complaint.reference.lower()} "),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = QualityInspection.objects.get()
    assert saved.complaint == complaint and saved.staff == org.agent_a
    assert str(saved.total) == "80.00"


@pytest.mark.django_db
def test_inspection_add_form_refuses_unknown_reference_and_score_90(client, org):
    other = _assigned_complaint(org, suffix="b")
    _qa_client(client, org)
    # A reference outside the inspector's scope is not found (no leak, no 500)
    response = client.post(
        "/admin/kpi/qualityinspection/add/",
        _inspection_form(complaint=other.reference),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "complaint" in errors
    # A score of 90 is a form error on that item
    mine = _assigned_complaint(org)
    response = client.post(
        "/admin/kpi/qualityinspection/add/",
        _inspection_form(complaint=mine.reference, tone="90"),
    )
    assert response.status_code == 200
    assert "tone" in response.context["adminform"].form.errors
    assert not QualityInspection.objects.exists()


@pytest.mark.django_db
def test_inspection_add_page_looks_up_the_complaint_once(client, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    complaint = _assigned_complaint(org)
    _qa_client(client, org)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(
            f"/admin/kpi/qualityinspection/add/?complaint={complaint.reference}"
        )
    assert page.status_code == 200
    lookups = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "complaints_complaint"' in q["sql"] and complaint.reference in q["sql"]
    ]
    assert len(lookups) == 1, lookups
