"""Return / exchange / warranty windows at their exact boundaries, by local
date (Asia/Shanghai), also at 23:30 UTC when the UTC date is a day behind."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftersales.models import ReturnPolicy, ServiceOrder, ServiceOrderEvent
from aftersales.services.policies import add_months
from config.errors import InvalidInput, NotPermitted
from tests.factories.aftersales import make_order

pytestmark = pytest.mark.usefixtures("local_day_edge")


@pytest.fixture
def policies(db):
    ReturnPolicy.objects.create(
        kind="return", window_days=7, description="7天无理由退货"
    )
    ReturnPolicy.objects.create(
        kind="exchange",
        window_days=15,
        quality_problem_required=True,
        description="15天质量问题换货",
    )
    ReturnPolicy.objects.create(kind="repair", warranty_months=12)
    # A category of its own: large appliances, 30 days.
    ReturnPolicy.objects.create(
        product_category="appliance", kind="return", window_days=30
    )


@pytest.mark.parametrize(
    ("kind", "days_ago", "accepted"),
    [
        ("return", 0, True),
        ("return", 7, True),
        ("return", 8, False),
        ("exchange", 15, True),
        ("exchange", 16, False),
    ],
)
def test_windows_at_their_last_day(
    org, policies, local_day_edge, kind, days_ago, accepted
):
    purchase = local_day_edge.local_date - timedelta(days=days_ago)
    if accepted:
        order = make_order(
            actor=org.agent_a, kind=kind, purchase_date=purchase, quality_problem=True
        )
        assert order.status == "requested"
    else:
        with pytest.raises(InvalidInput) as refused:
            make_order(
                actor=org.agent_a,
                kind=kind,
                purchase_date=purchase,
                quality_problem=True,
            )
        assert (refused.value.field, refused.value.code) == (
            "purchase_date",
            "policy_window",
        )
        last = (purchase + timedelta(days=days_ago - 1)).isoformat()
        assert last in refused.value.message
        assert not ServiceOrder.objects.exists()


def test_warranty_months_end_on_the_same_day_of_month(org, policies, local_day_edge):
    today = local_day_edge.local_date
    bought = add_months(today, -12)
    assert make_order(actor=org.agent_a, purchase_date=bought).kind == "repair"
    with pytest.raises(InvalidInput) as refused:
        make_order(actor=org.agent_a, purchase_date=bought - timedelta(days=1))
    assert refused.value.field == "purchase_date"


def test_a_category_of_its_own_wins_over_the_default(org, policies, local_day_edge):
    purchase = local_day_edge.local_date - timedelta(days=30)
    order = make_order(
        actor=org.agent_a,
        kind="return",
        product_category="appliance",
        purchase_date=purchase,
    )
    assert order.product_category == "appliance"
    with pytest.raises(InvalidInput):
        make_order(actor=org.agent_a, kind="return", purchase_date=purchase)


def test_an_exchange_needs_a_quality_problem(org, policies, local_day_edge):
    with pytest.raises(InvalidInput) as refused:
        make_order(
            actor=org.agent_a, kind="exchange", purchase_date=local_day_edge.local_date
        )
    assert refused.value.field == "quality_problem"


def test_a_future_purchase_date_is_refused(org, policies, local_day_edge):
    with pytest.raises(InvalidInput) as refused:
        make_order(
            actor=org.agent_a,
            kind="return",
            purchase_date=local_day_edge.local_date + timedelta(days=1),
        )
    assert refused.value.field == "purchase_date"


def test_a_supervisor_overrides_the_window_with_a_reason(org, policies, local_day_edge):
    late = local_day_edge.local_date - timedelta(days=8)
    with pytest.raises(NotPermitted):
        make_order(
            actor=org.agent_a,
            kind="return",
            purchase_date=late,
            override_reason="老客户",
        )
    order = make_order(
        actor=org.supervisor_a,
        kind="return",
        purchase_date=late,
        override_reason="VIP 客户，主管特批",
    )
    override = ServiceOrderEvent.objects.get(order=order, kind="policy_override")
    assert override.actor_id == org.supervisor_a.pk
    assert "主管特批" in override.note
    assert order.policy_override_reason == "VIP 客户，主管特批"


def test_installation_has_no_window(org, policies, local_day_edge):
    order = make_order(
        actor=org.agent_a,
        kind="installation",
        purchase_date=local_day_edge.local_date - timedelta(days=400),
    )
    assert order.due_date == local_day_edge.local_date + timedelta(days=3)
    assert order.reference.startswith(f"SH{local_day_edge.local_date:%Y%m%d}")
