"""Confirmation revisits of the demo's resolved complaints (part of
``complaints.demo.seed``).

Bulk-inserted resolved complaints never ran the resolve follow-up, so their
confirmation revisits (crm rows) are planned here, after the complaints exist:
complaints sits above crm, so it is complaints' demo that knows both.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from complaints.demo_writer import RowWriter
from complaints.models import Complaint
from crm.demo import REVISIT_FEEDBACK, record_done
from crm.models import Revisit, RevisitRule


class ConfirmationRevisits:
    """Builds the confirmation revisit row (attnames) of a resolved complaint,
    as the resolve follow-up would have planned it and the staff recorded it
    (most done within 24 h). Also used by the bulk's build process
    (``complaints.demo._produce``), which writes them with their complaints."""

    def __init__(self, ctx, now):
        self.rng = random.Random(ctx.seed + 7)
        rule = RevisitRule.objects.filter(trigger="complaint_resolved").first()
        self.hours = rule.offset_hours if rule else 24
        self.now = now
        self.base = _base(now)
        self.base.update(
            purpose=Revisit.Purpose.CONFIRMATION,
            method=Revisit.Method.PHONE,
            rule_id=rule.pk if rule else None,
        )

    def row(self, pk, customer_id, assignee_id, resolved_at) -> dict:
        rng, hours, now = self.rng, self.hours, self.now
        due = resolved_at + timedelta(hours=hours)
        # A dict, not a model instance: ~900,000 of them at a million complaints.
        revisit = _Row(self.base)
        revisit.update(
            key=f"complaint:{pk}:confirmation",
            customer_id=customer_id,
            complaint_id=pk,
            due_at=due,
            assignee_id=assignee_id,
        )
        if due < now - timedelta(hours=2):
            revisit["reminded_at"] = due - timedelta(hours=1)
            revisit["escalated_at"] = due
            roll = rng.random()
            if roll < 0.8:
                record_done(
                    revisit,
                    due
                    - timedelta(hours=rng.randint(1, hours - 1 if hours > 1 else 1)),
                    assignee_id,
                    rng.choice([5, 5, 4, 4, 3, 2, 1]),
                    rng.choice(REVISIT_FEEDBACK),
                    rng,
                )
            elif roll < 0.9:
                record_done(
                    revisit,
                    due + timedelta(hours=rng.randint(1, 72)),
                    assignee_id,
                    rng.choice([4, 3, 3, 2]),
                    rng.choice(REVISIT_FEEDBACK),
                    rng,
                )
            else:
                revisit["status"] = Revisit.Status.MISSED
        return revisit


def seed_complaint_revisits(ctx, now=None) -> None:
    """Confirmation revisits of the demo's resolved complaints (call after the
    complaints demo). Same key as ``revisit_plan_for_resolved_complaint``, so the
    service and this seed never plan one twice (nor those the bulk wrote)."""
    revisits = ConfirmationRevisits(ctx, now or timezone.now())
    writer = RowWriter()
    batch = []
    # Those without their confirmation revisit yet (the services planned the
    # service path's; a second run finds none): the rows can be COPYed.
    planned = Revisit.objects.filter(
        key=Concat(
            Value("complaint:"),
            Cast(OuterRef("pk"), CharField()),
            Value(":confirmation"),
        )
    )
    rows = (
        Complaint.objects.filter(resolved_at__isnull=False)
        .exclude(Exists(planned))
        .order_by("pk")
        .values_list("pk", "customer_id", "assignee_id", "resolved_at")
    )
    for values in rows.iterator(chunk_size=5000):
        batch.append(revisits.row(*values))
        if len(batch) >= 5000:
            _write(writer, batch)
            batch = []
    _write(writer, batch)
    ctx.say("  complaint confirmation revisits planned")


class _Row(dict):
    """A revisit row (attnames) that ``record_done`` can fill in like an
    instance: attribute writes are item writes."""

    __setattr__ = dict.__setitem__


def _base(now) -> dict:
    """A new revisit's columns (attnames) with their defaults; ``auto_now``
    fields: now."""
    row = {}
    for field in Revisit._meta.concrete_fields:
        if field.primary_key:
            continue
        value = field.get_default()
        if value is None and (
            getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        ):
            value = now
        row[field.attname] = value
    return row


def _write(writer, rows: list[dict]) -> None:
    with transaction.atomic():
        writer.write(Revisit, rows)
