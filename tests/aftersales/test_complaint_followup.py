"""A complaint resolved with a refund / replacement / repair opens one service
order in the resolving transaction, once per resolution cycle (issue 17)."""

from __future__ import annotations

import re

import pytest

from aftersales.complaint_followups import complaint_resolved
from aftersales.models import ServiceOrder
from aftersales.services import order_create_for_complaint
from complaints.services import followups
from tests.factories.complaints import make_complaint, walk


def _resolve(org, resolution_type):
    from complaints import services as cs

    complaint = walk(make_complaint(actor=org.agent_a), "replied", actor=org.admin)
    return cs.complaint_resolve(
        actor=org.supervisor_a,
        complaint=complaint,
        resolution_type=resolution_type,
        resolution_summary="为客户更换新机",
    )


def test_the_handler_is_registered_at_resolution():
    assert (
        "aftersales.complaint_followups.complaint_resolved"
        in followups.registered()["resolved"]
    )
    assert complaint_resolved


@pytest.mark.parametrize(
    ("resolution_type", "kind"),
    [("replacement", "exchange"), ("refund", "return"), ("repair", "repair")],
)
def test_resolution_opens_the_matching_order(org, resolution_type, kind):
    complaint = _resolve(org, resolution_type)
    order = ServiceOrder.objects.get(complaint=complaint)
    assert (order.kind, order.complaint_cycle, order.status) == (kind, 1, "requested")
    assert (order.customer_id, order.department_id, order.team_id) == (
        complaint.customer_id,
        complaint.department_id,
        complaint.team_id,
    )
    assert order.reason == "为客户更换新机"


def test_a_retry_gives_the_same_single_order(org):
    complaint = _resolve(org, "replacement")
    first = ServiceOrder.objects.get(complaint=complaint)
    for _ in range(3):
        again = order_create_for_complaint(complaint=complaint, actor=org.admin)
        assert again.pk == first.pk
        complaint_resolved(complaint=complaint, actor=org.admin)
    assert ServiceOrder.objects.filter(complaint=complaint).count() == 1


def test_other_resolutions_open_nothing(org):
    complaint = _resolve(org, "apology")
    assert not ServiceOrder.objects.filter(complaint=complaint).exists()


def test_a_failed_resolution_leaves_no_order(org, monkeypatch):
    from complaints import services as cs
    from config.errors import NotPermitted

    complaint = walk(make_complaint(actor=org.agent_a), "replied", actor=org.admin)
    with pytest.raises(NotPermitted):
        cs.complaint_resolve(
            actor=org.agent_a, complaint=complaint, resolution_type="replacement"
        )
    assert not ServiceOrder.objects.exists()


# --- repair (issue 17 part 2) -------------------------------------------------------


def test_repair_is_a_resolution_type_of_complaints():
    from complaints.models import Complaint

    assert Complaint.ResolutionType.REPAIR == "repair"
    assert str(Complaint.ResolutionType.REPAIR.label) == "维修"  # zh by default


def test_resolving_with_repair_opens_a_repair_order_in_the_same_transaction(org):
    complaint = _resolve(org, "repair")

    order = ServiceOrder.objects.get(complaint=complaint)
    assert (order.kind, order.status, order.complaint_cycle) == (
        "repair",
        "requested",
        1,
    )
    assert order.owner_id == complaint.assignee_id
    assert order.reason == "为客户更换新机"
    event = order.events.get()
    assert (event.kind, event.to_status, event.customer_visible) == (
        "created",
        "requested",
        True,
    )
    assert complaint.reference in event.note


def test_a_failing_follow_up_rolls_the_repair_resolution_back(org, monkeypatch):
    """Same transaction: if opening the order fails, the complaint is not
    resolved either."""
    from aftersales.services import orders
    from complaints import services as cs

    complaint = walk(make_complaint(actor=org.agent_a), "replied", actor=org.admin)

    def broken(**_kwargs):
        raise RuntimeError("reference counter unavailable")

    monkeypatch.setattr(orders, "reference_next", broken)
    with pytest.raises(RuntimeError):
        cs.complaint_resolve(
            actor=org.supervisor_a, complaint=complaint, resolution_type="repair"
        )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.resolution_type) == ("replied", "")
    assert not ServiceOrder.objects.exists()


def test_retrying_a_repair_resolution_gives_exactly_one_order(org, staff_client):
    """The resolve request sent twice (a client retry): the second is a 409 and
    the order stays single; the follow-up run again returns the same order."""
    complaint = walk(make_complaint(actor=org.agent_a), "replied", actor=org.admin)
    client = staff_client(org.supervisor_a)
    url = f"/api/v1/complaints/{complaint.reference}/resolve/"
    body = {"resolution_type": "repair", "resolution_summary": "上门维修"}

    first = client.post(url, body, format="json")
    again = client.post(url, body, format="json")

    assert first.status_code == 200
    assert first.json()["resolution_type"] == "repair"
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_transition"
    order = ServiceOrder.objects.get(complaint=complaint)
    complaint.refresh_from_db()
    for _ in range(3):
        assert order_create_for_complaint(complaint=complaint, actor=None) == order
        complaint_resolved(complaint=complaint, actor=org.supervisor_a)
    assert list(
        ServiceOrder.objects.filter(complaint=complaint).values_list(
            "kind", "complaint_cycle"
        )
    ) == [("repair", 1)]


def test_a_reopened_complaint_resolved_with_repair_again_opens_its_second_order(
    org,
):
    from complaints import services as cs

    complaint = _resolve(org, "repair")
    complaint = cs.complaint_reopen(
        actor=org.supervisor_a, complaint=complaint, reason="客户反映仍无法开机"
    )
    complaint = cs.complaint_start_handling(actor=org.supervisor_a, complaint=complaint)
    complaint = cs.complaint_reply(
        actor=org.supervisor_a,
        complaint=complaint,
        body="感谢您的耐心，已安排工程师再次上门，我们会再次与您联系确认。",
    )
    complaint = cs.complaint_resolve(
        actor=org.supervisor_a,
        complaint=complaint,
        resolution_type="repair",
        resolution_summary="再次维修",
    )
    order_create_for_complaint(complaint=complaint, actor=None)  # a retry

    orders = ServiceOrder.objects.filter(complaint=complaint).order_by(
        "complaint_cycle"
    )
    assert [(o.kind, o.complaint_cycle, o.reason) for o in orders] == [
        ("repair", 1, "为客户更换新机"),
        ("repair", 2, "再次维修"),
    ]


def test_the_complaint_page_lists_its_service_orders(org, client):
    complaint = _resolve(org, "replacement")
    order = ServiceOrder.objects.get(complaint=complaint)
    url = f"/admin/complaints/complaint/{complaint.pk}/change/"
    link = f"/admin/aftersales/serviceorder/{order.pk}/change/"

    client.force_login(org.supervisor_a)
    html = client.get(url).content.decode()
    assert "本投诉的售后服务单" in html
    assert link in html and order.reference in html

    # the agent who received it works after-sales orders too
    client.force_login(org.agent_a)
    assert link in client.get(url).content.decode()

    # a reader without the after-sales view permission (QA) sees no panel
    client.force_login(org.qa_inspector_a)
    response = client.get(url)
    assert response.status_code == 200
    assert link not in response.content.decode()
    assert order.reference not in response.content.decode()

    # a complaint that opened no order shows an empty panel
    other = make_complaint(actor=org.agent_a)
    client.force_login(org.supervisor_a)
    html = client.get(
        f"/admin/complaints/complaint/{other.pk}/change/"
    ).content.decode()
    assert "本投诉的售后服务单" in html
    assert not re.search(r"/admin/aftersales/serviceorder/\d+/change/", html)
