"""Closing a service-quality or process complaint attributed to a staff error
or the process needs its root cause (改进): a clear error naming the field,
nothing changed; given on closing, it is stored."""

import pytest

from complaints import services as s
from complaints.models import Complaint
from config.errors import InvalidInput
from tests.factories.complaints import make_complaint, walk

pytestmark = pytest.mark.django_db


def _resolved(org, category, cause_type):
    complaint = make_complaint(actor=org.agent_a, category=category)
    complaint = walk(complaint, "handling", actor=org.supervisor_a)
    Complaint.objects.filter(pk=complaint.pk).update(cause_type=cause_type)
    complaint = s.complaint_reply(
        actor=org.supervisor_a,
        complaint=complaint,
        body="您好，感谢您的反馈，已向您致歉，我们会回访确认。",
    )
    return s.complaint_resolve(
        actor=org.supervisor_a, complaint=complaint, resolution_type="apology"
    )


@pytest.mark.parametrize("category", ["service_quality", "process"])
@pytest.mark.parametrize("cause_type", ["staff_error", "process"])
def test_closing_without_a_root_cause_is_refused(org, category, cause_type):
    complaint = _resolved(org, category, cause_type)
    before = Complaint.objects.filter(pk=complaint.pk).values().get()
    with pytest.raises(InvalidInput) as refused:
        s.complaint_close(actor=org.supervisor_a, complaint=complaint, root_cause="  ")
    assert refused.value.field == "root_cause"
    assert "root_cause" in str(refused.value.message) or "根本原因" in str(
        refused.value.message
    )
    assert Complaint.objects.filter(pk=complaint.pk).values().get() == before

    closed = s.complaint_close(
        actor=org.supervisor_a, complaint=complaint, root_cause=" 派送员未经培训 "
    )
    row = Complaint.objects.get(pk=complaint.pk)
    assert closed.status == row.status == "closed"
    assert row.root_cause == "派送员未经培训"


@pytest.mark.parametrize(
    ("category", "cause_type"),
    [
        ("attitude", "staff_error"),
        ("product", "process"),
        ("service_quality", "system_fault"),
        ("process", "customer_misunderstanding"),
        ("service_quality", ""),
    ],
)
def test_other_complaints_close_without_one(org, category, cause_type):
    complaint = _resolved(org, category, cause_type)
    closed = s.complaint_close(actor=org.supervisor_a, complaint=complaint)
    assert closed.status == "closed" and closed.root_cause == ""


def test_a_root_cause_recorded_before_is_enough(org):
    complaint = _resolved(org, "process", "process")
    Complaint.objects.filter(pk=complaint.pk).update(root_cause="分拣流程缺少复核")
    complaint.refresh_from_db()
    assert (
        s.complaint_close(actor=org.supervisor_a, complaint=complaint).status
        == "closed"
    )


def test_the_api_and_the_workflow_panel_take_the_root_cause(org, client):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(org.supervisor_a)
    complaint = _resolved(org, "service_quality", "staff_error")
    url = f"/api/v1/complaints/{complaint.reference}/close/"
    refused = api.post(url, {"note": "结案"}, format="json")
    assert refused.status_code == 400
    assert "root_cause" in refused.json()["errors"]
    done = api.post(url, {"note": "结案", "root_cause": "未培训"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "closed"
    assert Complaint.objects.get(pk=complaint.pk).root_cause == "未培训"
