"""Customer writes: create, update, and the deduplicating upsert used by intake.

Customers are private to their owner: the in-house organisation (``partner``
null) and each partner have their own set, and phone, e-mail and external ids are
unique and matched only within the caller's set. A partner therefore never finds,
sees or changes a customer it did not register: sending someone else's phone
creates the partner's own customer, exactly as for an unknown phone.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import InvalidInput, NotPermitted
from crm import pii, scoping
from crm.models import Customer, CustomerExternalId, PartnerOrganisation
from crm.roles import Role
from crm.services.revisits import revisit_plan_for_new_customer

# Fields a caller may pass through ``**fields`` (in form order; the admin uses it).
WRITABLE_FIELDS = (
    "kind",
    "name",
    "phone",
    "email",
    "address",
    "birthday",
    "tier",
    "lifecycle",
    "owner",
    "department",
    "tags",
    "preferred_channel",
    "preferred_language",
    "consent_to_contact",
    "privacy_notice_version",
    "consent_at",
    "notes",
)
# Columns recomputed from others on save; named in update_fields with their source.
_DERIVED = {"phone": "phone_digest", "email": "email_digest"}


def _clean_identifiers(values: dict) -> dict:
    """Normalise phone (E.164, CN default) and e-mail in ``values`` in place."""
    if "phone" in values:
        try:
            values["phone"] = pii.normalise_phone(values["phone"] or "")
        except pii.InvalidPhoneNumber:
            raise InvalidInput(
                _("Enter a valid phone number."), field="phone", code="invalid_phone"
            ) from None
    if "email" in values:
        values["email"] = pii.normalise_email(values["email"] or "")
    if "tags" in values:
        tags = values["tags"] or []
        if isinstance(tags, str):
            tags = tags.split(",")
        values["tags"] = sorted({str(t).strip() for t in tags if str(t).strip()})
    if values.get("consent_to_contact") and not values.get("consent_at"):
        values["consent_at"] = timezone.now()
    return values


def _check_fields(fields: dict) -> None:
    unknown = set(fields).difference(WRITABLE_FIELDS)
    if unknown:
        raise InvalidInput(
            _("Unknown customer fields: %(names)s")
            % {"names": ", ".join(sorted(unknown))}
        )


def _check_relations(actor, fields: dict) -> None:
    """The owner and department a staff member files a customer under must be
    in their scope (a forged form cannot hand customers to other departments)."""
    scoping.require_colleague(actor, fields.get("owner"), field="owner")
    scoping.require_visible(actor, fields.get("department"), field="department")


def _full_clean(customer: Customer, exclude=()) -> None:
    try:
        customer.full_clean(
            exclude=["code", "phone_digest", "email_digest", *exclude],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(
            "; ".join(messages), field=None if field == "__all__" else field
        ) from None


def _duplicate_error(exc: IntegrityError) -> InvalidInput:
    text = str(exc)
    return _duplicate("email" if "email" in text else "phone")


def _duplicate(field: str) -> InvalidInput:
    return InvalidInput(
        _("Another customer already has this %(field)s.") % {"field": field},
        field=field,
        code="duplicate_customer",
    )


def _staff_defaults(actor, values: dict) -> dict:
    """Where a customer created by staff belongs, unless the caller said so.

    An account manager owns the customers they create (their role sees only the
    customers they own); everyone else's new customer goes to their department,
    where the department's front-line roles find it
    (``crm.scoping.CUSTOMER_DEPARTMENT_ROLES``). An owner's department follows
    the owner (see ``_insert``). Without this the creator could not read back
    the customer they had just created.
    """
    if actor is None:
        return values
    if values.get("owner") is None and scoping.has_role(actor, Role.ACCOUNT_MANAGER):
        values["owner"] = actor
    if (
        values.get("department") is None
        and values.get("owner") is None
        and actor.department_id
    ):
        values["department"] = actor.department
    return values


def _insert(values: dict, partner: PartnerOrganisation | None) -> Customer:
    """INSERT one customer and give it its number (KH + 8-digit id).

    Raises IntegrityError (inside its own savepoint) when the phone or e-mail is
    taken, so callers can decide between "duplicate" and "use the other row".
    """
    with transaction.atomic():
        customer = Customer(code=f"TMP{uuid.uuid4().hex[:16]}", partner=partner)
        for name, value in values.items():
            setattr(customer, name, value)
        if customer.department_id is None and customer.owner_id:
            customer.department_id = customer.owner.department_id
        _full_clean(customer)
        customer.save(force_insert=True)
        customer.code = f"KH{customer.pk:08d}"
        customer.save(update_fields=["code"])
    return customer


@transaction.atomic
def customer_create(
    *, actor, name: str, phone: str = "", email: str = "", partner=None, **fields
) -> Customer:
    """Create a customer; phone/e-mail normalised, duplicates refused.

    Raises InvalidInput(code="duplicate_customer") when another customer has the
    phone or e-mail (use ``customer_upsert`` to get that row instead).
    """
    _check_fields(fields)
    if actor is not None and not actor.has_perm("crm.add_customer"):
        raise NotPermitted(_("You may not create customers."))
    _check_relations(actor, fields)
    values = _clean_identifiers(
        {"name": name, "phone": phone, "email": email, **fields}
    )
    _staff_defaults(actor, values)
    try:
        customer = _insert(values, partner)
    except IntegrityError as exc:
        raise _duplicate_error(exc) from None
    revisit_plan_for_new_customer(customer=customer)
    return customer


@transaction.atomic
def customer_update(*, actor, customer: Customer, **fields) -> Customer:
    """Change a customer's fields; returns the refreshed row. Nothing changes
    (and no write happens) when the values are already the same."""
    _check_fields(fields)
    if actor is not None and not scoping.can_change(actor, customer):
        raise NotPermitted(_("You may not change this customer."))
    _check_relations(actor, fields)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    values = _clean_identifiers(dict(fields))
    changed = [
        name for name, value in values.items() if _differs(customer, name, value)
    ]
    if not changed:
        return customer
    for name in changed:
        setattr(customer, name, values[name])
    _full_clean(customer)
    update_fields = set(changed) | {"updated_at"}
    update_fields |= {_DERIVED[n] for n in changed if n in _DERIVED}
    try:
        with transaction.atomic():
            customer.save(update_fields=sorted(update_fields))
    except IntegrityError as exc:
        raise _duplicate_error(exc) from None
    return customer


def _differs(customer: Customer, name: str, value) -> bool:
    field = customer._meta.get_field(name)
    if field.is_relation:
        return getattr(customer, field.attname) != getattr(value, "pk", value)
    return getattr(customer, name) != value


def customer_find(
    *, phone: str = "", email: str = "", external_id: str = "", partner=None
) -> Customer | None:
    """The customer of ``partner`` (None: an in-house customer) these identifiers
    belong to, in dedupe order: the partner's external id, then the normalised
    phone, then the e-mail. Customers of another owner are never matched."""
    owned = Customer.objects.filter(partner=partner)
    if external_id:
        link = (
            CustomerExternalId.objects.select_related("customer")
            .filter(partner=partner, external_id=external_id, customer__partner=partner)
            .first()
        )
        if link is not None:
            return link.customer
    if phone:
        found = owned.filter(phone_digest__in=pii.phone_digests(phone)).first()
        if found is not None:
            return found
    if email:
        found = owned.filter(email_digest__in=pii.email_digests(email)).first()
        if found is not None:
            return found
    return None


def _link_external_id(customer, partner, external_id) -> None:
    """Give ``customer`` the owner's ``external_id`` unless it names another of
    the owner's customers. A link made before customers were private, naming a
    customer of another owner, is moved to ``customer`` (the lock on the link row
    orders concurrent callers)."""
    if not external_id:
        return
    link = (
        CustomerExternalId.objects.select_for_update()
        .filter(partner=partner, external_id=external_id)
        .first()
    )
    if link is None:
        try:
            with transaction.atomic():
                CustomerExternalId.objects.create(
                    partner=partner, external_id=external_id, customer=customer
                )
        except IntegrityError:
            # A concurrent request linked it first; the row now exists.
            pass
        return
    if link.customer_id == customer.pk:
        return
    linked_owner = (
        Customer.objects.filter(pk=link.customer_id)
        .values_list("partner_id", flat=True)
        .first()
    )
    if linked_owner != customer.partner_id:
        link.customer = customer
        link.save(update_fields=["customer"])


def _matched_field(customer: Customer, values: dict) -> str:
    if values.get("phone") and customer.phone_digest in pii.phone_digests(
        values["phone"]
    ):
        return "phone"
    if values.get("email") and customer.email_digest in pii.email_digests(
        values["email"]
    ):
        return "email"
    return "external_id"


@transaction.atomic
def customer_upsert(
    *,
    actor,
    name: str,
    phone: str = "",
    email: str = "",
    external_id: str = "",
    partner: PartnerOrganisation | None = None,
    attach_outside_scope: bool = False,
    **fields,
) -> tuple[Customer, bool]:
    """Find the customer these identifiers belong to, or create it; (row, created).

    Only the customers of the caller's owner are candidates: ``partner``'s own
    customers, or the in-house ones when ``partner`` is None. Dedupe order: the
    owner's ``external_id``, then phone normalised to E.164 (mainland China
    default), then e-mail. A customer of another owner with the same phone or
    e-mail is neither returned nor changed: a new customer of this owner is
    created, so the answer does not tell that the other exists.

    An existing customer is not overwritten: only a blank phone/e-mail is filled
    in, and the external id is linked. A staff ``actor`` gets only a customer in
    their scope: a match outside it is refused as a duplicate (no data of it is
    returned) — unless ``attach_outside_scope`` (complaint intake: a caller's
    complaint goes to the one in-house record of that person), then the match
    is returned unchanged (no blank filled, no id linked). A customer created by
    staff belongs to their department (an account manager's to themselves).
    ``actor`` is None for partner and system intake.
    Race-safe: the unique constraints on the digests (per owner) and on
    (partner, external_id) decide between concurrent callers; the loser re-reads
    the winner's row.
    """
    _check_fields(fields)
    if not (phone or email or external_id):
        raise InvalidInput(
            _("A customer needs a phone number, an e-mail address or an external id."),
            field="phone",
            code="customer_identifier_required",
        )
    values = _clean_identifiers(
        {"name": name, "phone": phone, "email": email, **fields}
    )
    external_id = (external_id or "").strip()
    for _attempt in range(3):
        found = customer_find(
            phone=values["phone"],
            email=values["email"],
            external_id=external_id,
            partner=partner,
        )
        if found is not None:
            if actor is not None and not scoping.can_view(actor, found):
                if attach_outside_scope:
                    return found, False
                raise _duplicate(_matched_field(found, values))
            _fill_blanks(found, values)
            _link_external_id(found, partner, external_id)
            return found, False
        try:
            customer = _insert(_staff_defaults(actor, dict(values)), partner)
        except IntegrityError:
            continue  # someone inserted the same phone/e-mail meanwhile: read it
        _link_external_id(customer, partner, external_id)
        link_owner = (
            CustomerExternalId.objects.filter(partner=partner, external_id=external_id)
            .values_list("customer_id", flat=True)
            .first()
            if external_id
            else customer.pk
        )
        if link_owner != customer.pk:
            # The external id went to a concurrent caller's new row: ours is the
            # duplicate. Drop it (same transaction, nothing else points at it).
            customer.delete()
            winner = Customer.objects.get(pk=link_owner)
            if (
                actor is not None
                and not attach_outside_scope
                and not scoping.can_view(actor, winner)
            ):
                raise _duplicate("external_id")
            return winner, False
        revisit_plan_for_new_customer(customer=customer)
        return customer, True
    raise InvalidInput(
        _("The customer could not be saved; please retry."), code="customer_conflict"
    )


def _fill_blanks(customer: Customer, values: dict) -> None:
    """Give an existing customer the phone/e-mail it lacks (when no one else has it)."""
    missing = {
        name: values[name]
        for name in ("phone", "email")
        if values.get(name) and not getattr(customer, name)
    }
    if not missing:
        return
    for name, value in missing.items():
        setattr(customer, name, value)
    try:
        with transaction.atomic():
            customer.save(
                update_fields=[*missing, *(_DERIVED[n] for n in missing), "updated_at"]
            )
    except IntegrityError:
        # The value belongs to another customer; keep this one as it was.
        customer.refresh_from_db()
