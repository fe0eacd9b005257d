"""Follow-ups of service-order changes in apps above aftersales.

The after-sales services call one function per moment inside their
transaction; partners (webhook outbox rows) registers its handlers in
``PartnersConfig.ready()``. A plain table like
``complaints.services.followups``, not signals: ``registered()`` lists it.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum


class Moment(StrEnum):
    CREATED = "created"  # order, actor
    STATUS_CHANGED = "status_changed"  # order, actor, from_status, to_status
    BOOKED = "booked"  # order, actor, appointment


Handler = Callable[..., None]

_handlers: dict[Moment, list[Handler]] = {moment: [] for moment in Moment}


def register(moment: Moment | str, handler: Handler) -> Handler:
    handlers = _handlers[Moment(moment)]
    if handler not in handlers:
        handlers.append(handler)
    return handler


def unregister(moment: Moment | str, handler: Handler) -> None:
    handlers = _handlers[Moment(moment)]
    if handler in handlers:
        handlers.remove(handler)


def registered() -> dict[str, list[str]]:
    return {
        str(moment): [f"{h.__module__}.{h.__qualname__}" for h in handlers]
        for moment, handlers in _handlers.items()
    }


def run(moment: Moment, **arguments) -> None:
    for handler in list(_handlers[moment]):
        handler(**arguments)
