"""PIPL requests: export, correct and erase a customer's personal data, and the
log of who saw personal data.

Erasure anonymises the person and keeps every row the statistics need (the
customer row, its complaints with their categories, times, SLA figures and
scores, its revisits and their outcomes): names, identifiers, addresses, contact
persons and external ids go; free text that mentions the person is redacted.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime

from django.apps import apps
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
)
from crm.services.revisits import revisits_cancel_for_customer

logger = logging.getLogger(__name__)

REDACTED = "***"  # complaints.models.ComplaintEvent.REDACTION_MARK must match
ERASED_TEXT = "[已删除]"


def personal_data_access_log(
    *, actor, customer: Customer, action: str, note: str = ""
) -> PersonalDataAccess:
    """Record that ``actor`` viewed/exported/corrected/erased the customer's data."""
    return PersonalDataAccess.objects.create(
        actor=actor,
        customer=customer,
        department_id=customer.department_id,
        action=action,
        note=note[:200],
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


def _phone_spellings(phone: str) -> set[str]:
    """A stored (E.164) phone number and how people write a mainland number."""
    values = {phone}
    if phone.startswith("+86"):
        national = phone[3:]
        values |= {national, f"{national[:3]} {national[3:7]} {national[7:]}"}
        values |= {f"{national[:3]}-{national[3:7]}-{national[7:]}"}
    return values


def _mentions(customer: Customer) -> list[str]:
    values = {customer.name, customer.email, customer.address}
    values |= _phone_spellings(customer.phone)
    for contact in customer.contacts.all():
        values |= {contact.name, contact.email, *_phone_spellings(contact.phone)}
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


def _redact_json(value, redact):
    """``value`` (decoded JSON) with every string in it redacted; keys and
    structure are kept."""
    if isinstance(value, dict):
        return {key: _redact_json(item, redact) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_json(item, redact) for item in value]
    if isinstance(value, str):
        return redact(value)
    return value


def _redact_rows(queryset, redact) -> None:
    fields = _text_fields(queryset.model)
    for obj in queryset:
        changed = []
        for name in fields:
            value = getattr(obj, name)
            if isinstance(value, (dict, list)):
                new = _redact_json(value, redact)
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


# --- the admin log -----------------------------------------------------------------

# What django_admin_log.object_repr keeps of a row: a code for customers and
# complaints; "<model> #<id>" for rows whose text names a person; str() otherwise.
_LOG_CODE_FIELDS = {"crm.customer": "code", "complaints.complaint": "reference"}
_LOG_ANONYMOUS = frozenset(
    {
        "crm.contact",
        "crm.customerexternalid",
        "crm.notification",
        "complaints.complaintattachment",
        "complaints.complaintnote",
    }
)


def admin_log_repr(obj) -> str:
    """The ``object_repr`` the admin log stores for ``obj``: never a customer's
    name, phone or e-mail (used by the admin's log methods and by erasure)."""
    label = obj._meta.label_lower
    if label in _LOG_CODE_FIELDS:
        return str(getattr(obj, _LOG_CODE_FIELDS[label]))[:200]
    if label in _LOG_ANONYMOUS:
        # A row deleted through an inline has lost its id.
        suffix = f" #{obj.pk}" if obj.pk is not None else ""
        return f"{obj._meta.verbose_name}{suffix}"[:200]
    return str(obj)[:200]


def _redact_change_message(message: str, redact, *, inline_names: bool) -> str:
    """An admin log change message with any mention of the person redacted and,
    with ``inline_names``, the names of inline rows replaced by the mark."""
    try:
        parsed = json.loads(message)
    except ValueError:
        return redact(message)
    if inline_names and isinstance(parsed, list):
        for item in parsed:
            for detail in item.values() if isinstance(item, dict) else ():
                if isinstance(detail, dict) and detail.get("object"):
                    detail["object"] = REDACTED
    return json.dumps(_redact_json(parsed, redact), ensure_ascii=False)


def _erase_admin_log(rows: dict, redact) -> int:
    """Rewrite the admin log entries of every row in ``rows`` (model → rows)."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    changed = 0
    for model, objects in rows.items():
        by_pk = {str(obj.pk): obj for obj in objects}
        if not by_pk:
            continue
        # The inline rows of the person's own records are the person's; those
        # of shared records (a corrective action) only lose the mentions.
        label = model._meta.label_lower
        own = label in _PERSON_RECORDS or label in _DELETED
        content_type = ContentType.objects.get_for_model(
            model, for_concrete_model=False
        )
        entries = LogEntry.objects.filter(
            content_type=content_type, object_id__in=list(by_pk)
        )
        for entry in entries:
            entry.object_repr = admin_log_repr(by_pk[entry.object_id])
            entry.change_message = _redact_change_message(
                entry.change_message, redact, inline_names=own
            )
            entry.save(update_fields=["object_repr", "change_message"])
            changed += 1
    return changed


def _redact_log_reprs(mentions, redact) -> None:
    from django.contrib.admin.models import LogEntry

    for entry in _mentioned(LogEntry, ("object_repr",), mentions):
        entry.object_repr = redact(entry.object_repr)
        entry.save(update_fields=["object_repr"])


# --- erasure ---------------------------------------------------------------------

# Rows about the person: from these, rows pointing at them are the person's too.
_PERSON_RECORDS = (
    "crm.customer",
    "complaints.complaint",
    "crm.interaction",
    "crm.revisit",
)
# Deleted by the erasure (no redaction first).
_DELETED = frozenset(
    {"crm.contact", "crm.customerexternalid", "complaints.complaintattachment"}
)


def _persons_rows(customer: Customer) -> dict:
    """Every row that points at the customer, or at one of the customer's
    complaints, interactions or revisits (any app), as model → list of rows,
    the customer included."""
    found: dict = {Customer: [customer]}
    queue = [Customer]
    while queue:
        model = queue.pop(0)
        pks = [obj.pk for obj in found[model]]
        for relation in model._meta.related_objects:
            related = relation.related_model
            rows = related._base_manager.filter(**{f"{relation.field.name}__in": pks})
            known = {obj.pk for obj in found.get(related, [])}
            new = [obj for obj in rows.distinct() if obj.pk not in known]
            if not new:
                continue
            found.setdefault(related, []).extend(new)
            if related._meta.label_lower in _PERSON_RECORDS and related not in queue:
                queue.append(related)
    return found


# Outboxes of messages to the customer (complaints.CustomerMessage, by label:
# crm imports no higher app): the address and the text are masked, the row kept
# (kind, channel, status and times stay for the record); unsent ones are failed.
_OUTBOX_MASKED = {"complaints.customermessage": ("address", "subject", "body")}


def _erase_outbox_messages(rows: dict) -> int:
    masked = 0
    for model, objects in rows.items():
        fields = _OUTBOX_MASKED.get(model._meta.label_lower)
        if not fields:
            continue
        for obj in model._base_manager.filter(pk__in=[o.pk for o in objects]):
            for name in fields:
                setattr(obj, name, "" if name == "address" else ERASED_TEXT)
            update = list(fields)
            if obj.status in ("pending", "sending"):  # nobody to send it to now
                obj.status, obj.last_error = "failed", "customer erased"
                update += ["status", "last_error"]
            obj.save(update_fields=update)
            masked += 1
    return masked


def _erase_received_mail(rows: dict, mentions: list[str]) -> int:
    """The raw bytes of received mail (complaints.InboundEmail, by label; kept,
    encrypted, for quarantined mail only) are dropped: of the rows of the
    customer's complaints, and of quarantined rows tied to no complaint whose
    decrypted text names the customer (their e-mail, phone, name). The row and
    its outcome stay, with the subject redacted and the reason saying why."""
    if not apps.is_installed("complaints"):
        return 0
    model = apps.get_model("complaints", "InboundEmail")
    linked = {obj.pk for obj in rows.get(model, [])}
    pattern = (
        re.compile("|".join(re.escape(m) for m in mentions), re.IGNORECASE)
        if mentions
        else None
    )
    dropped = 0
    kept = model._base_manager.filter(raw__isnull=False)
    for row in kept.iterator():
        if row.pk not in linked:
            if pattern is None:
                continue
            text = bytes(row.raw).decode("utf-8", errors="replace")
            if not pattern.search(text) and not pattern.search(row.subject):
                continue
            row.subject = pattern.sub(REDACTED, row.subject)
        row.raw = None
        row.reason = f"{row.reason} [{ERASED_TEXT}]".strip()[:2000]
        row.save(update_fields=["raw", "subject", "reason"])
        dropped += 1
    return dropped


def _erase_attachments(rows: dict) -> int:
    """Delete the complaints' attachments: the rows now, the files once the
    erasure commits (a rollback keeps both); the file names in the complaints'
    timelines are masked."""
    attachments = [
        obj
        for model, objects in rows.items()
        if model._meta.label_lower == "complaints.complaintattachment"
        for obj in objects
    ]
    if not attachments:
        return 0
    model = type(attachments[0])
    files = [(a.file.storage, a.file.name) for a in attachments if a.file]
    event_model = apps.get_model("complaints", "ComplaintEvent")
    for event in event_model.objects.filter(
        complaint_id__in={a.complaint_id for a in attachments},
        kind=event_model.Kind.ATTACHMENT,
    ).exclude(note=""):
        event.note = REDACTED
        event.save(update_fields=["note"])
    model._base_manager.filter(pk__in=[a.pk for a in attachments]).delete()
    transaction.on_commit(lambda: _delete_files(files))
    return len(attachments)


def _delete_files(files) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except Exception:  # the row is gone; an orphaned file is reported
            logger.warning(
                "erasure: could not delete an attachment file", exc_info=True
            )


def _mentioned(model, fields, mentions):
    query = models.Q()
    for mention in mentions:
        for field in fields:
            query |= models.Q(**{f"{field}__icontains": mention})
    return model.objects.filter(query) if query else model.objects.none()


def _erase_webhook_payloads(complaints, redact) -> None:
    """Redact the partner's webhook deliveries of the complaints, pending ones
    too: they still go out (the partner learns the status) without the person."""
    references = [c.reference for c in complaints]
    if not references or not apps.is_installed("partners"):
        return
    delivery_model = apps.get_model("partners", "WebhookDelivery")
    deliveries = delivery_model.objects.filter(complaint_reference__in=references)
    _redact_rows(deliveries, redact)
    attempt_model = apps.get_model("partners", "WebhookAttempt")
    _redact_rows(attempt_model.objects.filter(delivery__in=deliveries), redact)
    event_model = apps.get_model("partners", "PartnerEvent")  # the event feed
    _redact_rows(event_model.objects.filter(complaint_reference__in=references), redact)


def _anonymised_response(value, customer: Customer, redact):
    """A stored API answer as the API would give it now: the customer's own
    object (the dict with its code) shows the anonymised customer, and the
    person is redacted from every other text."""
    if isinstance(value, list):
        return [_anonymised_response(item, customer, redact) for item in value]
    if not isinstance(value, dict):
        return redact(value) if isinstance(value, str) else value
    value = {k: _anonymised_response(v, customer, redact) for k, v in value.items()}
    if value.get("code") == customer.code:
        for key, blank in (
            ("name", customer.name),
            ("phone", ""),
            ("email", ""),
            ("address", ""),
            ("external_id", None),
        ):
            if key in value:
                value[key] = blank
    return value


def _erase_idempotency_records(customer: Customer, redact) -> None:
    """Stored answers about the customer are anonymised, not deleted: a retry
    of the request replays the anonymised answer and is still not carried out
    twice (no duplicate complaint)."""
    if not apps.is_installed("partners"):
        return
    record_model = apps.get_model("partners", "IdempotencyRecord")
    for record in record_model.objects.filter(customer=customer):
        body = _anonymised_response(record.response_body, customer, redact)
        if body != record.response_body:
            record.response_body = body
            record.save(update_fields=["response_body"])


@transaction.atomic
def customer_erase(*, actor, customer: Customer) -> Customer:
    """Anonymise the customer (PIPL erasure) keeping statistics intact.

    Blanks name, identifiers, address, birthday, tags and notes; deletes contacts,
    external ids and the complaints' attachments (files too, once committed)
    and the raw bytes of the customer's received mail (quarantine included);
    redacts mentions of the person in the free text of every row pointing at the
    customer or at its complaints, interactions and revisits (events, replies,
    notes, surveys, quality inspections, corrective actions…), in staff
    notifications, in the partner webhook deliveries of its complaints and in the
    admin log; anonymises the stored API answers about the customer (idempotency
    records). Keeps categories, statuses, times, SLA figures, scores and
    outcomes. Logged as an erasure.
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    mentions = _mentions(customer)
    redact = _redactor(customer)
    rows = _persons_rows(customer)
    for model, objects in rows.items():
        label = model._meta.label_lower
        if model is Customer or label in _DELETED:
            continue
        _redact_rows(model._base_manager.filter(pk__in=[o.pk for o in objects]), redact)
    # Reprs computed after the redaction (a complaint's subject is redacted).
    rows = {
        model: list(model._base_manager.filter(pk__in=[o.pk for o in objects]))
        for model, objects in rows.items()
    }
    _erase_admin_log(rows, redact)
    # Entries of rows deleted earlier (a contact removed last year) cannot be
    # traced to the customer: their repr is redacted where it names the person.
    _redact_log_reprs(mentions, redact)
    _erase_attachments(rows)
    complaints = [
        obj
        for model, objects in rows.items()
        if model._meta.label_lower == "complaints.complaint"
        for obj in objects
    ]
    Interaction.objects.filter(customer=customer).update(summary=ERASED_TEXT)
    _erase_outbox_messages(rows)
    _erase_received_mail(rows, mentions)
    _redact_rows(_mentioned(Notification, ("title", "body"), mentions), redact)
    _erase_webhook_payloads(complaints, redact)
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
    _erase_idempotency_records(customer, redact)
    revisits_cancel_for_customer(customer=customer)
    personal_data_access_log(
        actor=actor, customer=customer, action=PersonalDataAccess.Action.ERASE
    )
    return customer
