"""A revisit that found a problem (回访发现问题): the outcome of the call is
recorded and the problem becomes a new complaint, in one transaction.

crm records revisits and knows nothing of complaints (it sits below them), so
the flow lives here, one layer up, and makes the calls itself: crm's
``revisit_complete``, then ``complaint_receive``, then crm's
``revisit_link_follow_up``.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from complaints.models import Category, Complaint
from complaints.services.intake import complaint_receive
from config.errors import InvalidInput
from crm.models import Revisit
from crm.services.revisits import revisit_complete, revisit_link_follow_up


@transaction.atomic
def revisit_complete_with_complaint(
    *,
    actor,
    revisit: Revisit,
    outcome: str,
    category: Category | str | None,
    subject: str,
    satisfaction_score: int | None = None,
    feedback: str = "",
    done_at: datetime | None = None,
    description: str = "",
    severity: str | None = None,
    channel: str = "",
) -> Revisit:
    """Complete ``revisit`` (crm's rules: outcome, score, an outbound
    interaction) and receive the problem the customer reported as a new
    complaint (``category`` instance or code, ``subject``; the description
    defaults to the feedback), linked as the revisit's ``follow_up_complaint``.

    All or nothing: a refused complaint leaves the revisit planned. A revisit
    that is already done is returned unchanged and no complaint is received
    (a second submission does not register the problem twice).
    """
    # The lock serialises two submissions of the same call: the second one sees
    # the revisit done and receives nothing.
    current = Revisit.objects.select_for_update().get(pk=revisit.pk)
    already_done = current.status == Revisit.Status.DONE
    done = revisit_complete(
        actor=actor,
        revisit=current,
        outcome=outcome,
        satisfaction_score=satisfaction_score,
        feedback=feedback,
        done_at=done_at,
    )
    if already_done:
        return done
    if isinstance(category, str):
        category = Category.objects.filter(code=category).first()
    if category is None:
        raise InvalidInput(_("Choose a complaint category."), field="category")
    subject = (subject or "").strip()
    if not subject:
        raise InvalidInput(_("Give the new complaint a subject."), field="subject")
    complaint = complaint_receive(
        actor=actor,
        customer=done.customer,
        channel=channel or Complaint.Channel.PHONE,
        category=category,
        subject=subject,
        description=description or done.feedback or subject,
        severity=severity,
    )
    return revisit_link_follow_up(actor=actor, revisit=done, complaint=complaint)
