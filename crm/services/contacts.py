"""Contact persons of customers: created and changed by staff within their scope."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from config.errors import InvalidInput, NotPermitted
from crm import scoping
from crm.models import Contact, Customer

# Fields a caller may set (besides the customer).
CONTACT_FIELDS = ("name", "title", "phone", "email", "is_primary", "notes")


def _check_fields(fields: dict) -> None:
    unknown = set(fields).difference(CONTACT_FIELDS)
    if unknown:
        raise InvalidInput(
            _("Unknown contact fields: %(names)s")
            % {"names": ", ".join(sorted(unknown))}
        )


def _save(contact: Contact, update_fields: list[str] | None) -> Contact:
    try:
        contact.full_clean(exclude=["customer"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(
            "; ".join(messages), field=None if field == "__all__" else field
        ) from None
    contact.save(update_fields=update_fields)
    return contact


@transaction.atomic
def contact_create(*, actor, customer: Customer, **fields) -> Contact:
    """Add a contact person to ``customer``, which must be in the actor's scope."""
    _check_fields(fields)
    if actor is not None and not actor.has_perm("crm.add_contact"):
        raise NotPermitted(_("You may not add contacts."))
    scoping.require_visible(actor, customer, field="customer")
    return _save(Contact(customer=customer, **fields), None)


@transaction.atomic
def contact_update(
    *, actor, contact: Contact, customer: Customer | None = None, **fields
) -> Contact:
    """Change a contact (and move it to another customer in the actor's scope)."""
    _check_fields(fields)
    if actor is not None and not scoping.can_change(actor, contact):
        raise NotPermitted(_("You may not change this contact."))
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    changed = [
        name for name, value in fields.items() if getattr(contact, name) != value
    ]
    for name in changed:
        setattr(contact, name, fields[name])
    if customer is not None and customer.pk != contact.customer_id:
        scoping.require_visible(actor, customer, field="customer")
        contact.customer = customer
        changed.append("customer")
    if not changed:
        return contact
    return _save(contact, [*changed, "updated_at"])
