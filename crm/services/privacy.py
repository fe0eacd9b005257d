"""PIPL requests: export, correct and erase a customer's personal data, and the
log of who saw personal data.

Erasure anonymises the person and keeps every row the statistics need (the
customer row, its complaints with their categories, times, SLA figures and
scores, its revisits and their outcomes): names, identifiers, addresses, contact
persons and external ids go; free text that mentions the person is redacted.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import IllegalTransition, InvalidInput, NotPermitted
from crm import scoping
from crm.models import (
    Customer,
    Interaction,
    Notification,
    PersonalDataAccess,
    PrivacyRequest,
    Revisit,
)
from crm.services.revisits import revisits_cancel_for_customer

REDACTED = "***"  # complaints.models.ComplaintEvent.REDACTION_MARK must match
ERASED_TEXT = "[已删除]"


def personal_data_access_log(
    *, actor, customer: Customer, action: str, note: str = ""
) -> PersonalDataAccess:
    """Record that ``actor`` viewed/exported/corrected/erased the customer's data."""
    return PersonalDataAccess.objects.create(
        actor=actor, customer=customer, action=action, note=note[:200]
    )


@transaction.atomic
def privacy_request_create(
    *,
    actor,
    customer: Customer,
    kind: str,
    requested_by: str,
    requested_at: datetime | None = None,
    corrections: dict | None = None,
    note: str = "",
) -> PrivacyRequest:
    """Record a request; ``corrections`` (field → new value) for kind "correct"."""
    if actor is not None and not actor.has_perm("crm.add_privacyrequest"):
        raise NotPermitted(_("You may not record privacy requests."))
    scoping.require_visible(actor, customer, field="customer")
    if kind not in PrivacyRequest.Kind.values:
        raise InvalidInput(_("Unknown kind of request."), field="kind")
    corrections = corrections or {}
    if kind == PrivacyRequest.Kind.CORRECT:
        from crm.services.customers import WRITABLE_FIELDS

        unknown = set(corrections).difference(WRITABLE_FIELDS)
        if not corrections or unknown:
            raise InvalidInput(
                _("Name the customer fields to correct."), field="corrections"
            )
    return PrivacyRequest.objects.create(
        customer=customer,
        kind=kind,
        requested_by=requested_by,
        requested_at=requested_at or timezone.now(),
        corrections=corrections,
        note=note,
        recorded_by=actor,
    )


def _locked_request(request: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.select_for_update().get(pk=request.pk)


def _check_executor(actor, request: PrivacyRequest) -> None:
    if actor is None or not actor.has_perm("crm.change_privacyrequest"):
        raise NotPermitted(_("You may not execute privacy requests."))
    if not scoping.can_view(actor, request.customer):
        raise NotPermitted(_("You may not execute privacy requests."))


@transaction.atomic
def privacy_request_execute(*, actor, request: PrivacyRequest) -> dict | None:
    """Carry out the request; returns the export (a JSON-ready dict) for "export".

    Idempotent for a request already done (an export is produced again and logged).
    """
    _check_executor(actor, request)
    request = _locked_request(request)
    if request.status == PrivacyRequest.Status.REJECTED:
        raise IllegalTransition(_("The request was rejected."))
    customer = request.customer
    result = None
    if request.kind == PrivacyRequest.Kind.EXPORT:
        result = customer_export(actor=actor, customer=customer)
    elif request.status == PrivacyRequest.Status.DONE:
        return None
    elif request.kind == PrivacyRequest.Kind.CORRECT:
        from crm.services.customers import customer_update

        customer_update(actor=None, customer=customer, **request.corrections)
        personal_data_access_log(
            actor=actor,
            customer=customer,
            action=PersonalDataAccess.Action.CORRECT,
            note=",".join(sorted(request.corrections)),
        )
        # The request keeps which fields changed, not the values.
        request.corrections = dict.fromkeys(request.corrections, REDACTED)
    else:
        customer_erase(actor=actor, customer=customer)
        request.requested_by = REDACTED
        request.note = ""
    if request.status != PrivacyRequest.Status.DONE:
        request.status = PrivacyRequest.Status.DONE
        request.executed_by = actor
        request.executed_at = timezone.now()
        request.save(
            update_fields=[
                "status",
                "executed_by",
                "executed_at",
                "corrections",
                "requested_by",
                "note",
            ]
        )
    return result


@transaction.atomic
def privacy_request_reject(*, actor, request: PrivacyRequest, reason: str) -> None:
    _check_executor(actor, request)
    request = _locked_request(request)
    if request.status != PrivacyRequest.Status.RECEIVED:
        raise IllegalTransition(_("Only received requests can be rejected."))
    request.status = PrivacyRequest.Status.REJECTED
    request.note = f"{request.note}\n{reason}".strip()
    request.executed_by = actor
    request.executed_at = timezone.now()
    request.save(update_fields=["status", "note", "executed_by", "executed_at"])


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (int, float, str, bool, list, dict)) or value is None:
        return value
    return str(value)


def _row(obj, exclude=()) -> dict:
    data = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude or isinstance(field, models.ForeignKey):
            continue
        data[field.name] = _plain(getattr(obj, field.attname))
    return data


def customer_export(*, actor, customer: Customer) -> dict:
    """Everything stored about the customer, as a JSON-ready dict (and logged)."""
    personal_data_access_log(
        actor=actor, customer=customer, action=PersonalDataAccess.Action.EXPORT
    )
    data = {
        "customer": _row(customer, exclude=("phone_digest", "email_digest")),
        "external_ids": [
            {
                "partner": str(x.partner) if x.partner else "",
                "external_id": x.external_id,
            }
            for x in customer.external_ids.select_related("partner")
        ],
        "contacts": [_row(c) for c in customer.contacts.all()],
        "interactions": [_row(i) for i in customer.interactions.all()],
        "revisits": [
            _row(r, exclude=("key", "reminded_at", "escalated_at"))
            for r in customer.revisits.all()
        ],
        "complaints": [],
    }
    complaints = getattr(customer, "complaints", None)
    if complaints is not None:
        for complaint in complaints.all():
            row = _row(complaint)
            surveys = getattr(complaint, "surveys", None)
            if surveys is not None:
                row["surveys"] = [_row(s) for s in surveys.all()]
            events = getattr(complaint, "events", None)
            if events is not None:
                row["events"] = [_row(e) for e in events.filter(customer_visible=True)]
            data["complaints"].append(row)
    # Prove it serialises now rather than in the view.
    json.dumps(data, ensure_ascii=False)
    return data


def _mentions(customer: Customer) -> list[str]:
    values = {customer.name, customer.phone, customer.email, customer.address}
    if customer.phone.startswith("+86"):
        national = customer.phone[3:]
        values |= {national, f"{national[:3]} {national[3:7]} {national[7:]}"}
        values |= {f"{national[:3]}-{national[3:7]}-{national[7:]}"}
    for contact in customer.contacts.all():
        values |= {contact.name, contact.phone, contact.email}
    # Short names (one character) would redact unrelated text.
    return sorted((v for v in values if v and len(v) >= 2), key=len, reverse=True)


def _redactor(customer: Customer):
    mentions = _mentions(customer)
    if not mentions:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(m) for m in mentions), re.IGNORECASE)
    return lambda text: pattern.sub(REDACTED, text) if text else text


def _text_fields(model) -> list[str]:
    return [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, (models.CharField, models.TextField, models.JSONField))
        and not f.choices
        and not f.unique
        and f.name not in ("key", "kind", "code", "reference")
    ]


def _redact_rows(queryset, redact) -> None:
    fields = _text_fields(queryset.model)
    for obj in queryset:
        changed = []
        for name in fields:
            value = getattr(obj, name)
            if isinstance(value, (dict, list)):
                new = json.loads(redact(json.dumps(value, ensure_ascii=False)))
            elif isinstance(value, str):
                new = redact(value)
            else:
                continue
            if new != value:
                setattr(obj, name, new)
                changed.append(name)
        if changed:
            # Complaint events accept exactly this change (masking with the mark).
            obj.save(update_fields=changed)


@transaction.atomic
def customer_erase(*, actor, customer: Customer) -> Customer:
    """Anonymise the customer (PIPL erasure) keeping statistics intact.

    Blanks name, identifiers, address, birthday, tags and notes; deletes contacts
    and external ids; redacts mentions of the person in the free text of their
    interactions, revisits, complaints (and the complaints' events, replies,
    notes and surveys) and in staff notifications. Keeps categories, statuses,
    times, SLA figures, scores and outcomes. Logged as an erasure.
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    redact = _redactor(customer)
    # Complaints and everything hanging off them (events = the audit trail).
    complaints = getattr(customer, "complaints", None)
    if complaints is not None:
        complaint_model = complaints.model
        _redact_rows(complaints.all(), redact)
        for relation in complaint_model._meta.related_objects:
            if relation.one_to_many and relation.related_model._meta.app_label == (
                complaint_model._meta.app_label
            ):
                _redact_rows(
                    relation.related_model._default_manager.filter(
                        **{relation.field.name + "__customer": customer}
                    ),
                    redact,
                )
    Interaction.objects.filter(customer=customer).update(summary=ERASED_TEXT)
    _redact_rows(Revisit.objects.filter(customer=customer), redact)
    names = [customer.name] if len(customer.name) >= 2 else []
    if names:
        _redact_rows(
            Notification.objects.filter(
                models.Q(title__contains=customer.name)
                | models.Q(body__contains=customer.name)
            ),
            redact,
        )
    customer.contacts.all().delete()
    customer.external_ids.all().delete()
    customer.name = _("Anonymised customer %(code)s") % {"code": customer.code}
    customer.phone = ""
    customer.email = ""
    customer.address = ""
    customer.birthday = None
    customer.tags = []
    customer.notes = ""
    customer.consent_to_contact = False
    customer.is_anonymised = True
    customer.save(
        update_fields=[
            "name",
            "phone",
            "phone_digest",
            "email",
            "email_digest",
            "address",
            "birthday",
            "tags",
            "notes",
            "consent_to_contact",
            "is_anonymised",
            "updated_at",
        ]
    )
    revisits_cancel_for_customer(customer=customer)
    personal_data_access_log(
        actor=actor, customer=customer, action=PersonalDataAccess.Action.ERASE
    )
    return customer
