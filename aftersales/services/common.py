"""Shared pieces of the after-sales services: references, locking, events,
the status change with its follow-ups."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales import hooks
from aftersales.models import (
    TRANSITIONS,
    ServiceOrder,
    ServiceOrderCounter,
    ServiceOrderEvent,
)
from config.errors import IllegalTransition

PREFIX = "SH"


@transaction.atomic
def reference_next(*, day: date | None = None) -> str:
    """``SH`` + YYYYMMDD + the day's sequence; race-free like complaints'."""
    day = day or timezone.localdate()
    ServiceOrderCounter.objects.get_or_create(day=day)
    ServiceOrderCounter.objects.filter(day=day).update(last_value=F("last_value") + 1)
    number = ServiceOrderCounter.objects.values_list("last_value", flat=True).get(
        day=day
    )
    return f"{PREFIX}{day:%Y%m%d}{number:04d}"


def lock(order: ServiceOrder) -> ServiceOrder:
    return ServiceOrder.objects.select_for_update().get(pk=order.pk)


def event(
    order: ServiceOrder,
    kind: str,
    *,
    actor=None,
    note: str = "",
    from_status: str = "",
    to_status: str = "",
    customer_visible: bool = False,
) -> ServiceOrderEvent:
    return ServiceOrderEvent.objects.create(
        order=order,
        kind=kind,
        actor=actor,
        note=note,
        from_status=from_status,
        to_status=to_status,
        customer_visible=customer_visible,
        created_at=timezone.now(),
    )


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, ())


def change_status(
    order: ServiceOrder, to_status: str, *, actor, note: str = "", fields=()
) -> None:
    """Move a locked order to ``to_status``: save, event, follow-ups."""
    from_status = order.status
    if not can_transition(from_status, to_status):
        raise IllegalTransition(
            _("A service order cannot go from “%(from)s” to “%(to)s”.")
            % {
                "from": ServiceOrder.Status(from_status).label,
                "to": ServiceOrder.Status(to_status).label,
            },
            field="status",
        )
    order.status = to_status
    order.save(update_fields=["status", "updated_at", *fields])
    event(
        order,
        ServiceOrderEvent.Kind.STATUS_CHANGED,
        actor=actor,
        note=note,
        from_status=from_status,
        to_status=to_status,
        customer_visible=True,
    )
    hooks.run(
        hooks.Moment.STATUS_CHANGED,
        order=order,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
    )
