"""Reads of crm (house style rule 4): every list or lookup of staff, customers,
revisits, notifications and privacy records made by the admin, the API and the
tasks starts here.

A scoped selector takes the reader (``user``: a staff member, or a partner's
API-key principal) and first narrows to what it may see
(``crm.scoping.visible_to``), then filters, then joins. A selector without a
``user`` is a *system read* for a sweep or task (no actor, unscoped by design);
its docstring begins with "System read". Services read the rows they change
themselves (locked), not through selectors.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Model, OuterRef, Q, QuerySet, Subquery
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from crm import pii, scoping
from crm.models import (
    Contact,
    Customer,
    CustomerExternalId,
    Department,
    Interaction,
    Notification,
    PersonalDataAccess,
    PrivacyRequest,
    Revisit,
    RevisitRule,
    Team,
    User,
)
from crm.roles import STAFF_ROLES, Role

# Roles whose work needs a customer's phone, e-mail and address unmasked.
PERSONAL_DATA_ROLES = frozenset(
    {
        Role.ADMIN,
        Role.MANAGER,
        Role.SUPERVISOR,
        Role.AGENT,
        Role.COMPLAINT_HANDLER,
        Role.ACCOUNT_MANAGER,
        Role.RELATIONS_SPECIALIST,
    }
)


def sees_personal_data(user) -> bool:
    """May ``user`` see customers' identifiers unmasked? (Each view is logged.)"""
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return bool(scoping.user_roles(user) & PERSONAL_DATA_ROLES)


def identifier_lookup(*, user, term: str, prefix: str = "") -> Q | None:
    """The filter matching ``term`` as a whole phone number or e-mail address
    (through the lookup digests; ``prefix`` is the path to the customer, e.g.
    ``"customer__"``), or None when ``term`` is neither — or when ``user`` may not
    see personal data: masked roles (QA inspectors, trainers) never search by
    phone or e-mail, so no search can tell them whose number it is."""
    if not sees_personal_data(user):
        return None
    term = term.strip()
    if "@" in term:
        digests = pii.email_digests(term)
        return Q(**{f"{prefix}email_digest__in": digests}) if digests else None
    digits = term.replace(" ", "").replace("-", "").lstrip("+")
    if digits.isdigit() and len(digits) >= 7:
        digests = pii.phone_digests(term)
        return Q(**{f"{prefix}phone_digest__in": digests}) if digests else None
    return None


class NotConfiguration(TypeError):
    """``configuration_rows`` was asked for a model whose rows are scoped."""


def is_configuration(model: type[Model]) -> bool:
    """Is ``model`` a configuration table — one whose scope rule lets every
    staff role see every row (categories, calendars, courses, indicators...)?"""
    return scoping.scope_for(model).everyone >= frozenset(STAFF_ROLES)


def configuration_rows(*, user, model: type[Model]) -> QuerySet:
    """The rows of a configuration table ``user`` may see: all of them for staff
    with a role, none for anyone else. Configuration needs no selector of its
    own (nothing to narrow); every other model has one, and this refuses it
    (``NotConfiguration``) so that no scoped rows are listed by forgetting it."""
    if not is_configuration(model):
        raise NotConfiguration(
            f"{model._meta.label} is scoped: list it through its app's selector"
        )
    return scoping.visible_to(user, model._default_manager.all())


# --- staff and organisation -----------------------------------------------------


def staff_list(*, user) -> QuerySet[User]:
    """Staff accounts ``user`` may see, with their roles (one more query per
    page): the staff admin and every staff autocomplete."""
    return scoping.visible_to(user, User.objects.all()).prefetch_related("groups")


def department_list(*, user) -> QuerySet[Department]:
    """Departments ``user`` may see (their own; all for admins, trainers and
    QA inspectors)."""
    return scoping.visible_to(user, Department.objects.all()).select_related("manager")


def team_list(*, user) -> QuerySet[Team]:
    """Teams ``user`` may see (their own and supervised; a manager's department;
    all for admins, trainers and QA inspectors)."""
    return scoping.visible_to(user, Team.objects.all()).select_related(
        "department", "supervisor"
    )


def team_lead(team: Team | None, department: Department | None) -> User | None:
    """Who answers for a team's people: its supervisor, else the department's
    manager (no query when ``team``/``department`` are loaded with them)."""
    if team is not None and team.supervisor_id:
        return team.supervisor
    if department is not None and department.manager_id:
        return department.manager
    return None


# --- customers ----------------------------------------------------------------


def customer_list(*, user) -> QuerySet[Customer]:
    """Customers ``user`` may see: the customer admin and every customer
    autocomplete (its search by phone or e-mail is ``identifier_lookup``)."""
    return scoping.visible_to(user, Customer.objects.all()).select_related(
        "owner", "department", "partner"
    )


def _with_caller_external_id(customers: QuerySet[Customer], partner) -> QuerySet:
    ids = CustomerExternalId.objects.filter(customer=OuterRef("pk"), partner=partner)
    return customers.annotate(
        caller_external_id=Subquery(ids.values("external_id")[:1])
    )


def customer_list_for_api(*, user, partner=None) -> QuerySet[Customer]:
    """Customers ``user`` (staff, or ``partner``'s API key) may see, each with
    the caller's id of it (``caller_external_id``: the partner's, or the
    in-house one for staff). One query per page."""
    return _with_caller_external_id(
        scoping.visible_to(user, Customer.objects.all()), partner
    )


def customer_for_caller(*, customer: Customer, partner=None) -> Customer:
    """System read (the API's answer to a create): ``customer``, which the
    caller's own service call just found or created, re-read with the caller's
    id of it (``caller_external_id``)."""
    return _with_caller_external_id(
        Customer.objects.filter(pk=customer.pk), partner
    ).get()


def contact_list(*, user) -> QuerySet[Contact]:
    """Contacts of the customers ``user`` may see."""
    return scoping.visible_to(user, Contact.objects.all()).select_related("customer")


def customer_external_id_list(*, user) -> QuerySet[CustomerExternalId]:
    """Partners' ids of the customers ``user`` may see (the customer page)."""
    return scoping.visible_to(user, CustomerExternalId.objects.all()).select_related(
        "partner"
    )


def interaction_list(*, user) -> QuerySet[Interaction]:
    """Logged contacts with customers that ``user`` may see."""
    return scoping.visible_to(user, Interaction.objects.all()).select_related(
        "customer", "staff"
    )


# --- revisits -----------------------------------------------------------------


def revisit_list(*, user) -> QuerySet[Revisit]:
    """Revisits ``user`` may see: the revisit admin and its autocomplete."""
    return scoping.visible_to(user, Revisit.objects.all()).select_related(
        "customer", "assignee"
    )


def revisit_list_for_api(*, user) -> QuerySet[Revisit]:
    """Revisits ``user`` (staff or a partner's key) may see, shaped for the API:
    the customer's number and the complaint's reference, no identifiers."""
    return (
        scoping.visible_to(user, Revisit.objects.all())
        .select_related("customer", "complaint")
        .defer("customer__phone", "customer__email", "customer__address")
    )


def _end_of_local_day():
    return timezone.localtime().replace(
        hour=0, minute=0, second=0, microsecond=0
    ) + timedelta(days=1)


def revisits_due_today(*, user) -> QuerySet[Revisit]:
    """``user``'s own planned revisits due before the end of the local day
    (overdue ones too), soonest first: the admin's "my revisits due today"."""
    return (
        scoping.visible_to(user, Revisit.objects.all())
        .filter(
            assignee=user, status=Revisit.Status.PLANNED, due_at__lt=_end_of_local_day()
        )
        .select_related("customer")
        .order_by("due_at")
    )


def revisits_to_remind(*, until: datetime) -> QuerySet[Revisit]:
    """System read (the revisit sweep): planned revisits due by ``until`` whose
    assignee has not been reminded yet."""
    return Revisit.objects.filter(
        status=Revisit.Status.PLANNED, reminded_at__isnull=True, due_at__lte=until
    )


def revisits_to_escalate(*, now: datetime) -> QuerySet[Revisit]:
    """System read (the revisit sweep): planned revisits overdue at ``now`` and
    not escalated yet."""
    return Revisit.objects.filter(
        status=Revisit.Status.PLANNED, escalated_at__isnull=True, due_at__lte=now
    )


def revisit_rules_active() -> QuerySet[RevisitRule]:
    """System read (the daily planner): the revisit rules that plan revisits."""
    return RevisitRule.objects.filter(is_active=True)


# Revisit rules that contact a customer for the relationship, not about a
# request of theirs (periodic revisits, birthday and holiday greetings): only
# customers who consented to be contacted (marketing consent). Transactional
# ones — the confirmation after a complaint, the new customer's welcome call —
# need none.
MARKETING_TRIGGERS = frozenset(
    {
        RevisitRule.Trigger.PERIODIC,
        RevisitRule.Trigger.BIRTHDAY,
        RevisitRule.Trigger.HOLIDAY,
    }
)


def customers_for_revisit_rule(*, rule: RevisitRule) -> QuerySet[Customer]:
    """System read (the daily planner): the customers ``rule`` plans revisits
    for — of its tier if it names one; never churned or anonymised ones; for
    periodic revisits and greetings only those who consented to be contacted."""
    qs = Customer.objects.exclude(lifecycle=Customer.Lifecycle.CHURNED).exclude(
        is_anonymised=True
    )
    if rule.trigger in MARKETING_TRIGGERS:
        qs = qs.filter(consent_to_contact=True)
    if rule.tier:
        qs = qs.filter(tier=rule.tier)
    return qs


# --- notifications and privacy --------------------------------------------------


def notification_inbox(*, user) -> QuerySet[Notification]:
    """``user``'s own notifications: an inbox, so administrators too see only
    theirs."""
    return scoping.visible_to(user, Notification.objects.all()).filter(recipient=user)


def privacy_request_list(*, user) -> QuerySet[PrivacyRequest]:
    """PIPL requests ``user`` may see (their department's customers')."""
    return scoping.visible_to(user, PrivacyRequest.objects.all()).select_related(
        "customer", "recorded_by", "executed_by"
    )


def personal_data_access_list(*, user) -> QuerySet[PersonalDataAccess]:
    """The personal-data access log ``user`` may read (their department's)."""
    return scoping.visible_to(user, PersonalDataAccess.objects.all()).select_related(
        "actor", "customer"
    )


# --- the customer page's history panel ------------------------------------------


def _url(name: str, pk: int) -> str:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


def customer_history(*, user, customer: Customer, limit: int = 20) -> list[dict]:
    """The customer's latest complaints, interactions and revisits that ``user``
    may see, newest first (three queries)."""
    rows = []
    interactions = scoping.visible_to(
        user, Interaction.objects.filter(customer=customer)
    )
    for i in interactions.order_by("-occurred_at")[:limit]:
        rows.append(
            {
                "when": i.occurred_at,
                "kind": i.get_channel_display(),
                "text": i.summary[:80],
                "url": _url("admin:crm_interaction_change", i.pk),
            }
        )
    revisits = scoping.visible_to(user, Revisit.objects.filter(customer=customer))
    for r in revisits.order_by("-due_at")[:limit]:
        rows.append(
            {
                "when": r.due_at,
                "kind": r.get_purpose_display(),
                "text": r.get_status_display(),
                "url": _url("admin:crm_revisit_change", r.pk),
            }
        )
    complaints = getattr(customer, "complaints", None)
    if complaints is not None:
        complaints = scoping.visible_to(user, complaints.all())
        for c in complaints.order_by("-received_at")[:limit]:
            rows.append(
                {
                    "when": c.received_at,
                    "kind": c.reference,
                    "text": f"{c.subject[:60]} · {c.get_status_display()}",
                    "url": _url("admin:complaints_complaint_change", c.pk),
                }
            )
    rows.sort(key=lambda row: row["when"], reverse=True)
    return rows[:limit]


# --- KPI source -------------------------------------------------------------------


def revisits_due_between(*, start, end) -> QuerySet[Revisit]:
    """Revisits due in [start, end), cancelled ones left out (unscoped: the KPI
    ``revisit_on_time_rate`` counts every row; pass an ``end`` no later than now)."""
    return Revisit.objects.filter(due_at__gte=start, due_at__lt=end).exclude(
        status=Revisit.Status.CANCELLED
    )


def revisits_done_between(*, start, end) -> QuerySet[Revisit]:
    """Revisits done in [start, end) (unscoped: the KPI revisit satisfaction and
    problem-found rate count every row)."""
    return Revisit.objects.filter(
        status=Revisit.Status.DONE, done_at__gte=start, done_at__lt=end
    )


def unread_notification_count(*, user) -> int:
    """How many of ``user``'s own notifications are unread (the home's badge)."""
    return notification_inbox(user=user).filter(read_at__isnull=True).count()
