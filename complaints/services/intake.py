"""Receiving a complaint: validation, reference, routing, SLA clocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import (
    AgentLoad,
    AssignmentRule,
    Category,
    Complaint,
    ComplaintEvent,
)
from complaints.services import clock, followups, permissions, sla
from complaints.services.assignment import _notify_assignee
from complaints.services.categories import resolve_category
from complaints.services.events import event_record
from complaints.services.load import load_move
from complaints.services.reference import reference_next
from config.errors import InvalidInput
from crm import scoping
from crm.roles import Role


def route(*, category: Category, channel: str):
    """(team, assignee) by the most specific active assignment rule.

    With ``auto_assign`` the assignee is the active agent or complaint handler of
    the team with the fewest open complaints (ties: lowest id).
    """
    rules = (
        AssignmentRule.objects.filter(is_active=True)
        .filter(Q(category__isnull=True) | Q(category=category))
        .filter(Q(channel="") | Q(channel=channel))
        .select_related("team")
    )
    ranked = sorted(
        rules,
        key=lambda r: (
            -((r.category_id is not None) + bool(r.channel)),
            r.sort_order,
            r.pk,
        ),
    )
    if not ranked:
        return None, None
    rule = ranked[0]
    if not rule.auto_assign:
        return rule.team, None
    return rule.team, least_loaded_agent(rule.team)


def inbound_default_team():
    """The team of e-mail complaints no assignment rule routes (nobody received
    them): ``KEFU_INBOUND_TEAM`` (a team code) if it names an active team, else
    the first active team with a supervisor, else the first active team — an
    e-mail complaint is never left without a team while one exists."""
    from crm.models import Team

    teams = Team.objects.filter(is_active=True).order_by("pk")
    code = settings.KEFU_INBOUND_TEAM
    return (
        (teams.filter(code=code).first() if code else None)
        or teams.filter(supervisor__isnull=False).first()
        or teams.first()
    )


def least_loaded_agent(team):
    """The active agent/handler of ``team`` with the fewest open complaints."""
    from crm.models import User

    candidates = list(
        User.objects.filter(
            team=team,
            is_active=True,
            groups__name__in=[Role.AGENT, Role.COMPLAINT_HANDLER],
        )
        .distinct()
        .order_by("pk")
    )
    if not candidates:
        return None
    # The maintained counts (complaints.services.load), not a count of the
    # complaints table: one primary-key read whatever the table's size.
    load = dict(
        AgentLoad.objects.filter(user_id__in=[u.pk for u in candidates]).values_list(
            "user_id", "open_count"
        )
    )
    return min(candidates, key=lambda u: (load.get(u.pk, 0), u.pk))


def _validate_choice(value, choices, field):
    if value not in choices.values:
        raise InvalidInput(
            _("“%(value)s” is not a valid choice.") % {"value": value}, field=field
        )


@dataclass(frozen=True)
class _Details:
    """What the complaint is about, checked (step 2 of intake)."""

    channel: str
    severity: str
    category: Category
    subcategory: Category | None
    subject: str
    description: str
    occurred_at: datetime | None
    received_at: datetime
    now: datetime


@transaction.atomic
def complaint_receive(
    *,
    actor,
    customer,
    channel: str,
    category,
    subject: str,
    description: str,
    severity: str | None = None,
    subcategory=None,
    order_number: str = "",
    occurred_at: datetime | None = None,
    desired_resolution: str = "",
    received_at: datetime | None = None,
    source_partner=None,
    attributed_staff=None,
    attach_outside_scope: bool = False,
) -> Complaint:
    """Register a complaint (status ``received``).

    ``actor`` is the staff member registering it, or ``None`` for partner intake.
    Issues the reference, picks the SLA policy, starts the first response,
    analysis, reply and resolution clocks from ``received_at`` (which may be
    earlier than now for letters and on-site complaints, never later), routes it
    to a team and agent by the assignment rules, and writes the ``created``,
    ``sla_started`` and ``assigned`` events.

    A staff ``actor`` files only for a customer in their scope and about a
    colleague of their department (``InvalidInput`` otherwise: a forged form
    cannot reach other departments). ``attach_outside_scope`` lifts the customer
    check where the customer was not chosen but found by the caller's phone or
    e-mail (staff intake through the API, see docs/api.md).

    Follow-ups: the new assignee is notified; training's attitude rule runs when
    a staff member is attributed; the partner's ``complaint.created`` webhook.
    """
    _check_parties(
        actor,
        customer=customer,
        attributed_staff=attributed_staff,
        attach_outside_scope=attach_outside_scope,
    )
    details = _validate(
        channel=channel,
        severity=severity,
        category=category,
        subcategory=subcategory,
        subject=subject,
        description=description,
        occurred_at=occurred_at,
        received_at=received_at,
    )
    team, assignee, department_id = _route_to(details, actor=actor, customer=customer)
    complaint = Complaint.objects.create(
        reference=reference_next(day=timezone.localdate(details.now)),
        customer=customer,
        channel=details.channel,
        category=details.category,
        subcategory=details.subcategory,
        severity=details.severity,
        subject=details.subject[:200],
        description=details.description,
        order_number=(order_number or "").strip(),
        occurred_at=details.occurred_at,
        desired_resolution=desired_resolution or "",
        received_at=details.received_at,
        source_partner=source_partner,
        attributed_staff=attributed_staff,
        created_by=actor,
        team=team,
        department_id=department_id,
        assignee=assignee,
        sla_policy=sla.policy_for(
            channel=details.channel,
            severity=details.severity,
            category=details.category,
        ),
    )
    _record_intake(complaint, actor=actor, team=team, assignee=assignee)

    if assignee is not None:
        _notify_assignee(complaint, assignee, actor=actor)
    if attributed_staff is not None:
        followups.on_attribution_changed(complaint=complaint, actor=actor)
    followups.on_complaint_created(complaint=complaint, actor=actor)
    return complaint


def _check_parties(actor, *, customer, attributed_staff, attach_outside_scope) -> None:
    """Step 1: the actor may receive complaints, for this customer (unless found
    by the caller's contact details), about this colleague."""
    permissions.require_role(actor, permissions.RECEIVERS)
    # Partner intake has no actor (the partner's customer is its own).
    if not attach_outside_scope:
        scoping.require_visible(actor, customer, field="customer")
    scoping.require_colleague(actor, attributed_staff, field="attributed_staff")


def _validate(
    *,
    channel,
    severity,
    category,
    subcategory,
    subject,
    description,
    occurred_at,
    received_at,
) -> _Details:
    """Step 2: choices, categories, texts and times, or ``InvalidInput``."""
    _validate_choice(channel, Complaint.Channel, "channel")
    severity = severity or Complaint.Severity.NORMAL
    _validate_choice(severity, Complaint.Severity, "severity")
    category = resolve_category(category)
    if subcategory:
        subcategory = resolve_category(
            subcategory, field="subcategory", parent=category
        )
    subject = (subject or "").strip()
    description = (description or "").strip()
    if not subject:
        raise InvalidInput(_("A subject is required."), field="subject")
    if not description:
        raise InvalidInput(_("A description is required."), field="description")
    now = clock.now()
    received_at = received_at or now
    if timezone.is_naive(received_at):
        raise InvalidInput(_("The time must include a time zone."), field="received_at")
    if received_at > now:
        raise InvalidInput(
            _("The received time cannot be in the future."), field="received_at"
        )
    if occurred_at and occurred_at > now:
        raise InvalidInput(
            _("The time of the incident cannot be in the future."), field="occurred_at"
        )
    return _Details(
        channel=channel,
        severity=severity,
        category=category,
        subcategory=subcategory or None,
        subject=subject,
        description=description,
        occurred_at=occurred_at,
        received_at=received_at,
        now=now,
    )


def _route_to(details: _Details, *, actor, customer):
    """Step 3: (team, assignee, department id) by the assignment rules; without
    a rule the receiving staff member's team, and the department of the team,
    else of the customer, else of the actor (ids: no read of the department).

    A front-line receiver (agent, handler) who takes the call keeps it: they own
    it unless a rule routes it to another team (then the least-loaded colleague
    there, or the team's queue)."""
    team, assignee = route(category=details.category, channel=details.channel)
    if team is None and actor is not None and actor.team_id:
        team = actor.team
    if team is None and details.channel == Complaint.Channel.EMAIL:
        team = inbound_default_team()
    if (
        actor is not None
        and actor.team_id
        and team is not None
        and team.pk == actor.team_id
        and permissions.is_front_line(actor)
    ):
        assignee = actor
    department_id = (
        team.department_id
        if team is not None
        else customer.department_id or (actor.department_id if actor else None)
    )
    return team, assignee, department_id


def _record_intake(complaint: Complaint, *, actor, team, assignee) -> None:
    """Step 4: the ``created`` event, the intake clocks (their due times mirrored
    on the complaint) and, when routed, the ``assigned`` event."""
    event_record(
        complaint=complaint,
        kind=ComplaintEvent.Kind.CREATED,
        actor=actor,
        to_status=complaint.status,
        customer_visible=True,
        data={
            "channel": complaint.channel,
            "received_at": complaint.received_at.isoformat(),
        },
    )
    sla.sla_start_many(
        complaint=complaint,
        kinds=sla.INTAKE_KINDS,
        started_at=complaint.received_at,
        actor=actor,
    )
    if assignee is not None or team is not None:
        event_record(
            complaint=complaint,
            kind=ComplaintEvent.Kind.ASSIGNED,
            actor=actor,
            data={
                "assignee": assignee.pk if assignee else None,
                "team": team.pk if team else None,
                "rule": True,
            },
        )
    complaint.save(update_fields=[due for _m, due, _met in sla.TARGET_FIELDS.values()])
    # The assignee's open count, in this transaction (complaints.services.load).
    complaint._load_key = (complaint.assignee_id, complaint.status)
    load_move(None, complaint._load_key)
