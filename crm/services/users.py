"""Staff accounts: who may manage whose account, and the writes that obey it.

The one place that decides the rules of user management (issue 11); the admin
asks these functions which pages, fields and roles to offer, and saves through
them, so a forged POST meets the same checks as the form.

Rules:

- **Reach.** A superuser manages every account. Anyone else needs the
  ``crm.change_user`` permission and then manages only accounts that are

  * not their own (the password of one's own account is changed on Django's
    password-change page, which asks for the old password),
  * not a superuser's,
  * of strictly lower rank than their own (``crm.roles.ROLE_RANK``: admin >
    manager > supervisor > the specialist roles); an account holding a group that
    is not a staff role, or permissions granted directly, ranks as a superuser's,
  * visible to them (``crm.scoping``) and, unless they see everything (admin
    role), in their own department.

  So a manager manages the supervisors, agents, complaint handlers, account
  managers, relations specialists, QA inspectors and trainers of their own
  department, and no manager, admin or superuser.
- **Fields.** Within reach, the details (name, numbers, contact) and the placement
  (department, team, reports-to) may change, the account may be (de)activated,
  its password set, and roles granted or removed that rank strictly below the
  actor's own. Only a superuser changes superuser status, staff status and
  directly granted permissions, and grants roles that are not ranked below theirs
  (admin, partner, custom groups).
- **Self.** Nobody — a superuser included — changes their own roles, superuser or
  staff status, active flag or permissions, so that nobody raises themselves nor
  locks themselves out by accident; another superuser, or ``manage.py``, does it.
- **Placement.** An actor who does not see everything places staff only in their
  own department, in its teams, reporting to staff they can see.
- **New accounts** are staff logins (``is_staff``: Kefu has no other kind of
  login; partners use API keys) and need both the add and change permissions
  (Django's own rule, so that adding cannot be a way around changing).

Every refusal raises ``NotPermitted`` (or ``InvalidInput`` for inconsistent
data) before anything is written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from config.errors import InvalidInput, NotPermitted
from crm import scoping
from crm.models import Team, User
from crm.roles import ROLE_RANK, STAFF_ROLES, Role, role_rank

logger = logging.getLogger(__name__)

# Above every role: superusers, and accounts only a superuser may manage.
SUPERUSER_RANK = max(ROLE_RANK.values()) + 1

DETAIL_FIELDS = frozenset(
    {
        "username",
        "employee_no",
        "name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "hired_on",
    }
)
PLACEMENT_FIELDS = frozenset({"department", "team", "supervisor"})
# What a person's reach and powers consist of; never editable on one's own account.
ROLE_FIELDS = frozenset(
    {"is_active", "is_staff", "is_superuser", "groups", "user_permissions"}
)
SUPERUSER_ONLY_FIELDS = frozenset({"is_staff", "is_superuser", "user_permissions"})
M2M_FIELDS = frozenset({"groups", "user_permissions"})
WRITABLE_FIELDS = DETAIL_FIELDS | PLACEMENT_FIELDS | ROLE_FIELDS


# --- reach ------------------------------------------------------------------------


def _is_staff_actor(actor) -> bool:
    return (
        getattr(actor, "is_authenticated", False)
        and getattr(actor, "is_active", False)
        and hasattr(actor, "groups")  # not an API-key principal
    )


def actor_is_superuser(actor) -> bool:
    """An active superuser logged in as staff (not an API-key principal)."""
    return _is_staff_actor(actor) and actor.is_superuser


def actor_rank(actor) -> int:
    """The authority of ``actor`` over other accounts (see ``crm.roles``)."""
    if not _is_staff_actor(actor):
        return -1
    if actor.is_superuser:
        return SUPERUSER_RANK
    return role_rank(scoping.user_roles(actor))


def account_rank(user: User) -> int:
    """The rank one needs to exceed to manage ``user``'s account."""
    if user.is_superuser:
        return SUPERUSER_RANK
    names = {group.name for group in user.groups.all()}  # prefetched in the admin
    if names - set(ROLE_RANK) or user.user_permissions.exists():
        return SUPERUSER_RANK
    return role_rank(names)


def _in_department_reach(actor, user: User) -> bool:
    if not scoping.visible_to(actor, User.objects.filter(pk=user.pk)).exists():
        return False
    if scoping.sees_everything(actor):
        return True
    return actor.department_id is not None and (
        user.department_id == actor.department_id
    )


def user_refusal(*, actor, user: User) -> str | None:
    """Why ``actor`` may not manage ``user``'s account, or None when they may."""
    if not _is_staff_actor(actor):
        return _("You may not manage staff accounts.")
    if actor.is_superuser:
        return None
    if not actor.has_perm("crm.change_user"):
        return _("You may not manage staff accounts.")
    if user.pk == actor.pk:
        return _(
            "You cannot change your own account here; change your password "
            "with “Change password”."
        )
    if user.is_superuser:
        return _("Only a superuser may change a superuser's account.")
    if not _in_department_reach(actor, user):
        return _("You may only manage staff of your own department.")
    if account_rank(user) >= actor_rank(actor):
        return _(
            "Only a superuser may change the account of someone whose role is "
            "at or above your own."
        )
    return None


def user_can_manage(*, actor, user: User) -> bool:
    """May ``actor`` change ``user``'s account and set their password?"""
    return user_refusal(actor=actor, user=user) is None


def users_manageable_by(*, actor) -> QuerySet[User]:
    """The accounts ``actor`` may manage: ``user_refusal``'s rules as a query
    (for choices and lists; the two agree, a test holds them together)."""
    accounts = User.objects.all()
    if actor_is_superuser(actor):
        return accounts
    grantable = user_grantable_roles(actor=actor)
    if not grantable:  # rank 0 or no permission: below every account
        return accounts.none()
    accounts = (
        scoping.visible_to(actor, accounts)
        .exclude(pk=actor.pk)
        .filter(is_superuser=False)
        .exclude(groups__in=Group.objects.exclude(name__in=grantable))
        .exclude(user_permissions__isnull=False)
    )
    if scoping.sees_everything(actor):
        return accounts
    if actor.department_id is None:
        return accounts.none()
    return accounts.filter(department_id=actor.department_id)


def _can_add(actor) -> bool:
    return actor_is_superuser(actor) or (
        _is_staff_actor(actor)
        and actor.has_perm("crm.add_user")
        and actor.has_perm("crm.change_user")
    )


def user_grantable_roles(*, actor) -> frozenset[str] | None:
    """Role codes ``actor`` may grant or remove; None means every group."""
    if actor_is_superuser(actor):
        return None
    if not _is_staff_actor(actor) or not actor.has_perm("crm.change_user"):
        return frozenset()
    rank = actor_rank(actor)
    return frozenset(role.value for role in STAFF_ROLES if ROLE_RANK[role] < rank)


def user_grantable_groups(*, actor) -> QuerySet[Group]:
    """The groups ``actor`` may grant: the choices of the admin's roles field."""
    names = user_grantable_roles(actor=actor)
    groups = Group.objects.order_by("name")
    return groups if names is None else groups.filter(name__in=names)


def user_editable_fields(*, actor, user: User | None = None) -> frozenset[str]:
    """The fields ``actor`` may set on ``user`` (on a new account when None)."""
    if user is None:
        if actor_is_superuser(actor):
            return WRITABLE_FIELDS
        if not _can_add(actor):
            return frozenset()
        fields = DETAIL_FIELDS | PLACEMENT_FIELDS
        return fields | {"groups"} if user_grantable_roles(actor=actor) else fields
    if not user_can_manage(actor=actor, user=user):
        return frozenset()
    fields = DETAIL_FIELDS | PLACEMENT_FIELDS
    if user.pk == actor.pk:
        return fields
    if actor.is_superuser:
        return fields | ROLE_FIELDS
    return fields | {"is_active", "groups"}


def _field_labels(fields: Iterable[str]) -> str:
    return "、".join(
        str(User._meta.get_field(name).verbose_name) for name in sorted(fields)
    )


def user_check_fields(*, actor, user: User | None, fields: Iterable[str]) -> None:
    """Refuse when ``actor`` may not set every one of ``fields`` on ``user``.

    The admin calls this with the protected fields a POST carried although its
    form did not offer them (a forged request).
    """
    fields = set(fields)
    if not fields:
        return
    if user is not None:
        refusal = user_refusal(actor=actor, user=user)
        if refusal is not None:
            raise NotPermitted(refusal)
    _check_editable(actor, user, fields)


def _check_editable(actor, user: User | None, fields: set[str]) -> None:
    unknown = fields - WRITABLE_FIELDS
    if unknown:
        raise InvalidInput(
            _("These fields cannot be set: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    refused = fields - user_editable_fields(actor=actor, user=user)
    if refused:
        raise NotPermitted(
            _("You may not change: %(fields)s.") % {"fields": _field_labels(refused)}
        )


# --- value checks -----------------------------------------------------------------


def _check_roles(actor, added: Iterable[Group], removed: Iterable[Group]) -> None:
    grantable = user_grantable_roles(actor=actor)
    if grantable is None:
        return
    refused = sorted(
        {g.name for g in added} - grantable | {g.name for g in removed} - grantable
    )
    if refused:
        labels = [str(Role(n).label) if n in Role.values else n for n in refused]
        raise NotPermitted(
            _("You may not grant or remove the role: %(roles)s.")
            % {"roles": "、".join(labels)},
            field="groups",
        )


def _check_placement(
    actor, user: User | None, values: dict, changed: Iterable[str]
) -> None:
    """``values``: department, team and reports-to of the account after the
    change; ``changed``: which of them the actor sets."""
    department = values.get("department")
    team = values.get("team")
    supervisor = values.get("supervisor")
    if user is not None and supervisor is not None and supervisor.pk == user.pk:
        raise InvalidInput(
            _("A staff member cannot report to themselves."), field="supervisor"
        )
    if (
        team is not None
        and department is not None
        and team.department_id != (department.pk)
    ):
        raise InvalidInput(_("The team belongs to another department."), field="team")
    if scoping.sees_everything(actor):
        return
    if "department" in changed and (
        department is None
        or actor.department_id is None
        or department.pk != actor.department_id
    ):
        raise NotPermitted(
            _("Staff can only be placed in your own department."), field="department"
        )
    if (
        "team" in changed
        and team is not None
        and not scoping.visible_to(actor, Team.objects.filter(pk=team.pk)).exists()
    ):
        raise NotPermitted(
            _("Staff can only be placed in a team of your own department."),
            field="team",
        )
    if (
        "supervisor" in changed
        and supervisor is not None
        and not scoping.visible_to(
            actor, User.objects.filter(pk=supervisor.pk)
        ).exists()
    ):
        raise NotPermitted(
            _("Staff can only report to someone of your own department."),
            field="supervisor",
        )


def _full_clean(user: User, *, fields: Iterable[str]) -> None:
    checked = set(fields)
    exclude = [f.name for f in User._meta.concrete_fields if f.name not in checked]
    try:
        user.full_clean(exclude=exclude)
    except ValidationError as exc:
        errors = exc.message_dict
        field = next(iter(errors), None)
        message = " ".join(m for messages in errors.values() for m in messages)
        raise InvalidInput(message, field=field) from None


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from None


def _current(user: User, name: str):
    if name in M2M_FIELDS:
        return set(getattr(user, name).all())
    return getattr(user, name)


def _normalised(name: str, value):
    return set(value or ()) if name in M2M_FIELDS else value


# --- writes -----------------------------------------------------------------------


@transaction.atomic
def user_create(*, actor, username: str, password: str | None, **fields) -> User:
    """Create a staff account as ``actor``.

    ``fields`` are any of ``WRITABLE_FIELDS``; ``password`` None makes an account
    that cannot log in with a password. The account is a staff login; a manager's
    new staff member is in the manager's department unless told otherwise (and
    may not be anywhere else). Refused fields or roles raise; nothing is saved.
    """
    if not _can_add(actor):
        raise NotPermitted(_("You may not add staff accounts."))
    fields = {
        name: value
        for name, value in fields.items()
        if value is not None and value != "" and _normalised(name, value) != set()
    }
    user_check_fields(actor=actor, user=None, fields=fields)
    if (
        not scoping.sees_everything(actor)
        and "department" not in fields
        and actor.department_id is not None
    ):
        fields["department"] = actor.department
    m2m = {name: fields.pop(name) for name in M2M_FIELDS & fields.keys()}
    _check_roles(actor, added=m2m.get("groups", ()), removed=())
    _check_placement(actor, None, fields, changed={"department", *fields})
    user = User(username=username, is_staff=True, **fields)
    if password is None:
        user.set_unusable_password()
    else:
        _validate_password(password, user)
        user.set_password(password)
    _full_clean(user, fields={"username", "password", *fields})
    user.save()
    for name, values in m2m.items():
        getattr(user, name).set(values)
    logger.info("staff account %s created by %s", user.pk, actor.pk)
    return user


@transaction.atomic
def user_update(*, actor, user: User, **changes) -> User:
    """Change ``user``'s account as ``actor``; returns the saved account.

    ``changes`` are any of ``WRITABLE_FIELDS`` (groups and permissions as the
    complete new sets). Only values that differ count as changes; when none does,
    nothing is written. The account is re-read under a row lock, so the checks
    see the stored roles, not a form's unsaved values.
    """
    unknown = set(changes) - WRITABLE_FIELDS
    if unknown:
        raise InvalidInput(
            _("These fields cannot be set: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    locked = User.objects.select_for_update().get(pk=user.pk)
    refusal = user_refusal(actor=actor, user=locked)
    if refusal is not None:
        raise NotPermitted(refusal)
    changed = {
        name: _normalised(name, value)
        for name, value in changes.items()
        if _normalised(name, value) != _current(locked, name)
    }
    if not changed:
        return locked
    _check_editable(actor, locked, set(changed))
    if "groups" in changed:
        before = _current(locked, "groups")
        _check_roles(
            actor, added=changed["groups"] - before, removed=before - changed["groups"]
        )
    placement = {
        name: changed.get(name, getattr(locked, name)) for name in PLACEMENT_FIELDS
    }
    _check_placement(actor, locked, placement, changed=changed)
    simple = {name: value for name, value in changed.items() if name not in M2M_FIELDS}
    for name, value in simple.items():
        setattr(locked, name, value)
    if simple:
        _full_clean(locked, fields=simple)
        locked.save(update_fields=sorted(simple))
    for name in M2M_FIELDS & changed.keys():
        getattr(locked, name).set(changed[name])
    logger.info(
        "staff account %s changed by %s: %s", locked.pk, actor.pk, sorted(changed)
    )
    return locked


@transaction.atomic
def user_set_password(*, actor, user: User, password: str | None) -> User:
    """Set ``user``'s password as ``actor`` (None: no password login).

    Only within reach (see the module): nobody but a superuser sets the password
    of a superuser, of someone at or above their own rank, or their own here.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    refusal = user_refusal(actor=actor, user=locked)
    if refusal is not None:
        raise NotPermitted(refusal)
    if password is None:
        locked.set_unusable_password()
    else:
        _validate_password(password, locked)
        locked.set_password(password)
    locked.save(update_fields=["password"])
    logger.info("password of staff account %s set by %s", locked.pk, actor.pk)
    return locked
