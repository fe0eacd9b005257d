"""Cross-app follow-ups of complaint state changes.

The lifecycle services call these inside their transaction, at the named moment,
so whatever the other apps write (a revisit, a training assignment, a webhook
outbox row) commits or rolls back with the change itself. They are explicit
calls into the other apps' services, not signals (house style rule 8); the
imports are local because those apps import the complaints models.
"""

from __future__ import annotations

ATTITUDE = "attitude"


def _check_attitude_pattern(complaint) -> None:
    """Training's rule: repeated attitude complaints assign the etiquette course."""
    if complaint.attributed_staff_id is None or complaint.category.code != ATTITUDE:
        return
    from training.services import assignment_check_attitude_complaints

    assignment_check_attitude_complaints(staff=complaint.attributed_staff)


def _webhook(event: str, complaint, **extra) -> None:
    """Partner webhook outbox rows (only complaints that came from a partner)."""
    if complaint.source_partner_id is None:
        return
    from partners.webhooks import webhook_enqueue

    webhook_enqueue(event=event, complaint=complaint, extra=extra or None)


def on_complaint_created(*, complaint, actor) -> None:
    """A complaint was received (``complaint_receive``)."""
    _webhook("complaint.created", complaint)


def on_attribution_changed(*, complaint, actor) -> None:
    """The staff member a complaint is attributed to, or its category, was set
    or changed (``complaint_receive`` with both given, ``complaint_record_analysis``)
    and is saved: the only moments training's attitude rule can newly match."""
    _check_attitude_pattern(complaint)


def on_status_changed(*, complaint, actor, from_status, to_status) -> None:
    """The complaint's status changed (any lifecycle service)."""
    _webhook(
        "complaint.status_changed",
        complaint,
        previous_status=from_status,
        status=to_status,
    )


def on_complaint_replied(*, complaint, actor, reply) -> None:
    """A customer-facing reply was recorded (``complaint_reply``)."""
    _webhook("complaint.replied", complaint)


def on_complaint_resolved(*, complaint, actor) -> None:
    """The complaint was resolved (``complaint_resolve``): plan the customer's
    confirmation revisit (due within 24 h by the default rule, once) and tell
    the partner it came from."""
    from crm.services import revisit_plan_for_resolved_complaint

    revisit_plan_for_resolved_complaint(complaint=complaint)
    _webhook("complaint.resolved", complaint)
