"""Which objects may this user see or change: the one place that answers it.

The admin, the manager pages, the API and the tasks all narrow querysets through
``visible_to(user, queryset)`` (and partners through ``visible_to_partner``). Each
scoped model registers how its rows relate to the organisation — the lookup path to
its department, its team, the staff who "own" it and the partner it came from — and
which roles see it whole. The rules per role are then the same for every model:

============================  ===============================================
role                          rows visible
============================  ===============================================
superuser, admin              all
role listed in ``everyone``   all (e.g. trainers on training records)
manager                       their department
supervisor                    the teams they supervise or belong to
agent, complaint handler      their own rows, plus unassigned rows of their team
every other staff role        their own rows
partner (API key)             rows whose partner path is the partner
============================  ===============================================

A model may widen the department rule to more roles (``department_roles``), e.g.
agents look up any customer of their department when a caller phones in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext

from config.errors import InvalidInput
from crm.roles import STAFF_ROLES, Role


@dataclass(frozen=True)
class ScopePaths:
    """How one model's rows hang off the organisation (ORM lookup paths)."""

    department: str | None = None
    team: str | None = None
    owners: tuple[str, ...] = ()
    # Owner paths that let the staff member read the row, not work on it (the
    # registrant of a complaint routed to a colleague); ``can_work`` leaves them out.
    readers: tuple[str, ...] = ()
    partner: str | None = None
    # The owner path whose NULL means "unassigned" (agents pick those up in their team).
    assignee: str | None = None
    everyone: frozenset[str] = field(default_factory=frozenset)
    department_roles: frozenset[str] = frozenset({Role.MANAGER})
    team_roles: frozenset[str] = frozenset({Role.SUPERVISOR})


# Front-line staff must find any caller of their department.
CUSTOMER_DEPARTMENT_ROLES = frozenset(
    {
        Role.MANAGER,
        Role.SUPERVISOR,
        Role.AGENT,
        Role.COMPLAINT_HANDLER,
        Role.RELATIONS_SPECIALIST,
        Role.QA_INSPECTOR,
    }
)

# Registry keyed by "app_label.ModelName". Each app's issue adds its models here.
SCOPES: dict[str, ScopePaths] = {
    "crm.User": ScopePaths(
        department="department",
        team="team",
        owners=("pk",),
        everyone=frozenset({Role.TRAINER, Role.QA_INSPECTOR}),
    ),
    # Every staff member sees their own team and department (to file a customer
    # or complaint under them); supervisors their teams, managers their department.
    "crm.Team": ScopePaths(
        department="department",
        team="pk",
        everyone=frozenset({Role.TRAINER, Role.QA_INSPECTOR}),
        team_roles=frozenset(STAFF_ROLES),
    ),
    "crm.Department": ScopePaths(
        department="pk",
        everyone=frozenset({Role.TRAINER, Role.QA_INSPECTOR}),
        department_roles=frozenset(STAFF_ROLES),
    ),
    # Not personal data: the list of partner organisations is open to staff (the
    # model permissions decide who has the page); a partner sees itself.
    "crm.PartnerOrganisation": ScopePaths(
        partner="pk", everyone=frozenset(STAFF_ROLES)
    ),
    # Roles are choices on the staff form (the user services decide who may grant
    # which); single permissions are for administrators only.
    "auth.Group": ScopePaths(everyone=frozenset(STAFF_ROLES)),
    "auth.Permission": ScopePaths(),
    "crm.Customer": ScopePaths(
        department="department",
        team="owner__team",
        owners=("owner",),
        partner="partner",
        department_roles=CUSTOMER_DEPARTMENT_ROLES,
    ),
    "crm.Contact": ScopePaths(
        department="customer__department",
        team="customer__owner__team",
        owners=("customer__owner",),
        partner="customer__partner",
        department_roles=CUSTOMER_DEPARTMENT_ROLES,
    ),
    "crm.CustomerExternalId": ScopePaths(
        department="customer__department",
        team="customer__owner__team",
        owners=("customer__owner",),
        partner="partner",
        department_roles=CUSTOMER_DEPARTMENT_ROLES,
    ),
    "crm.Interaction": ScopePaths(
        department="customer__department",
        team="staff__team",
        owners=("staff", "customer__owner"),
        department_roles=CUSTOMER_DEPARTMENT_ROLES,
    ),
    # Relations specialists work the revisits of their whole department; account
    # managers see those of their customers; supervisors those of their team.
    "crm.Revisit": ScopePaths(
        department="customer__department",
        team="assignee__team",
        owners=("assignee", "customer__owner"),
        partner="customer__partner",
        department_roles=frozenset({Role.MANAGER, Role.RELATIONS_SPECIALIST}),
    ),
    "crm.RevisitRule": ScopePaths(everyone=frozenset(Role)),
    # Privacy requests and the access log: managers of the customer's department.
    "crm.PrivacyRequest": ScopePaths(
        department="customer__department", owners=("recorded_by",)
    ),
    # The access log: its department is whose data was read (see the model).
    "crm.PersonalDataAccess": ScopePaths(department="department"),
    # Everyone sees only their own notifications.
    "crm.Notification": ScopePaths(owners=("recipient",)),
}


def register_scopes(entries: dict[str, ScopePaths]) -> None:
    """Add scope rules for an app's models; apps call this from ``AppConfig.ready``."""
    SCOPES.update(entries)


class ScopeNotRegistered(LookupError):
    """A queryset of a model with no scope rule was asked to be scoped."""


def scope_for(model: type[Model]) -> ScopePaths:
    key = f"{model._meta.app_label}.{model.__name__}"
    try:
        return SCOPES[key]
    except KeyError:
        raise ScopeNotRegistered(f"no scope rule registered for {key}") from None


def user_roles(user) -> frozenset[str]:
    """The role codes of a staff user (their group names), cached on the instance."""
    if not getattr(user, "is_authenticated", False) or not hasattr(user, "groups"):
        # Anonymous, or an API-key principal (partners have no staff roles).
        return frozenset()
    cached = getattr(user, "_kefu_roles", None)
    if cached is None:
        valid = {r.value for r in Role}
        cached = frozenset(
            name for name in user.groups.values_list("name", flat=True) if name in valid
        )
        user._kefu_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def sees_everything(user) -> bool:
    return bool(
        getattr(user, "is_superuser", False) and user.is_active
    ) or Role.ADMIN in user_roles(user)


def _supervised_team_ids(user) -> list[int]:
    cached = getattr(user, "_kefu_team_ids", None)
    if cached is None:
        from crm.models import Team

        ids = set(
            Team.objects.filter(supervisor_id=user.pk).values_list("pk", flat=True)
        )
        if user.team_id:
            ids.add(user.team_id)
        cached = sorted(ids)
        user._kefu_team_ids = cached
    return cached


def _user_filter(user, paths: ScopePaths, *, readers: bool = True) -> Q | None:
    """The Q of rows the user sees (without ``readers``: works on), or None for
    "all rows"."""
    roles = user_roles(user)
    if roles & paths.everyone:
        return None
    clauses: list[Q] = []
    if paths.department and roles & paths.department_roles and user.department_id:
        clauses.append(Q(**{paths.department: user.department_id}))
    if paths.team and roles & paths.team_roles:
        team_ids = _supervised_team_ids(user)
        if team_ids:
            clauses.append(Q(**{f"{paths.team}__in": team_ids}))
    if roles:
        for owner in paths.owners + (paths.readers if readers else ()):
            clauses.append(Q(**{owner: user.pk}))
    if (
        paths.assignee
        and paths.team
        and roles & {Role.AGENT, Role.COMPLAINT_HANDLER}
        and user.team_id
    ):
        clauses.append(
            Q(**{f"{paths.assignee}__isnull": True, paths.team: user.team_id})
        )
    if not clauses:
        return Q(pk__in=[])
    return reduce(or_, clauses)


def visible_to(user, queryset: QuerySet) -> QuerySet:
    """Narrow ``queryset`` to the rows ``user`` may see.

    ``user`` may also be an API-key principal (``partners.api.authentication.
    PartnerClient``): it sees the rows of its partner organisation only.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if not hasattr(user, "groups"):
        return visible_to_partner(getattr(user, "partner", None), queryset)
    if sees_everything(user):
        return queryset
    condition = _user_filter(user, scope_for(queryset.model))
    if condition is None:
        return queryset
    # distinct is unnecessary: every path above is a forward FK (no row doubling).
    return queryset.filter(condition)


def visible_to_partner(partner, queryset: QuerySet) -> QuerySet:
    """Narrow ``queryset`` to the rows of one partner organisation."""
    paths = scope_for(queryset.model)
    if partner is None or paths.partner is None or not partner.is_active:
        return queryset.none()
    return queryset.filter(**{paths.partner: partner.pk})


def can_view(user, obj: Model) -> bool:
    model = type(obj)
    return visible_to(user, model._default_manager.filter(pk=obj.pk)).exists()


def can_work(user, obj: Model) -> bool:
    """``can_view`` without the read-only paths (``ScopePaths.readers``)."""
    model = type(obj)
    queryset = model._default_manager.filter(pk=obj.pk)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if not hasattr(user, "groups"):
        return visible_to_partner(getattr(user, "partner", None), queryset).exists()
    if sees_everything(user):
        return True
    condition = _user_filter(user, scope_for(model), readers=False)
    return (queryset if condition is None else queryset.filter(condition)).exists()


def can_change(user, obj: Model) -> bool:
    """Model permission to change plus the row in the user's scope."""
    meta = obj._meta
    if not user.has_perm(f"{meta.app_label}.change_{meta.model_name}"):
        return False
    return can_view(user, obj)


def require_visible(actor, obj: Model | None, *, field: str) -> None:
    """Refuse a foreign object the acting staff member may not see.

    Services call this for every object a staff member hands them (a customer,
    a colleague, a complaint...), so that a forged form or API request cannot
    attach work to rows outside the actor's scope. The refusal reads like an
    unknown id (``InvalidInput``, code ``invalid_choice``): it tells nothing about
    rows outside the scope. ``actor`` None (system jobs, partner intake) and an
    empty ``obj`` pass.
    """
    if actor is None or obj is None or can_view(actor, obj):
        return
    raise InvalidInput(
        gettext(
            "Select a valid choice. That choice is not one of the available choices."
        ),
        field=field,
        code="invalid_choice",
    )


def require_colleague(actor, staff: Model | None, *, field: str) -> None:
    """Refuse naming a staff member (the person a complaint is about, the owner
    of a revisit or an action) outside the actor's department and scope.

    Front-line staff see only their own staff record, yet name colleagues of their
    department in their work; anyone else is refused like ``require_visible``.
    """
    if actor is None or staff is None:
        return
    department = getattr(actor, "department_id", None)
    if department is not None and staff.department_id == department:
        return
    require_visible(actor, staff, field=field)
