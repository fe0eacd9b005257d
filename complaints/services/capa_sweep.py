"""The CAPA overdue sweep: remind the owner on the due date, escalate to the
department's manager ``KEFU_CAPA_ESCALATE_AFTER_DAYS`` after it.

Run hourly by beat (task ``complaints.capa_overdue_sweep``). Each CAPA is
handled in its own short transaction: a conditional UPDATE claims it
(``due_reminded_at`` / ``escalated_at`` still NULL), so the reminder and the
escalation are each notified and recorded (one ``CapaEvent``) exactly once, even
when two sweeps run at the same time or one runs twice; the notifications carry
unique keys as well (``crm.notifications.notify``). A changed due date clears
both marks (``capa_update``): the new date is reminded and escalated anew.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import selectors
from complaints.models import CapaEvent, CorrectiveAction
from complaints.services import clock
from crm.notifications import notify

BATCH = 500


def _claim(capa_id: int, field: str, now) -> CorrectiveAction | None:
    """Mark ``field`` on the CAPA if nobody did; the CAPA (with its owner and
    department) when this call did, else None."""
    claimed = CorrectiveAction.objects.filter(
        pk=capa_id, **{f"{field}__isnull": True}
    ).update(**{field: now})
    if not claimed:
        return None
    return CorrectiveAction.objects.select_related("owner", "department__manager").get(
        pk=capa_id
    )


def _link(capa) -> str:
    return reverse("admin:complaints_correctiveaction_change", args=[capa.pk])


def _remind(capa: CorrectiveAction, now) -> None:
    notify(
        recipient=capa.owner,
        kind="capa_due",
        title=_("Corrective action due: %(title)s (%(date)s)")
        % {"title": capa.title, "date": capa.due_date.isoformat()},
        body=capa.action,
        link=_link(capa),
        key=f"capa:{capa.pk}:due:{capa.due_date.isoformat()}",
    )
    CapaEvent.objects.create(
        capa=capa,
        kind=CapaEvent.Kind.DUE_REMINDED,
        data={"owner": capa.owner_id, "due_date": capa.due_date.isoformat()},
        created_at=now,
    )


def _escalate(capa: CorrectiveAction, now) -> None:
    department = capa.department
    manager = department.manager if department and department.manager_id else None
    if manager is not None:
        notify(
            recipient=manager,
            kind="capa_overdue",
            title=_(
                "Corrective action overdue: %(title)s (due %(date)s, owner %(owner)s)"
            )
            % {
                "title": capa.title,
                "date": capa.due_date.isoformat(),
                "owner": capa.owner,
            },
            body=capa.action,
            link=_link(capa),
            key=f"capa:{capa.pk}:escalated:{capa.due_date.isoformat()}",
        )
    CapaEvent.objects.create(
        capa=capa,
        kind=CapaEvent.Kind.ESCALATED,
        data={
            "manager": manager.pk if manager else None,
            "due_date": capa.due_date.isoformat(),
        },
        created_at=now,
    )


def capa_overdue_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Remind and escalate what is due; returns how many this run did."""
    now = now or clock.now()
    today = timezone.localdate(now)
    due_by = today - timedelta(days=settings.KEFU_CAPA_ESCALATE_AFTER_DAYS)
    counts = {"reminded": 0, "escalated": 0}
    for field, rows, act, count in (
        (
            "due_reminded_at",
            selectors.capas_to_remind(today=today),
            _remind,
            "reminded",
        ),
        (
            "escalated_at",
            selectors.capas_to_escalate(due_by=due_by),
            _escalate,
            "escalated",
        ),
    ):
        for capa_id in list(rows.values_list("pk", flat=True)[:BATCH]):
            with transaction.atomic():
                capa = _claim(capa_id, field, now)
                if capa is not None:
                    act(capa, now)
                    counts[count] += 1
    return counts
