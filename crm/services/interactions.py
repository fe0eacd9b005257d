"""Interactions: the log of every contact with a customer."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import InvalidInput, NotPermitted
from crm import scoping
from crm.models import Customer, Interaction, Revisit


@transaction.atomic
def interaction_record(
    *,
    actor,
    customer: Customer,
    channel: str,
    summary: str,
    direction: str = Interaction.Direction.INBOUND,
    occurred_at: datetime | None = None,
    contact=None,
    complaint=None,
    revisit: Revisit | None = None,
) -> Interaction:
    """Log a contact with a customer (and the contact person, complaint and
    revisit it concerns, all within the actor's scope)."""
    if actor is not None and not actor.has_perm("crm.add_interaction"):
        raise NotPermitted(_("You may not record interactions."))
    scoping.require_visible(actor, customer, field="customer")
    scoping.require_visible(actor, contact, field="contact")
    scoping.require_visible(actor, complaint, field="complaint")
    scoping.require_visible(actor, revisit, field="revisit")
    if contact is not None and contact.customer_id != customer.pk:
        raise InvalidInput(
            _("The contact belongs to another customer."), field="contact"
        )
    interaction = Interaction(
        customer=customer,
        contact=contact,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at or timezone.now(),
        staff=actor,
        summary=summary,
        revisit=revisit,
        complaint=complaint,
    )
    try:
        interaction.full_clean(
            exclude=["customer", "contact", "staff", "revisit", "complaint"]
        )
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput("; ".join(messages), field=field) from None
    interaction.save()
    return interaction
