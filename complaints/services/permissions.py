"""Who may do what to a complaint (DESIGN §2), checked inside every service.

The row rule is ``crm.scoping`` (team, department, assignee, unassigned-in-team);
on top of it each action names the roles that may perform it. ``actor=None``
means the system (partner intake, the SLA job) and is always allowed.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from config.errors import NotPermitted
from crm import scoping
from crm.roles import Role

WORKERS = frozenset(
    {Role.AGENT, Role.COMPLAINT_HANDLER, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}
)
RESOLVERS = frozenset(
    {Role.COMPLAINT_HANDLER, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}
)
LEADS = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.ADMIN})
MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})
RECEIVERS = frozenset(
    {
        Role.AGENT,
        Role.COMPLAINT_HANDLER,
        Role.SUPERVISOR,
        Role.MANAGER,
        Role.ADMIN,
        Role.ACCOUNT_MANAGER,
        # A revisit that finds a problem registers it as a new complaint.
        Role.RELATIONS_SPECIALIST,
    }
)
SURVEY_RECORDERS = frozenset(
    {
        Role.AGENT,
        Role.COMPLAINT_HANDLER,
        Role.SUPERVISOR,
        Role.MANAGER,
        Role.ADMIN,
        Role.RELATIONS_SPECIALIST,
    }
)
CONFIRMERS = WORKERS | {Role.RELATIONS_SPECIALIST, Role.ACCOUNT_MANAGER}


def _roles(actor) -> frozenset[str]:
    if actor.is_superuser:
        return frozenset({Role.ADMIN}) | scoping.user_roles(actor)
    return scoping.user_roles(actor)


def has_role(actor, roles: frozenset[str]) -> bool:
    """Whether ``require_role(actor, roles)`` lets ``actor`` through."""
    return actor is None or (actor.is_active and bool(_roles(actor) & roles))


def require_role(actor, roles: frozenset[str]) -> None:
    if actor is None:
        return
    if not actor.is_active or not (_roles(actor) & roles):
        raise NotPermitted(_("Your role may not perform this action."))


def require_scope(actor, complaint) -> None:
    """The complaint must be in the actor's scope (team, department, own rows)."""
    if actor is None or scoping.sees_everything(actor):
        return
    if getattr(complaint, "assignee_id", None) == actor.pk:
        return  # the assignee always owns it (saves a query on the hot path)
    # Work, not only read: the registrant of a complaint routed elsewhere reads it.
    if not scoping.can_work(actor, complaint):
        raise NotPermitted(_("This complaint is outside your scope."))


def require(actor, complaint, roles: frozenset[str]) -> None:
    require_role(actor, roles)
    require_scope(actor, complaint)


def compensation_limit(actor) -> Decimal | None:
    """The most compensation ``actor`` may grant; ``None`` = no limit."""
    if actor is None:
        return None
    roles = _roles(actor)
    if roles & MANAGERS:
        return None
    if Role.SUPERVISOR in roles:
        return Decimal(str(settings.KEFU_COMPENSATION_LIMIT_SUPERVISOR))
    return Decimal(str(settings.KEFU_COMPENSATION_LIMIT_HANDLER))


def is_front_line(actor) -> bool:
    return (
        actor is not None
        and bool(_roles(actor) & {Role.AGENT, Role.COMPLAINT_HANDLER})
        and not (_roles(actor) & LEADS)
    )
