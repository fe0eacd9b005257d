"""The spike rule: when ``KEFU_CAPA_SPIKE_THRESHOLD`` complaints of one
subcategory (in one department) arrive within ``KEFU_CAPA_SPIKE_WINDOW_HOURS``,
draft one CAPA (status open) for the department's manager, linked to those
complaints.

Exactly once per spike: the complaints of a drafted spike are linked to its CAPA
and no longer count; the sweep takes the subcategory's row lock before it reads
them again, and the CAPA's ``spike_key`` (its subcategory, department and first
complaint) is unique, so two concurrent sweeps draft one CAPA. More complaints
after that are a new spike only when they reach the threshold by themselves.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import selectors
from complaints.models import Category, CorrectiveAction
from complaints.services import clock
from complaints.services.capa import capa_create
from crm.models import Department


def _draft(sub_id: int, dept_id: int, *, since, now, threshold: int) -> bool:
    Category.objects.select_for_update().get(pk=sub_id)  # one sweep at a time
    complaints = list(
        selectors.spike_complaints(since=since, until=now)
        .filter(subcategory_id=sub_id, department_id=dept_id)
        .select_related("subcategory")
        .order_by("received_at", "pk")
    )
    if len(complaints) < threshold:
        return False
    department = Department.objects.select_related("manager").get(pk=dept_id)
    manager = department.manager
    if manager is None or not manager.is_active:
        return False
    subcategory = complaints[0].subcategory
    hours = settings.KEFU_CAPA_SPIKE_WINDOW_HOURS
    capa = capa_create(
        actor=None,
        title=_("Complaint spike: %(count)d × %(subcategory)s within %(hours)d h")
        % {"count": len(complaints), "subcategory": subcategory.name, "hours": hours},
        root_cause=_("To be analysed (drafted by the spike rule)."),
        action=_("Analyse the root cause of these complaints and plan the action."),
        owner=manager,
        due_date=timezone.localdate(now)
        + timedelta(days=settings.KEFU_CAPA_SPIKE_DUE_DAYS),
        complaints=complaints,
    )
    CorrectiveAction.objects.filter(pk=capa.pk).update(
        spike_key=f"spike:{sub_id}:{dept_id}:{complaints[0].pk}"
    )
    return True


def capa_spike_sweep(*, now: datetime | None = None) -> int:
    """Draft the CAPAs of the spikes found now; returns how many."""
    threshold = settings.KEFU_CAPA_SPIKE_THRESHOLD
    if threshold <= 0:
        return 0
    now = now or clock.now()
    since = now - timedelta(hours=settings.KEFU_CAPA_SPIKE_WINDOW_HOURS)
    groups = (
        selectors.spike_complaints(since=since, until=now)
        .values_list("subcategory_id", "department_id")
        .annotate(n=Count("pk", distinct=True))
        .filter(n__gte=threshold)
        .order_by("subcategory_id", "department_id")
    )
    drafted = 0
    for sub_id, dept_id, _n in list(groups):
        try:
            with transaction.atomic():
                drafted += _draft(
                    sub_id, dept_id, since=since, now=now, threshold=threshold
                )
        except IntegrityError:  # a concurrent sweep drafted this spike
            continue
    return drafted
