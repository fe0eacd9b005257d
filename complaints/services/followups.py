"""Follow-ups of complaint changes: what happens elsewhere when a complaint moves.

The complaint services call one function per moment — ``on_complaint_created``,
``on_status_changed``, ``on_complaint_replied``, ``on_complaint_resolved``,
``on_attribution_changed`` — inside their transaction, so whatever the
follow-ups write (a revisit, a training assignment, a webhook outbox row)
commits or rolls back with the change itself.

Downward calls and complaints' own follow-ups are written out here (crm's
confirmation revisit; the messages to the customer of
``complaints.services.customer_messages``). Apps above
complaints — training (the attitude rule) and partners (webhook rows) — are not
imported: they ``register(moment, handler)`` in their ``AppConfig.ready()``,
and each moment runs its handlers synchronously, in registration order (the
order of ``INSTALLED_APPS``). A plain table, not signals (house style rule 8):
``registered()`` lists it, and tests/complaints/test_followups_registry.py pins
which handler runs at which moment.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from complaints.services import customer_messages
from complaints.services.improvement import improvement_on_close
from crm.services.revisits import revisit_plan_for_resolved_complaint


class Moment(StrEnum):
    """The moments of a complaint that other apps may follow, and the keyword
    arguments their handlers receive."""

    CREATED = "created"  # complaint, actor
    STATUS_CHANGED = "status_changed"  # complaint, actor, from_status, to_status
    REPLIED = "replied"  # complaint, actor, reply
    RESOLVED = "resolved"  # complaint, actor
    ATTRIBUTION_CHANGED = "attribution_changed"  # complaint, actor


Handler = Callable[..., None]

_handlers: dict[Moment, list[Handler]] = {moment: [] for moment in Moment}


def register(moment: Moment | str, handler: Handler) -> Handler:
    """Run ``handler(**arguments of the moment)`` at every ``moment``.

    Called from an app's ``AppConfig.ready()``; registering the same handler
    twice for a moment keeps one.
    """
    handlers = _handlers[Moment(moment)]
    if handler not in handlers:
        handlers.append(handler)
    return handler


def unregister(moment: Moment | str, handler: Handler) -> None:
    """Take ``handler`` off ``moment`` (tests that isolate one app's rule)."""
    handlers = _handlers[Moment(moment)]
    if handler in handlers:
        handlers.remove(handler)


def registered() -> dict[str, list[str]]:
    """``{moment: ["module.function", ...]}`` in the order they run."""
    return {
        str(moment): [f"{h.__module__}.{h.__qualname__}" for h in handlers]
        for moment, handlers in _handlers.items()
    }


def _run(moment: Moment, **arguments) -> None:
    for handler in list(_handlers[moment]):
        handler(**arguments)


def on_complaint_created(*, complaint, actor) -> None:
    """A complaint was received (``complaint_receive``): the customer's
    acknowledgement is queued, then the registered handlers run."""
    customer_messages.queue_acknowledgement(complaint=complaint)
    _run(Moment.CREATED, complaint=complaint, actor=actor)


def on_status_changed(*, complaint, actor, from_status, to_status) -> None:
    """The complaint's status changed (any lifecycle service): the customer's
    status notice (handling started, on hold) is queued; on closing, the
    classified improvement by cause type (``improvement``); then the handlers."""
    customer_messages.queue_status_notice(
        complaint=complaint, from_status=from_status, to_status=to_status
    )
    improvement_on_close(complaint=complaint, to_status=to_status)
    _run(
        Moment.STATUS_CHANGED,
        complaint=complaint,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
    )


def on_complaint_replied(*, complaint, actor, reply) -> None:
    """A customer-facing reply was recorded (``complaint_reply``): it is
    queued for delivery to the customer, then the handlers run."""
    customer_messages.queue_reply(complaint=complaint, reply=reply)
    _run(Moment.REPLIED, complaint=complaint, actor=actor, reply=reply)


def on_complaint_resolved(*, complaint, actor) -> None:
    """The complaint was resolved (``complaint_resolve``): plan the customer's
    confirmation revisit (due within 24 h by the default rule, once), then the
    registered handlers (the partner's webhook rows)."""
    revisit_plan_for_resolved_complaint(complaint=complaint)
    customer_messages.queue_resolved(complaint=complaint)
    _run(Moment.RESOLVED, complaint=complaint, actor=actor)


def on_attribution_changed(*, complaint, actor) -> None:
    """The staff member a complaint is attributed to, or its category, was set
    or changed (``complaint_receive`` with both given, ``complaint_record_analysis``)
    and is saved: the only moment training's attitude rule can newly match."""
    _run(Moment.ATTRIBUTION_CHANGED, complaint=complaint, actor=actor)
