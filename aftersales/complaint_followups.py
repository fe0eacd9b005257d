"""What aftersales does when a complaint is resolved (registered with
complaints' follow-up registry in ``AftersalesConfig.ready()``): a refund,
replacement or repair opens the matching service order in the resolving
transaction, one per resolution cycle."""

from __future__ import annotations

from aftersales.services.orders import order_create_for_complaint


def complaint_resolved(*, complaint, actor, **_moment) -> None:
    order_create_for_complaint(complaint=complaint, actor=actor)
