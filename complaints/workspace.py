"""What the complaint workspace shows beside the record: the header (reference,
status, severity, the next SLA due time with a live countdown, assignee) and the
customer 360 (tier, contact details masked per role, earlier complaints with
their outcomes, open revisits, recent interactions, surveys).

Reads only, each list through a selector that starts from ``crm.scoping`` and
capped (``LIMIT_360``), so the page costs the same number of queries whatever
the customer's history. The admin's change page and workflow panel compose it
(``complaints.admin.complaint``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from complaints import selectors
from complaints.models import Complaint
from complaints.models.complaint import SLA_CLOCK_FIELDS
from crm import selectors as crm_selectors
from crm.models import Revisit

# (due field, met field, the clock's name) in the order the clocks run: the
# model's clock fields (those ``Complaint.next_due_at`` is computed from), named.
SLA_CLOCKS = tuple(
    (due, met, name)
    for (due, met), name in zip(
        SLA_CLOCK_FIELDS,
        (
            _("first response"),
            _("analysis"),
            _("reply"),
            _("resolution"),
            _("confirmation"),
        ),
        strict=True,
    )
)
# How many rows each list of the customer 360 shows at most.
LIMIT_360 = 5
CLOSED = (Complaint.Status.CLOSED, Complaint.Status.REJECTED)


@dataclass(frozen=True)
class NextDue:
    """The running clock that falls due first."""

    clock: object  # the clock's (lazy) name
    due: datetime
    overdue: bool


def next_due(complaint: Complaint, *, now: datetime) -> NextDue | None:
    """The earliest unmet due time of the complaint's clocks; None when no
    clock runs (closed, rejected or every target met)."""
    if complaint.status in CLOSED:
        return None
    found = None
    for due_field, met_field, name in SLA_CLOCKS:
        due = getattr(complaint, due_field)
        if due is None or getattr(complaint, met_field) is not None:
            continue
        if found is None or due < found[1]:
            found = (name, due)
    if found is None:
        return None
    return NextDue(clock=found[0], due=found[1], overdue=found[1] < now)


def header(complaint: Complaint, *, now: datetime) -> dict:
    """The workspace header of ``complaint`` (already loaded with its assignee
    and team: no query)."""
    return {
        "complaint": complaint,
        "next_due": next_due(complaint, now=now),
        "paused": complaint.sla_paused or complaint.status == Complaint.Status.ON_HOLD,
        "breached": complaint.sla_breached,
    }


def customer_360(*, user, complaint: Complaint) -> dict:
    """The customer beside the complaint, as ``user`` may see them: the
    customer (None when out of the user's reach: then only the lists below,
    each scoped), their identifiers unmasked only for roles that work with
    personal data (``personal``: the caller logs that view), and the latest
    LIMIT_360 of: earlier complaints with their outcomes (and how many there
    are), open revisits, interactions, answered surveys. Six queries whatever
    the history."""
    customer_id = complaint.customer_id
    customer = (
        crm_selectors.customer_list(user=user)
        .select_related(None)
        .filter(pk=customer_id)
        .first()
    )
    personal = customer is not None and crm_selectors.sees_personal_data(user)
    contact = {}
    if customer is not None:
        contact = {
            "phone": customer.phone if personal else customer.phone_masked,
            "email": customer.email if personal else customer.email_masked,
        }
    earlier = (
        selectors.complaint_list(user=user)
        .select_related(None)
        .filter(customer_id=customer_id)
        .exclude(pk=complaint.pk)
    )
    return {
        "customer": customer,
        "name": customer.name if customer is not None else complaint.customer.name,
        "personal": personal,
        "contact": contact,
        "earlier_count": earlier.count(),
        "earlier": list(
            earlier.only(
                "id",
                "reference",
                "subject",
                "status",
                "resolution_type",
                "received_at",
                "resolved_at",
            ).order_by("-received_at")[:LIMIT_360]
        ),
        "revisits": list(
            crm_selectors.revisit_list(user=user)
            .select_related(None)
            .select_related("assignee")
            .filter(customer_id=customer_id, status=Revisit.Status.PLANNED)
            .order_by("due_at")[:LIMIT_360]
        ),
        "interactions": list(
            crm_selectors.interaction_list(user=user)
            .select_related(None)
            .select_related("staff")
            .filter(customer_id=customer_id)
            .order_by("-occurred_at")[:LIMIT_360]
        ),
        "surveys": list(
            selectors.satisfaction_survey_list(user=user)
            .select_related(None)
            .select_related("complaint")
            .only(
                "id",
                "csat",
                "nps",
                "comment",
                "answered_at",
                "complaint__id",
                "complaint__reference",
            )
            .filter(customer_id=customer_id, answered_at__isnull=False)
            .order_by("-answered_at")[:LIMIT_360]
        ),
    }


__all__ = ["LIMIT_360", "SLA_CLOCKS", "customer_360", "header", "next_due"]
