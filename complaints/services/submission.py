"""A complaint submitted with its customer named by identifiers (API intake).

``POST /api/v1/complaints/`` names the customer by name, phone, e-mail and the
caller's own id rather than by a Kefu customer number: the customer is found or
created (``crm.services.customer_upsert``) and the complaint received for it
(``complaint_receive``), both or neither.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from complaints.models import Complaint
from complaints.services.intake import complaint_receive
from config.errors import DomainError
from crm.services import customer_upsert


@transaction.atomic
def complaint_submit(
    *,
    actor,
    partner=None,
    customer: dict,
    channel: str,
    category: str,
    subject: str,
    description: str,
    subcategory: str = "",
    severity: str = "",
    order_number: str = "",
    occurred_at: datetime | None = None,
    desired_resolution: str = "",
) -> Complaint:
    """Find or create the customer (``customer``: ``name``, ``phone``, ``email``,
    ``external_id``) and receive the complaint for it, in one transaction.

    A partner's complaint (``partner`` set, ``actor`` None) only ever finds the
    partner's own customers, else creates one of its own; a staff ``actor``'s is
    attached to the one in-house record of that person even outside their scope,
    without changing it (found by the caller's identifiers, not chosen by id).
    A refusal about the customer names its field ``customer.<field>``; nothing is
    written then.
    """
    try:
        found, _created = customer_upsert(
            actor=actor, partner=partner, attach_outside_scope=True, **customer
        )
    except DomainError as exc:
        if exc.field:
            exc.field = f"customer.{exc.field}"
        raise
    return complaint_receive(
        actor=actor,
        customer=found,
        source_partner=partner,
        attach_outside_scope=True,
        channel=channel,
        category=category,
        subcategory=subcategory or None,
        severity=severity or None,
        subject=subject,
        description=description,
        order_number=order_number or "",
        occurred_at=occurred_at,
        desired_resolution=desired_resolution or "",
    )


__all__ = ["complaint_submit"]
