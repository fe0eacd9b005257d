"""A complaint resolved with a refund / replacement opens one service order
in the resolving transaction, once per resolution cycle (issue 17)."""

from __future__ import annotations

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
    ("resolution_type", "kind"), [("replacement", "exchange"), ("refund", "return")]
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
