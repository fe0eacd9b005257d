"""Revisits that act on complaints. A revisit that found a problem (回访发现问题): the outcome of the call is
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

from complaints.models import Category, Complaint, SatisfactionSurvey
from complaints.services import permissions
from complaints.services.closing import complaint_reopen
from complaints.services.intake import complaint_receive
from complaints.services.resolution import complaint_confirm, survey_record_answer
from config.errors import InvalidInput
from crm import scoping
from crm.models import Revisit
from crm.services.revisits import revisit_complete, revisit_link_follow_up

# The channel of a survey answer given on a revisit, by the revisit's method.
REVISIT_CHANNEL = {
    Revisit.Method.PHONE: Complaint.Channel.PHONE,
    Revisit.Method.SMS: Complaint.Channel.PHONE,
    Revisit.Method.EMAIL: Complaint.Channel.EMAIL,
    Revisit.Method.ONLINE: Complaint.Channel.ONLINE,
    Revisit.Method.VISIT: Complaint.Channel.ONSITE,
}


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


def _acting(actor, complaint: Complaint, roles):
    """Who the complaint's change is recorded as: the revisit's author when
    their role and scope would allow it themselves, else the system (``None``):
    completing the revisit (crm's rules) is what authorises the change."""
    if actor is None:
        return None
    if permissions.has_role(actor, roles) and scoping.can_view(actor, complaint):
        return actor
    return None


# A confirmation revisit's score at or below this means "not satisfied".
DISSATISFIED_AT_MOST = 2


@transaction.atomic
def revisit_complete_confirmation(
    *,
    actor,
    revisit: Revisit,
    outcome: str,
    satisfaction_score: int | None = None,
    feedback: str = "",
    done_at: datetime | None = None,
) -> Revisit:
    """Complete a revisit (crm's ``revisit_complete``) and, for the confirmation
    revisit of a resolved complaint whose customer was reached, close the loop:

    - satisfied (no score, or a score above ``DISSATISFIED_AT_MOST``): the
      complaint is confirmed (the confirmation clock is met) and the score, if
      given, is recorded as the cycle's survey answer — unless the customer
      already answered (through the survey link): recorded once, not twice;
    - dissatisfied (score 1–2): the answer is recorded (the low score notifies
      the supervisor and plans a recovery revisit) and the complaint is
      reopened by rule — the customer is not satisfied — with the revisit's
      feedback as the reason (event ``reopened``).

    Other revisits, a customer not reached, a complaint no longer resolved: only
    the revisit is completed. A revisit already done is returned unchanged.
    """
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
    if (
        already_done
        or done.purpose != Revisit.Purpose.CONFIRMATION
        or done.complaint_id is None
        or outcome != Revisit.Outcome.REACHED
    ):
        return done
    complaint = Complaint.objects.get(pk=done.complaint_id)
    if complaint.status != Complaint.Status.RESOLVED:
        return done
    score = done.satisfaction_score
    cycle = complaint.reopened_count + 1
    answered = SatisfactionSurvey.objects.filter(
        complaint=complaint, cycle=cycle, answered_at__isnull=False
    ).exists()
    channel = REVISIT_CHANNEL.get(done.method, Complaint.Channel.PHONE)
    if score is not None and not answered:
        survey_record_answer(
            actor=_acting(actor, complaint, permissions.SURVEY_RECORDERS),
            complaint=complaint,
            csat=score,
            comment=feedback,
            channel=channel,
        )
    if score is not None and score <= DISSATISFIED_AT_MOST:
        complaint_reopen(
            actor=None,
            complaint=complaint,
            reason=_("Not satisfied on the confirmation revisit: %(feedback)s")
            % {"feedback": feedback or score},
        )
    else:
        complaint_confirm(
            actor=_acting(actor, complaint, permissions.CONFIRMERS),
            complaint=complaint,
            note=_("Confirmed on the confirmation revisit."),
        )
    return done
