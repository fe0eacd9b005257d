"""Cross-app follow-ups of complaint state changes.

The lifecycle services call these inside their transaction, at the named moment.
They are explicit calls, not signals (house style rule 8). The lead wires them at
merge time with calls into the other apps (CRM confirmation revisit, training
attitude rule, partner webhooks); until then they do nothing.
"""

from __future__ import annotations


def on_complaint_created(*, complaint, actor) -> None:
    """A complaint was received (``complaint_receive``). The lead wires:
    partner webhook ``complaint.created``, training attitude rule."""


def on_status_changed(*, complaint, actor, from_status, to_status) -> None:
    """The complaint's status changed (any lifecycle service). The lead wires:
    partner webhook ``complaint.status_changed``."""


def on_complaint_replied(*, complaint, actor, reply) -> None:
    """A customer-facing reply was recorded (``complaint_reply``). The lead
    wires: partner webhook ``complaint.replied``."""


def on_complaint_resolved(*, complaint, actor) -> None:
    """The complaint was resolved (``complaint_resolve``). The lead wires: CRM
    confirmation revisit, partner webhook ``complaint.resolved``."""
