"""Reads of crm for other code (admin, API, KPI): scoped first, then filtered."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Model, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from crm import pii, scoping
from crm.models import Customer, Interaction, Revisit
from crm.roles import Role

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


def configuration_rows(*, user, model: type[Model]) -> QuerySet:
    """The rows of ``model`` that ``user`` may see, for an admin that names no
    selector of its own (configuration tables: every staff role sees them)."""
    return scoping.visible_to(user, model._default_manager.all())


def customer_list(*, user, search: str = "") -> QuerySet[Customer]:
    """Customers ``user`` may see; ``search`` matches the number or name, or (for
    roles that see personal data) a phone number / e-mail address exactly."""
    qs = scoping.visible_to(user, Customer.objects.all())
    term = search.strip()
    if term:
        by_identifier = identifier_lookup(user=user, term=term)
        if by_identifier is not None:
            qs = qs.filter(by_identifier | Q(code=term))
        else:
            qs = qs.filter(Q(name__icontains=term) | Q(code=term))
    return qs.select_related("owner", "department", "partner")


def customer_by_phone(*, phone: str) -> Customer | None:
    return Customer.objects.filter(phone_digest__in=pii.phone_digests(phone)).first()


def revisit_list(*, user) -> QuerySet[Revisit]:
    return scoping.visible_to(user, Revisit.objects.all()).select_related(
        "customer", "assignee", "rule"
    )


def revisits_due_today(*, user) -> QuerySet[Revisit]:
    """The staff member's planned revisits due before the end of today (and overdue)."""
    end = timezone.localtime().replace(
        hour=0, minute=0, second=0, microsecond=0
    ) + timedelta(days=1)
    return (
        Revisit.objects.filter(
            assignee=user, status=Revisit.Status.PLANNED, due_at__lt=end
        )
        .select_related("customer")
        .order_by("due_at")
    )


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
