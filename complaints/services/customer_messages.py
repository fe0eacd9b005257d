"""Messages to the customer (issue 13): queued with their cause, sent by a task.

Queueing (``message_queue`` and the trigger functions below) runs inside the
transaction of the change that causes it, called by ``complaints.services
.followups`` at its moments: intake acknowledgement, every reply, handling
started, on hold (with the reason), resolved (with the survey link). It chooses
one channel (``choose_channel``), renders the template of (kind, channel,
language) and writes one ``CustomerMessage`` per (complaint, trigger key,
channel) — the unique key makes a trigger queue exactly one message — and
publishes ``complaints.deliver_customer_messages`` once the transaction commits.
A customer without a usable address gets no message; the complaint's timeline
says why (event ``message_not_sent``).

A message about something else than a complaint (an after-sales visit
reminder, issue 17) is queued by ``customer_message_queue`` with its customer,
the reference it is about and a trigger key unique for that customer; the
caller records on its own record that it was queued (or why not). A pending
message whose cause went away is withdrawn (``customer_message_withdraw``)
unless its send has started.

SMS and WeChat queued in quiet hours (``KEFU_QUIET_HOURS_START``–``END`` local
time, 21:00–08:00) wait until the end of them (``not_before``) unless the
complaint is urgent; e-mail goes any time.

Delivery (``complaints.services.message_delivery``, re-exported here) reuses ``config.outbox``: one row per
lease, the attempt counted and the status set to ``sending`` when the send
starts (conditional on the token), the result recorded only while the lease is
still ours; a failure returns the row to ``pending`` with a back-off, and after
``KEFU_MESSAGE_MAX_ATTEMPTS`` started sends it is ``failed``. Sent and failed
messages are written on the complaint's timeline.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from string import Formatter

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import (
    Complaint,
    ComplaintEvent,
    CustomerMessage,
    MessageChannel,
    MessageKind,
    MessageTemplate,
    SlaTarget,
)
from complaints.services import clock, links
from complaints.services.events import event_record
from complaints.services.message_delivery import (
    customer_messages_deliver,
    deliver_customer_messages,
    release_time,
)

logger = logging.getLogger(__name__)

C = MessageChannel
K = MessageKind
EK = ComplaintEvent.Kind

__all__ = [
    "choose_channel",
    "choose_customer_channel",
    "customer_message_queue",
    "customer_message_withdraw",
    "customer_messages_deliver",
    "message_queue",
    "queue_acknowledgement",
    "queue_reply",
    "queue_resolved",
    "queue_status_notice",
    "release_time",
    "render",
    "template_check",
]

# --- templates --------------------------------------------------------------------

# The built-in wording (the seeds' standard phrases: 您好 / 感谢您的反馈, what
# happens next — 核实、分析、处理、反馈 — and the promised reply time). An admin
# row of MessageTemplate for (kind, channel, language) replaces it.
DEFAULT_TEMPLATES: dict[tuple[str, str], tuple[str, str]] = {
    (K.ACKNOWLEDGEMENT, "zh-hans"): (
        "【{reference}】您的投诉已受理",
        "您好，感谢您的反馈。您的投诉（编号 {reference}：{subject}）已受理。"
        "我们将核实情况、分析原因并处理，预计在 {reply_due} 前给您答复。"
        "查询进度：{tracking_url}",
    ),
    (K.ACKNOWLEDGEMENT, "en"): (
        "[{reference}] We have received your complaint",
        "Hello, thank you for your feedback. Your complaint ({reference}: {subject}) "
        "has been registered. We will check the facts, find the cause and act on it, "
        "and reply by {reply_due}. Track it here: {tracking_url}",
    ),
    (K.REPLY, "zh-hans"): (
        "【{reference}】关于您投诉的答复",
        "您好，关于您的投诉 {reference}：\n{reply}\n查询进度：{tracking_url}",
    ),
    (K.REPLY, "en"): (
        "[{reference}] Our reply to your complaint",
        "Hello, about your complaint {reference}:\n{reply}\nTrack it here: {tracking_url}",
    ),
    (K.HANDLING, "zh-hans"): (
        "【{reference}】您的投诉正在处理",
        "您好，您的投诉 {reference} 已进入处理阶段，我们会尽快给您答复。"
        "查询进度：{tracking_url}",
    ),
    (K.HANDLING, "en"): (
        "[{reference}] We are handling your complaint",
        "Hello, we have started handling your complaint {reference} and will reply "
        "as soon as we can. Track it here: {tracking_url}",
    ),
    (K.ON_HOLD, "zh-hans"): (
        "【{reference}】您的投诉暂停处理",
        "您好，您的投诉 {reference} 暂停处理，原因：{reason}。"
        "待情况明确后我们将继续处理。查询进度：{tracking_url}",
    ),
    (K.ON_HOLD, "en"): (
        "[{reference}] Your complaint is on hold",
        "Hello, your complaint {reference} is on hold: {reason}. We will continue "
        "as soon as this is settled. Track it here: {tracking_url}",
    ),
    (K.RESOLVED, "zh-hans"): (
        "【{reference}】您的投诉已处理完毕",
        "您好，您的投诉 {reference} 已处理完毕，感谢您的耐心与支持。"
        "请您对本次处理进行评价：{survey_url}",
    ),
    (K.RESOLVED, "en"): (
        "[{reference}] Your complaint is resolved",
        "Hello, your complaint {reference} has been resolved. Thank you for your "
        "patience. Please tell us how we did: {survey_url}",
    ),
    # After-sales (issue 17): the day before a booked visit — when, who, which
    # order, how to move it (the seed's 预约与跟踪: the visit is kept on time).
    (K.VISIT_REMINDER, "zh-hans"): (
        "【{reference}】上门服务提醒",
        "您好，您预约的售后上门服务（服务单号 {reference}）将于 {time_window} 进行，"
        "服务工程师：{technician}。请您届时安排人员在场。如需改期，请致电客服热线"
        "并提供服务单号 {reference}。感谢您的支持！",
    ),
    (K.VISIT_REMINDER, "en"): (
        "[{reference}] Reminder of your service visit",
        "Hello, your after-sales visit (service order {reference}) is booked for "
        "{time_window}; your technician: {technician}. Please make sure someone "
        "is there. To move the visit, please call our hotline with the service "
        "order number {reference}. Thank you!",
    ),
}
VARIABLES = (
    "reference",
    "subject",
    "tracking_url",
    "reply_due",
    "reply",
    "reason",
    "survey_url",
    "time_window",
    "technician",
)
LANGUAGES = ("zh-hans", "en")


class _Values(dict):
    def __missing__(self, key):
        return ""


def render_text(text: str, values: dict) -> str:
    """``text`` with ``{variable}``s filled in (unknown ones empty). Raises
    ``ValueError``/``KeyError``/``IndexError`` for a malformed template."""
    return text.format_map(_Values(values))


def template_check(text: str) -> None:
    """Raise ``ValueError`` if ``text`` is not a usable template: malformed
    braces or a variable other than ``VARIABLES`` (admin form)."""
    try:
        names = {
            field for _l, field, _f, _c in Formatter().parse(text) if field is not None
        }
        render_text(text, dict.fromkeys(VARIABLES, "x"))
    except (ValueError, KeyError, IndexError, AttributeError) as exc:
        raise ValueError(str(exc)) from exc
    unknown = names - set(VARIABLES)
    if unknown:
        raise ValueError(", ".join(sorted(unknown)))


def render(kind: str, channel: str, language: str, values: dict) -> tuple[str, str]:
    """(subject, body) of ``kind`` for ``channel`` in ``language``: the admin's
    template if there is one (and it renders), else the built-in wording."""
    row = (
        MessageTemplate.objects.filter(kind=kind, channel=channel, language=language)
        .only("subject", "body")
        .first()
    )
    default = (
        DEFAULT_TEMPLATES.get((kind, language)) or DEFAULT_TEMPLATES[(kind, "zh-hans")]
    )
    if row is not None:
        try:
            return (
                render_text(row.subject or default[0], values),
                render_text(row.body, values),
            )
        except (ValueError, KeyError, IndexError, AttributeError):
            logger.warning("message template %s does not render; default used", row.pk)
    return render_text(default[0], values), render_text(default[1], values)


# --- channel and address ----------------------------------------------------------

# The complaint's channel → the channel we answer on; the customer's preferred
# contact channel (crm.ContactChannel) → ours.
FROM_COMPLAINT_CHANNEL = {
    "email": C.EMAIL,
    "social": C.WECHAT,
    "phone": C.SMS,
    "online": C.SMS,
    "onsite": C.SMS,
    "letter": C.SMS,
    "api": C.SMS,
}
FROM_PREFERRED = {"email": C.EMAIL, "sms": C.SMS, "phone": C.SMS, "social": C.WECHAT}
MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
WECHAT_PREFIX = "wechat:"


def _address(customer, channel: str) -> str:
    if channel == C.EMAIL:
        email = (customer.email or "").strip()
        return email if "@" in email else ""
    if channel == C.SMS:
        digits = re.sub(r"[\s\-()]", "", customer.phone or "")
        match = MOBILE.match(digits)
        return match.group(1) if match else ""
    # WeChat: the customer's openid, kept as an in-house external id "wechat:<openid>".
    ext = (
        customer.external_ids.filter(
            partner__isnull=True, external_id__startswith=WECHAT_PREFIX
        )
        .values_list("external_id", flat=True)
        .first()
    )
    return ext.removeprefix(WECHAT_PREFIX) if ext else ""


def choose_channel(complaint: Complaint) -> tuple[str, str, str]:
    """(channel, address, reason): the channel to message the complaint's
    customer on and the address, or ("", "", why not).

    The customer's preferred channel first if they consented to be contacted,
    then the channel the complaint came in on (a transactional answer needs no
    marketing consent), then — with consent — any usable e-mail or mobile.
    """
    return choose_customer_channel(
        complaint.customer,
        fallback=FROM_COMPLAINT_CHANNEL.get(complaint.channel, C.SMS),
    )


def choose_customer_channel(
    customer, *, fallback: str | tuple[str, ...] = C.SMS
) -> tuple[str, str, str]:
    """(channel, address, reason) for ``customer``: their preferred channel if
    they consented to be contacted, then ``fallback`` (the channel or channels,
    in order, of the transaction the message is about: no consent needed), then
    — with consent — e-mail or mobile."""
    if customer is None or customer.is_anonymised:
        return "", "", _("The customer's personal data were erased.")
    candidates: list[str] = []
    if customer.consent_to_contact and customer.preferred_channel in FROM_PREFERRED:
        candidates.append(FROM_PREFERRED[customer.preferred_channel])
    candidates += [fallback] if isinstance(fallback, str) else list(fallback)
    if customer.consent_to_contact:
        candidates += [C.EMAIL, C.SMS]
    tried = []
    for channel in dict.fromkeys(candidates):
        address = _address(customer, channel)
        if address:
            return channel, address, ""
        tried.append(str(C(channel).label))
    return (
        "",
        "",
        _("No usable address for %(channels)s.") % {"channels": ", ".join(tried)},
    )


# --- queueing ---------------------------------------------------------------------


def _enqueue_delivery() -> None:
    deliver_customer_messages.delay()


def _enqueue_on_commit() -> None:
    """One delivery task per transaction, after it commits."""
    current = set(connection.savepoint_ids)
    for sids, func, _robust in getattr(connection, "run_on_commit", []):
        if func is _enqueue_delivery and sids <= current:
            return
    transaction.on_commit(_enqueue_delivery, robust=True)


def message_language(customer=None) -> str:
    """The customer's preferred language if it has templates, else
    ``KEFU_MESSAGE_LANGUAGE``, else Chinese (the language of their messages)."""
    for language in (
        getattr(customer, "preferred_language", "") or "",
        settings.KEFU_MESSAGE_LANGUAGE or "",
    ):
        if language.lower() in LANGUAGES:
            return language.lower()
    return "zh-hans"


def message_queue(
    *,
    complaint: Complaint,
    kind: str,
    trigger_key: str,
    values: dict | None = None,
    reply=None,
    now: datetime | None = None,
) -> CustomerMessage | None:
    """Queue the message ``kind`` of the trigger ``trigger_key`` (in the
    caller's transaction); the existing row if the trigger already queued it;
    None (and a ``message_not_sent`` event) when the customer has no usable
    address."""
    channel, address, reason = choose_channel(complaint)
    if not channel:
        event_record(
            complaint=complaint,
            kind=EK.MESSAGE_NOT_SENT,
            note=reason,
            data={"kind": kind, "trigger": trigger_key},
        )
        return None
    existing = CustomerMessage.objects.filter(
        complaint=complaint, trigger_key=trigger_key, channel=channel
    ).first()
    if existing is not None:
        return existing
    now = now or clock.now()  # the change's time (seed_demo replays history)
    language = message_language(complaint.customer)
    context = {
        "reference": complaint.reference,
        "subject": complaint.subject,
        "tracking_url": links.tracking_url(complaint),
        **(values or {}),
    }
    subject, body = render(kind, channel, language, context)
    row = CustomerMessage.objects.create(
        complaint=complaint,
        customer_id=complaint.customer_id,
        reference=complaint.reference,
        reply=reply,
        kind=kind,
        trigger_key=trigger_key,
        channel=channel,
        language=language,
        address=address,
        subject=subject,
        body=body,
        not_before=release_time(channel, complaint.severity, now),
    )
    _enqueue_on_commit()
    return row


def customer_message_queue(
    *,
    customer,
    reference: str,
    kind: str,
    trigger_key: str,
    values: dict | None = None,
    fallback_channel: str | tuple[str, ...] = C.SMS,
    now: datetime | None = None,
) -> tuple[CustomerMessage | None, str]:
    """Queue a message to ``customer`` about ``reference`` that is not about a
    complaint, in the caller's transaction: (the row, "") — the existing row
    if ``trigger_key`` already queued it for this customer — or (None, why
    not) when the customer has no usable address. Delivery, quiet hours,
    templates and languages are those of the complaint messages; the caller
    records on its own record that a message was queued (not sent)."""
    channel, address, reason = choose_customer_channel(
        customer, fallback=fallback_channel
    )
    if not channel:
        return None, reason
    found = CustomerMessage.objects.filter(
        complaint__isnull=True,
        customer=customer,
        trigger_key=trigger_key,
        channel=channel,
    ).first()
    if found is not None:
        return found, ""
    now = now or clock.now()
    language = message_language(customer)
    subject, body = render(
        kind, channel, language, {"reference": reference, **(values or {})}
    )
    row = CustomerMessage.objects.create(
        customer=customer,
        reference=reference,
        kind=kind,
        trigger_key=trigger_key,
        channel=channel,
        language=language,
        address=address,
        subject=subject,
        body=body,
        not_before=release_time(channel, "", now),
    )
    _enqueue_on_commit()
    return row, ""


def customer_message_withdraw(*, customer, trigger_key: str) -> int:
    """Withdraw the unsent messages of ``trigger_key`` to ``customer`` that are
    about no complaint (their cause went away: a visit cancelled or moved);
    returns how many.

    Pending and failed rows (a failed one could otherwise be sent again from
    the failed-deliveries page) are withdrawn outright. A row whose send is in
    flight (``sending``) is marked withdrawn but keeps its lease: if that send
    goes through, the worker records it as sent (it was); if it fails, the
    row stays withdrawn instead of going back to pending; if the worker died,
    the row is no longer due. Either way it is never sent again."""
    S = CustomerMessage.Status
    in_flight = Q(status=S.SENDING)
    return CustomerMessage.objects.filter(
        complaint__isnull=True,
        customer=customer,
        trigger_key=trigger_key,
        status__in=(S.PENDING, S.FAILED, S.SENDING),
    ).update(
        status=S.WITHDRAWN,
        last_error="withdrawn",
        # one statement: a send in flight keeps its lease, the others drop it
        lease_until=Case(When(in_flight, then=F("lease_until")), default=None),
        lease_token=Case(When(in_flight, then=F("lease_token")), default=None),
    )


def _local(at: datetime | None) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}" if at else "—"


def queue_acknowledgement(*, complaint: Complaint) -> CustomerMessage | None:
    """Intake: the reference, what happens next, the promised reply time (the
    due time of the reply SLA target) and the tracking link."""
    due = (
        SlaTarget.objects.filter(
            complaint=complaint, kind=SlaTarget.Kind.REPLY, met_at__isnull=True
        )
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    return message_queue(
        complaint=complaint,
        kind=K.ACKNOWLEDGEMENT,
        trigger_key="ack",
        values={"reply_due": _local(due)},
    )


def queue_reply(*, complaint: Complaint, reply) -> CustomerMessage | None:
    """Every reply recorded by ``complaint_reply``."""
    return message_queue(
        complaint=complaint,
        kind=K.REPLY,
        trigger_key=f"reply:{reply.pk}",
        values={"reply": reply.body},
        reply=reply,
    )


def queue_status_notice(
    *, complaint: Complaint, from_status: str, to_status: str
) -> CustomerMessage | None:
    """The status changes a customer cares about: handling started (once per
    resolution cycle; not on resuming from hold), on hold with the reason."""
    S = Complaint.Status
    cycle = complaint.reopened_count + 1
    if to_status == S.HANDLING and from_status != S.ON_HOLD:
        return message_queue(
            complaint=complaint, kind=K.HANDLING, trigger_key=f"handling:{cycle}"
        )
    if to_status == S.ON_HOLD:
        reason = (
            ComplaintEvent.objects.filter(
                complaint=complaint, kind=EK.STATUS_CHANGED, to_status=S.ON_HOLD
            )
            .order_by("-created_at", "-pk")
            .values_list("note", flat=True)
            .first()
        )
        return message_queue(
            complaint=complaint,
            kind=K.ON_HOLD,
            trigger_key=f"on_hold:v{complaint.version}",
            values={"reason": reason or ""},
        )
    return None


def queue_resolved(*, complaint: Complaint) -> CustomerMessage | None:
    """Resolution: the notice with the survey link of this resolution cycle."""
    cycle = complaint.reopened_count + 1
    return message_queue(
        complaint=complaint,
        kind=K.RESOLVED,
        trigger_key=f"resolved:{cycle}",
        values={"survey_url": links.survey_url(complaint)},
    )
