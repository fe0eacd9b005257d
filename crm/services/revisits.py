"""Revisits (回访): planning by rules, completion, cancellation, reassignment.

Every revisit has a unique ``key`` naming its occasion — ``complaint:<id>:confirmation``,
``rule:<rule>:customer:<id>:p<period>`` — so a planner that runs twice, or two
planners that run at once, plan it once (the unique index decides; losers read the
winner's row).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import IllegalTransition, InvalidInput, NotPermitted
from crm import scoping, selectors
from crm.models import Customer, Interaction, Revisit, RevisitRule

# How far ahead the daily planner plans periodic, birthday and holiday revisits,
# and how far back it catches up new customers that no service call planned.
PLAN_AHEAD = timedelta(days=7)
CATCH_UP = timedelta(days=30)

# Allowed status changes (house style: transitions are data).
TRANSITIONS = {
    Revisit.Status.PLANNED: {
        Revisit.Status.DONE,
        Revisit.Status.MISSED,
        Revisit.Status.CANCELLED,
    },
    Revisit.Status.MISSED: {Revisit.Status.DONE},  # reached after all, late
    Revisit.Status.DONE: set(),
    Revisit.Status.CANCELLED: set(),
}

METHOD_TO_CHANNEL = {
    Revisit.Method.PHONE: Interaction.Channel.PHONE,
    Revisit.Method.SMS: Interaction.Channel.SMS,
    Revisit.Method.EMAIL: Interaction.Channel.EMAIL,
    Revisit.Method.ONLINE: Interaction.Channel.ONLINE,
    Revisit.Method.VISIT: Interaction.Channel.VISIT_OUT,
}


def _check_transition(revisit: Revisit, to_status: str) -> None:
    if to_status not in TRANSITIONS[revisit.status]:
        raise IllegalTransition(
            _("A revisit that is %(status)s cannot become %(to)s.")
            % {
                "status": revisit.get_status_display(),
                "to": Revisit.Status(to_status).label,
            }
        )


def _check_actor(actor, revisit: Revisit) -> None:
    if actor is not None and not scoping.can_change(actor, revisit):
        raise NotPermitted(_("You may not change this revisit."))


def _locked(revisit: Revisit) -> Revisit:
    return Revisit.objects.select_for_update().get(pk=revisit.pk)


def _plan(*, key: str, **values) -> tuple[Revisit, bool]:
    """Create the revisit ``key`` unless it exists; (row, created). Race-safe."""
    existing = Revisit.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return Revisit.objects.create(key=key, **values), True
    except IntegrityError:
        return Revisit.objects.get(key=key), False


def _assignee_for(rule: RevisitRule, customer: Customer, complaint=None):
    if rule.assignee_rule == RevisitRule.AssigneeRule.UNASSIGNED:
        return None
    if rule.assignee_rule == RevisitRule.AssigneeRule.COMPLAINT_ASSIGNEE and (
        complaint is not None and getattr(complaint, "assignee_id", None)
    ):
        return complaint.assignee
    return customer.owner


def _rules(trigger: str):
    return list(RevisitRule.objects.filter(trigger=trigger, is_active=True))


def _rule_applies(rule: RevisitRule, customer: Customer) -> bool:
    return not rule.tier or rule.tier == customer.tier


@transaction.atomic
def revisit_create(
    *,
    actor,
    customer: Customer,
    purpose: str,
    due_at: datetime,
    method: str = Revisit.Method.PHONE,
    assignee=None,
    notes: str = "",
    key: str = "",
) -> Revisit:
    """Plan a revisit by hand (or under a caller-chosen ``key``, idempotently)."""
    if actor is not None and not actor.has_perm("crm.add_revisit"):
        raise NotPermitted(_("You may not plan revisits."))
    scoping.require_visible(actor, customer, field="customer")
    scoping.require_colleague(actor, assignee, field="assignee")
    if purpose not in Revisit.Purpose.values:
        raise InvalidInput(_("Unknown revisit purpose."), field="purpose")
    if method not in Revisit.Method.values:
        raise InvalidInput(_("Unknown revisit method."), field="method")
    revisit, _created = _plan(
        key=key or f"manual:{uuid.uuid4().hex}",
        customer=customer,
        purpose=purpose,
        method=method,
        due_at=due_at,
        assignee=assignee,
        notes=notes,
    )
    return revisit


@transaction.atomic
def revisit_plan_for_resolved_complaint(*, complaint) -> Revisit | None:
    """Plan the confirmation revisit of a resolved complaint, once per complaint.

    Due ``offset_hours`` (24 by default) after the resolution, assigned by the rule
    (the complaint's handler by default). Returns None when no active rule for
    resolved complaints exists. Called by complaints' ``on_complaint_resolved``
    inside the resolving transaction; a reopened and re-resolved complaint keeps
    its first revisit.
    """
    rules = _rules(RevisitRule.Trigger.COMPLAINT_RESOLVED)
    customer = complaint.customer
    rule = next((r for r in rules if _rule_applies(r, customer)), None)
    if rule is None:
        return None
    resolved_at = getattr(complaint, "resolved_at", None) or timezone.now()
    values = {
        "customer": customer,
        "purpose": rule.purpose,
        "method": rule.method,
        "due_at": resolved_at + timedelta(hours=rule.offset_hours),
        "assignee": _assignee_for(rule, customer, complaint),
        "rule": rule,
        "complaint_id": complaint.pk,
    }
    revisit, _created = _plan(key=f"complaint:{complaint.pk}:confirmation", **values)
    return revisit


@transaction.atomic
def revisit_plan_for_new_customer(*, customer: Customer) -> list[Revisit]:
    """Plan the revisits of the "customer created" rules for a new customer
    (7 days after creation by default). Idempotent."""
    planned = []
    for rule in _rules(RevisitRule.Trigger.CUSTOMER_CREATED):
        if not _rule_applies(rule, customer):
            continue
        revisit, _created = _plan(
            key=f"rule:{rule.pk}:customer:{customer.pk}",
            customer=customer,
            purpose=rule.purpose,
            method=rule.method,
            due_at=customer.created_at + timedelta(hours=rule.offset_hours),
            assignee=_assignee_for(rule, customer),
            rule=rule,
        )
        planned.append(revisit)
    return planned


def _period_start(index: int, months: int) -> datetime:
    first_month = index * months
    year, month = divmod(first_month, 12)
    return timezone.make_aware(datetime(year, month + 1, 1))


def _bulk_plan(rows: list[Revisit]) -> int:
    """Insert the rows whose keys are new; return how many were new."""
    created = 0
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        existing = set(
            Revisit.objects.filter(key__in=[r.key for r in chunk]).values_list(
                "key", flat=True
            )
        )
        fresh = [r for r in chunk if r.key not in existing]
        # ignore_conflicts: a concurrent planner may insert the same keys meanwhile.
        Revisit.objects.bulk_create(fresh, ignore_conflicts=True)
        created += len(fresh)
    return created


def _customers_for(rule: RevisitRule):
    return selectors.customers_for_revisit_rule(rule=rule)


def _row(rule, customer_id, owner_id, key, due_at) -> Revisit:
    assignee_id = (
        None if rule.assignee_rule == RevisitRule.AssigneeRule.UNASSIGNED else owner_id
    )
    return Revisit(
        key=key,
        customer_id=customer_id,
        purpose=rule.purpose,
        method=rule.method,
        due_at=due_at,
        assignee_id=assignee_id,
        rule=rule,
    )


def _in_window(due_at: datetime, now: datetime) -> bool:
    # Plan what falls due from yesterday to a week ahead: a planner that was down
    # for a day still plans, and nothing is planned already long overdue.
    return now - timedelta(days=1) <= due_at <= now + PLAN_AHEAD


def revisit_plan_by_rules(*, now: datetime | None = None) -> int:
    """Run the periodic, birthday, holiday and (catch-up) new-customer rules.

    Safe to run any number of times, also concurrently: each occasion has one key.
    Returns the number of revisits planned. Called daily by beat
    (``crm.revisit_plan_by_rules``).
    """
    now = now or timezone.now()
    local_now = timezone.localtime(now)
    planned = 0
    for rule in selectors.revisit_rules_active():
        rows: list[Revisit] = []
        if rule.trigger == RevisitRule.Trigger.PERIODIC and rule.interval_months:
            months = rule.interval_months
            current = (local_now.year * 12 + local_now.month - 1) // months
            for index in (current, current + 1):
                due_at = _period_start(index, months) + timedelta(
                    hours=rule.offset_hours
                )
                if not _in_window(due_at, now):
                    continue
                for pk, owner_id in _customers_for(rule).values_list("pk", "owner_id"):
                    key = f"rule:{rule.pk}:customer:{pk}:p{index}"
                    rows.append(_row(rule, pk, owner_id, key, due_at))
        elif rule.trigger == RevisitRule.Trigger.CUSTOMER_CREATED:
            since = now - CATCH_UP
            for pk, owner_id, created_at in (
                _customers_for(rule)
                .filter(created_at__gte=since)
                .values_list("pk", "owner_id", "created_at")
            ):
                key = f"rule:{rule.pk}:customer:{pk}"
                due_at = created_at + timedelta(hours=rule.offset_hours)
                rows.append(_row(rule, pk, owner_id, key, due_at))
        elif rule.trigger in (
            RevisitRule.Trigger.BIRTHDAY,
            RevisitRule.Trigger.HOLIDAY,
        ):
            rows = _occasion_rows(rule, now, local_now)
        planned += _bulk_plan(rows)
    return planned


def _occasion_rows(rule, now, local_now) -> list[Revisit]:
    days = [
        (local_now + timedelta(days=d)).date() for d in range(-1, PLAN_AHEAD.days + 1)
    ]
    rows = []
    if rule.trigger == RevisitRule.Trigger.HOLIDAY:
        if not (rule.holiday_month and rule.holiday_day):
            return rows
        for day in days:
            if (day.month, day.day) != (rule.holiday_month, rule.holiday_day):
                continue
            due_at = timezone.make_aware(
                datetime(day.year, day.month, day.day)
            ) + timedelta(hours=rule.offset_hours)
            for pk, owner_id in _customers_for(rule).values_list("pk", "owner_id"):
                key = f"rule:{rule.pk}:customer:{pk}:{day.year}"
                rows.append(_row(rule, pk, owner_id, key, due_at))
        return rows
    condition = Q()
    for day in days:
        condition |= Q(birthday__month=day.month, birthday__day=day.day)
    by_month_day = {(d.month, d.day): d for d in days}
    for pk, owner_id, birthday in (
        _customers_for(rule).filter(condition).values_list("pk", "owner_id", "birthday")
    ):
        day = by_month_day[(birthday.month, birthday.day)]
        due_at = timezone.make_aware(
            datetime(day.year, day.month, day.day)
        ) + timedelta(hours=rule.offset_hours)
        key = f"rule:{rule.pk}:customer:{pk}:{day.year}"
        rows.append(_row(rule, pk, owner_id, key, due_at))
    return rows


@transaction.atomic
def revisit_complete(
    *,
    actor,
    revisit: Revisit,
    outcome: str,
    satisfaction_score: int | None = None,
    feedback: str = "",
    done_at: datetime | None = None,
) -> Revisit:
    """Record that the revisit took place: outcome, score 1–5, feedback.

    Writes an outbound ``Interaction`` linked to the revisit. Completing a
    revisit that is already done returns it unchanged. A problem found on the
    call becomes a complaint through complaints'
    ``revisit_complete_with_complaint``, which calls this service.
    """
    _check_actor(actor, revisit)
    revisit = _locked(revisit)
    if revisit.status == Revisit.Status.DONE:
        return revisit
    _check_transition(revisit, Revisit.Status.DONE)
    if outcome not in Revisit.Outcome.values:
        raise InvalidInput(
            _("Choose whether the customer was reached."), field="outcome"
        )
    if satisfaction_score is not None and not 1 <= int(satisfaction_score) <= 5:
        raise InvalidInput(
            _("The satisfaction score is between 1 and 5."), field="satisfaction_score"
        )
    if outcome == Revisit.Outcome.NOT_REACHED and satisfaction_score is not None:
        raise InvalidInput(
            _("A customer who was not reached cannot give a score."),
            field="satisfaction_score",
        )
    now = timezone.now()
    done_at = done_at or now
    if done_at > now + timedelta(minutes=5):
        raise InvalidInput(
            _("The revisit cannot be done in the future."), field="done_at"
        )
    revisit.status = Revisit.Status.DONE
    revisit.outcome = outcome
    revisit.satisfaction_score = satisfaction_score
    revisit.feedback = feedback
    revisit.done_at = done_at
    revisit.done_by = actor
    update_fields = [
        "status",
        "outcome",
        "satisfaction_score",
        "feedback",
        "done_at",
        "done_by",
        "updated_at",
    ]
    revisit.full_clean(exclude=["customer", "assignee", "rule", "done_by"])
    revisit.save(update_fields=update_fields)
    Interaction.objects.create(
        customer_id=revisit.customer_id,
        complaint_id=revisit.complaint_id,
        channel=METHOD_TO_CHANNEL.get(revisit.method, Interaction.Channel.PHONE),
        direction=Interaction.Direction.OUTBOUND,
        occurred_at=done_at,
        staff=actor,
        summary=feedback or Revisit.Outcome(outcome).label,
        revisit=revisit,
    )
    return revisit


@transaction.atomic
def revisit_link_follow_up(*, actor, revisit: Revisit, complaint) -> Revisit:
    """Name the complaint that a problem found on the revisit became
    (``follow_up_complaint``); complaints' ``revisit_complete_with_complaint``
    calls it right after receiving the complaint. Linking the same complaint
    twice changes nothing."""
    _check_actor(actor, revisit)
    revisit = _locked(revisit)
    if revisit.follow_up_complaint_id == complaint.pk:
        return revisit
    revisit.follow_up_complaint = complaint
    revisit.save(update_fields=["follow_up_complaint", "updated_at"])
    return revisit


@transaction.atomic
def revisit_cancel(*, actor, revisit: Revisit, reason: str = "") -> Revisit:
    """Cancel a planned revisit (no reminders are raised for it any more)."""
    _check_actor(actor, revisit)
    revisit = _locked(revisit)
    if revisit.status == Revisit.Status.CANCELLED:
        return revisit
    _check_transition(revisit, Revisit.Status.CANCELLED)
    revisit.status = Revisit.Status.CANCELLED
    if reason:
        revisit.notes = f"{revisit.notes}\n{reason}".strip()
    revisit.save(update_fields=["status", "notes", "updated_at"])
    return revisit


@transaction.atomic
def revisit_mark_missed(*, actor, revisit: Revisit, reason: str = "") -> Revisit:
    """Give up on a planned revisit: it counts as missed in the KPIs."""
    _check_actor(actor, revisit)
    revisit = _locked(revisit)
    if revisit.status == Revisit.Status.MISSED:
        return revisit
    _check_transition(revisit, Revisit.Status.MISSED)
    revisit.status = Revisit.Status.MISSED
    if reason:
        revisit.notes = f"{revisit.notes}\n{reason}".strip()
    revisit.save(update_fields=["status", "notes", "updated_at"])
    return revisit


@transaction.atomic
def revisit_reassign(*, actor, revisit: Revisit, assignee) -> Revisit:
    """Give the revisit to another staff member (their reminder comes anew)."""
    _check_actor(actor, revisit)
    scoping.require_colleague(actor, assignee, field="assignee")
    revisit = _locked(revisit)
    if revisit.status != Revisit.Status.PLANNED:
        raise IllegalTransition(_("Only planned revisits can be reassigned."))
    if revisit.assignee_id == getattr(assignee, "pk", None):
        return revisit
    revisit.assignee = assignee
    revisit.reminded_at = None
    revisit.save(update_fields=["assignee", "reminded_at", "updated_at"])
    return revisit


@transaction.atomic
def revisit_reschedule(*, actor, revisit: Revisit, due_at: datetime) -> Revisit:
    """Move the due time; reminders are raised again for the new time."""
    _check_actor(actor, revisit)
    revisit = _locked(revisit)
    if revisit.status != Revisit.Status.PLANNED:
        raise IllegalTransition(_("Only planned revisits can be rescheduled."))
    if revisit.due_at == due_at:
        return revisit
    revisit.due_at = due_at
    revisit.reminded_at = None
    revisit.escalated_at = None
    revisit.save(update_fields=["due_at", "reminded_at", "escalated_at", "updated_at"])
    return revisit


def revisits_cancel_for_customer(*, customer) -> int:
    """Cancel every planned revisit of ``customer`` (privacy erasure: nobody is to
    contact an erased person); returns how many were cancelled."""
    return Revisit.objects.filter(
        customer=customer, status=Revisit.Status.PLANNED
    ).update(status=Revisit.Status.CANCELLED, updated_at=timezone.now())
