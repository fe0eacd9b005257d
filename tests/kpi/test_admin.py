"""The KPI admin: configuration, read-only snapshots, inspections through the service."""

import pytest

from kpi.models import QualityInspection
from kpi.services import kpi_compute_period
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
