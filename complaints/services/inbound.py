"""Complaints by e-mail: one received message becomes a new complaint, a
customer message on an existing one, nothing (auto-replies, bounces,
duplicates) or a quarantined row (unreadable MIME) — never lost, never twice.

Where mail comes from (a Maildir folder, IMAP, a provider's POST) is
``complaints.services.inbound_sources``; this module decides what one message
means. See docs/customer-messages.md, "Inbound e-mail".
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from complaints.models import Complaint, ComplaintEvent, InboundEmail
from complaints.services import clock
from complaints.services.attachments import complaint_attach
from complaints.services.closing import complaint_reopen
from complaints.services.common import lock
from complaints.services.events import event_record
from complaints.services.intake import complaint_receive
from complaints.services.links import outbound_message_id  # noqa: F401 (its home was here)
from config.errors import Conflict, DomainError, InvalidInput, NotPermitted
from crm import pii, scoping
from crm.services.customers import customer_upsert

S = Complaint.Status
EK = ComplaintEvent.Kind
Outcome = InboundEmail.Outcome

# ``[TS202612010001]`` in a subject names the complaint (complaints.services.
# reference: "TS" + YYYYMMDD + a sequence of at least four digits).
SUBJECT_REFERENCE = re.compile(r"\[\s*(TS\d{12,})\s*\]", re.IGNORECASE)
# Message-IDs of the mail Kefu sends about a complaint: ``<kefu.TS….<random>@host>``
# (links.outbound_message_id); a reply's In-Reply-To/References carry them back.
OUTBOUND_ID = re.compile(r"<kefu\.(TS\d{12,})\.[^@>]+@[^>]+>", re.IGNORECASE)
AUTO_SENDERS = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply)(\+.*)?@", re.IGNORECASE
)
BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
# Defects that mean the structure cannot be trusted (a lost boundary: parts
# would be read as text or dropped).
STRUCTURE_DEFECTS = (
    "NoBoundaryInMultipartDefect",
    "StartBoundaryNotFoundDefect",
    "CloseBoundaryNotFoundDefect",
    "MultipartInvariantViolationDefect",
    "MissingHeaderBodySeparatorDefect",
)
DESCRIPTION_MAX = 20_000


class MalformedMail(Exception):
    """The message cannot be read; the text says why (shown in the admin)."""


@dataclass
class ParsedMail:
    message_id: str
    sender: str  # normalised address
    sender_name: str
    subject: str
    text: str
    in_reply_to: list[str]
    auto_reason: str
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)


def _digest_key(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _decode_part(part) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        for encoding in ("utf-8", "gb18030"):
            try:
                return payload.decode(encoding)
            except UnicodeDecodeError:
                continue
        return payload.decode("utf-8", errors="replace")


def _html_to_text(markup: str) -> str:
    markup = re.sub(
        r"<(script|style|head)\b.*?</\1\s*>", " ", markup, flags=re.I | re.S
    )
    markup = re.sub(r"<br\s*/?>|</p\s*>|</div\s*>|</tr\s*>", "\n", markup, flags=re.I)
    text = html.unescape(strip_tags(markup))
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _auto_reason(msg: EmailMessage, sender: str) -> str:
    auto = str(msg.get("Auto-Submitted", "") or "").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = str(msg.get("Precedence", "") or "").strip().lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    for header in ("X-Autoreply", "X-Autorespond"):
        if msg.get(header) is not None:
            return header
    if msg.get_content_type() == "multipart/report":
        return "multipart/report (delivery or read report)"
    if AUTO_SENDERS.match(sender):
        return f"automatic sender {sender}"
    if str(msg.get("Return-Path", "")).strip() == "<>":
        return "empty Return-Path (bounce)"
    return ""


def parse_mail(raw: bytes) -> ParsedMail:
    """Read ``raw`` (RFC 5322 bytes) or raise ``MalformedMail`` with the reason."""
    if not raw or not raw.strip():
        raise MalformedMail("empty message")
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        defects = [type(d).__name__ for d in msg.defects]
        for part in msg.walk():
            defects += [type(d).__name__ for d in part.defects]
        broken = sorted(set(defects) & set(STRUCTURE_DEFECTS))
        if broken:
            raise MalformedMail("broken MIME structure: " + ", ".join(broken))
        if not msg.keys():
            raise MalformedMail("no headers")
        from_header = msg.get("From")
        addresses = getattr(from_header, "addresses", ()) if from_header else ()
        if not addresses:
            pairs = getaddresses([str(from_header or "")])
            addresses = [
                Address(display_name=name, addr_spec=addr)
                for name, addr in pairs
                if "@" in addr
            ]
        if not addresses or "@" not in (addresses[0].addr_spec or ""):
            raise MalformedMail("no sender address (From)")
        sender = pii.normalise_email(addresses[0].addr_spec)
        sender_name = (addresses[0].display_name or "").strip()
        subject = re.sub(r"\s+", " ", str(msg.get("Subject", "") or "")).strip()
        body = msg.get_body(preferencelist=("plain", "html"))
        text = ""
        if body is not None:
            content = _decode_part(body)
            text = (
                _html_to_text(content)
                if body.get_content_type() == "text/html"
                else content.strip()
            )
        attachments = []
        for part in msg.iter_attachments():
            name = part.get_filename()
            if not name or part.is_multipart():
                continue
            data = part.get_payload(decode=True) or b""
            attachments.append((name, part.get_content_type(), data))
        references = " ".join(
            str(msg.get(h, "") or "") for h in ("In-Reply-To", "References")
        )
        message_id = str(msg.get("Message-ID", "") or "").strip()[:255]
    except MalformedMail:
        raise
    except Exception as exc:  # the parser's own failures: quarantine, never lose
        raise MalformedMail(f"unreadable: {type(exc).__name__}: {exc}") from exc
    return ParsedMail(
        message_id=message_id,
        sender=sender,
        sender_name=sender_name,
        subject=subject,
        text=text,
        in_reply_to=re.findall(r"<[^<>\s]+>", references),
        auto_reason=_auto_reason(msg, sender),
        attachments=attachments,
    )


def _store(*, key, source, outcome, reason, subject="", raw=None, size=0):
    row, created = InboundEmail.objects.get_or_create(
        message_id=key,
        defaults={
            "source": source,
            "outcome": outcome,
            "reason": reason,
            "subject": subject[:255],
            "raw": raw,
            "size": size,
            "received_at": clock.now(),
        },
    )
    return row, created


def _complaint_replied_to(mail: ParsedMail) -> Complaint | None:
    """The complaint the mail answers: a reference in the subject, a Message-ID
    of Kefu's mail about it, or an earlier mail of the thread."""
    references = [m.upper() for m in SUBJECT_REFERENCE.findall(mail.subject)]
    for message_id in mail.in_reply_to:
        found = OUTBOUND_ID.match(message_id)
        if found:
            references.append(found.group(1).upper())
    for reference in references:
        complaint = Complaint.objects.filter(reference=reference).first()
        if complaint is not None:
            return complaint
    if mail.in_reply_to:
        earlier = (
            InboundEmail.objects.filter(
                message_id__in=mail.in_reply_to, complaint__isnull=False
            )
            .select_related("complaint")
            .first()
        )
        if earlier is not None:
            return earlier.complaint
    return None


def _from_customer(complaint: Complaint, sender: str) -> bool:
    """Only the complaint's own customer (by the e-mail digest) may add to it."""
    digest = complaint.customer.email_digest
    return bool(digest) and digest in pii.email_digests(sender)


def _attach_all(complaint: Complaint, mail: ParsedMail) -> list[str]:
    """Store the attachments under the usual limits; the reasons of refusals."""
    refused = []
    for name, content_type, data in mail.attachments:
        try:
            complaint_attach(
                actor=None,
                complaint=complaint,
                file=ContentFile(data, name=name),
                name=name,
                content_type=content_type,
            )
        except InvalidInput as exc:
            refused.append(f"{name}: {exc}")
    if refused:
        event_record(
            complaint=complaint,
            kind=EK.NOTE,
            note=_("Attachments of the customer's e-mail not kept: %(list)s")
            % {"list": "; ".join(refused)},
        )
    return refused


def _append(complaint: Complaint, mail: ParsedMail, row: InboundEmail) -> list[str]:
    """The mail as a customer message on ``complaint`` (not a first response:
    no clock moves), reopening it if it was resolved within the window."""
    locked = lock(complaint)
    event_record(
        complaint=locked,
        kind=EK.CUSTOMER_MESSAGE,
        customer_visible=True,
        note=mail.text[:DESCRIPTION_MAX] or mail.subject,
        data={"channel": Complaint.Channel.EMAIL, "inbound_email": row.pk},
    )
    notes = _attach_all(locked, mail)
    window = timedelta(days=settings.KEFU_REOPEN_WINDOW_DAYS)
    if (
        locked.status in (S.RESOLVED, S.CLOSED)
        and locked.resolved_at is not None
        and locked.resolved_at >= clock.now() - window
    ):
        complaint_reopen(
            actor=None,
            complaint=locked,
            reason=_("The customer wrote again by e-mail."),
        )
        notes.append("reopened")
    return notes


def _create(mail: ParsedMail, *, mentioned: str = "") -> tuple[Complaint, list[str]]:
    name = mail.sender_name or mail.sender.partition("@")[0]
    customer, _created = customer_upsert(actor=None, name=name[:200], email=mail.sender)
    subject = mail.subject or _("E-mail without subject")
    description = mail.text[:DESCRIPTION_MAX] or subject
    complaint = complaint_receive(
        actor=None,
        customer=customer,
        channel=Complaint.Channel.EMAIL,
        category=settings.KEFU_INBOUND_CATEGORY,
        subject=subject,
        description=description,
    )
    notes = _attach_all(complaint, mail)
    if mentioned:
        notes.append(f"mentions {mentioned} of another customer")
    return complaint, notes


def inbound_email_receive(*, raw: bytes, source: str) -> tuple[InboundEmail, bool]:
    """Act on one received message; (its row, whether this call stored it).

    Idempotent by Message-ID (or a digest of the bytes): a message seen before
    returns its row and does nothing. Auto-replies and bounces are recorded as
    ignored; unreadable MIME and mail the intake refuses are quarantined with
    the raw bytes and the reason. A new mail creates a complaint (channel
    e-mail; the customer found by the e-mail digest, or created); a reply from
    the complaint's customer is added to it.
    """
    size = len(raw or b"")
    try:
        mail = parse_mail(raw)
    except MalformedMail as exc:
        return _store(
            key=_digest_key(raw or b""),
            source=source,
            outcome=Outcome.QUARANTINED,
            reason=str(exc),
            raw=raw,
            size=size,
        )
    key = mail.message_id or _digest_key(raw)
    existing = InboundEmail.objects.filter(message_id=key).first()
    if existing is not None:
        return existing, False
    if mail.auto_reason:
        return _store(
            key=key,
            source=source,
            outcome=Outcome.IGNORED,
            reason=mail.auto_reason,
            subject=mail.subject,
            size=size,
        )
    try:
        with transaction.atomic():
            row = InboundEmail.objects.create(
                message_id=key,
                source=source,
                outcome=Outcome.CREATED,
                subject=mail.subject[:255],
                size=size,
                received_at=clock.now(),
            )
            target = _complaint_replied_to(mail)
            if target is not None and _from_customer(target, mail.sender):
                notes = _append(target, mail, row)
                row.complaint, row.outcome = target, Outcome.APPENDED
            else:
                mentioned = target.reference if target is not None else ""
                row.complaint, notes = _create(mail, mentioned=mentioned)
            row.reason = "; ".join(notes)
            row.save(update_fields=["complaint", "outcome", "reason"])
            return row, True
    except IntegrityError:
        found = InboundEmail.objects.filter(message_id=key).first()
        if found is None:
            raise
        return found, False  # a concurrent fetch of the same message won
    except DomainError as exc:
        return _store(
            key=key,
            source=source,
            outcome=Outcome.QUARANTINED,
            reason=f"refused by intake: {exc}",
            subject=mail.subject,
            raw=raw,
            size=size,
        )


@transaction.atomic
def inbound_email_retry(*, actor, inbound_email: InboundEmail) -> InboundEmail:
    """Process a quarantined message again, once its cause is fixed (say the
    category of ``KEFU_INBOUND_CATEGORY`` exists again, or a bug was mended).

    Administrators only (the raw bytes are personal data). The quarantined row
    gives way to what the message now becomes — a quarantined row again, with
    the new reason, if it still cannot be read; its bytes are never dropped.
    """
    if actor is not None and not scoping.sees_everything(actor):
        raise NotPermitted(_("Only administrators may process quarantined mail."))
    row = InboundEmail.objects.select_for_update().get(pk=inbound_email.pk)
    if row.outcome != Outcome.QUARANTINED or row.raw is None:
        raise Conflict(
            _("Only quarantined mail can be processed again."), code="not_quarantined"
        )
    raw, source = bytes(row.raw), row.source
    row.delete()
    new, _created = inbound_email_receive(raw=raw, source=source)
    return new


__all__ = ["inbound_email_receive", "inbound_email_retry"]
