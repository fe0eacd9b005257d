"""Who may do what to a service order: roles per action, then the row scope
of ``crm.scoping`` (department, team, owner, the technician's own visits).
``actor=None`` is the system (partner intake, complaint follow-up, tasks)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from config.errors import NotPermitted
from crm import scoping
from crm.roles import Role

LEADS = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.ADMIN})
DESK = LEADS | {Role.AGENT, Role.COMPLAINT_HANDLER}
FIELD = LEADS | {Role.TECHNICIAN, Role.COMPLAINT_HANDLER}


def roles_of(actor) -> frozenset[str]:
    roles = scoping.user_roles(actor)
    if actor.is_superuser:
        roles = roles | {Role.ADMIN}
    return roles


def has_role(actor, roles) -> bool:
    return actor is None or (actor.is_active and bool(roles_of(actor) & roles))


def require_role(actor, roles) -> None:
    if not has_role(actor, roles):
        raise NotPermitted(_("Your role may not perform this action."))


def require_scope(actor, order) -> None:
    if actor is None or scoping.sees_everything(actor):
        return
    if not scoping.can_work(actor, order):
        raise NotPermitted(_("This service order is outside your scope."))


def require(actor, order, roles) -> None:
    require_role(actor, roles)
    require_scope(actor, order)
