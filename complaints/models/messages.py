"""Messages to the customer (issue 13): the outbox and its editable templates.

``CustomerMessage`` is an outbox row written in the transaction of its cause
(intake, a reply, a status change) and delivered later by
``complaints.deliver_customer_messages`` under a lease (``config.outbox``).
One row per (complaint, trigger key, channel): the unique key makes every
trigger queue exactly one message. A message about something other than a
complaint (an after-sales visit reminder, issue 17) has no complaint: it names
its customer and the reference it is about (``reference``, e.g. a service
order's), and is unique per (customer, trigger key, channel). Address, subject
and body are personal data: stored encrypted, masked by the customer's erasure.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models.complaint import Complaint, ComplaintReply
from crm.fields import EncryptedTextField


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")


class MessageKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("acknowledgement of receipt")
    REPLY = "reply", _("reply to customer")
    HANDLING = "handling", _("handling started")
    ON_HOLD = "on_hold", _("on hold")
    RESOLVED = "resolved", _("resolved (with survey link)")
    VISIT_REMINDER = "visit_reminder", _("reminder of a service visit")


class CustomerMessage(models.Model):
    """One message to a customer: pending → sending → sent / failed, or
    pending → withdrawn (its cause went away before the send started)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        WITHDRAWN = "withdrawn", _("withdrawn")

    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.CASCADE,
        related_name="customer_messages",
        null=True,
        blank=True,
    )
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="customer_messages",
    )
    # What the message is about: the complaint's reference, or another
    # record's (a service order's) for a message without a complaint.
    reference = models.CharField(_("about"), max_length=40, blank=True)
    reply = models.ForeignKey(
        ComplaintReply,
        verbose_name=_("reply to customer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    trigger_key = models.CharField(_("trigger"), max_length=64)
    channel = models.CharField(
        _("channel"), max_length=10, choices=MessageChannel.choices
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    address = EncryptedTextField(_("address"), blank=True, default="")
    subject = EncryptedTextField(_("subject"), blank=True, default="")
    body = EncryptedTextField(_("message"), blank=True, default="")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # SMS and WeChat queued in quiet hours wait until this time.
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    provider_id = models.CharField(_("provider's id"), max_length=200, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    lease_until = models.DateTimeField(
        _("lease until"), null=True, blank=True, editable=False
    )
    lease_token = models.UUIDField(
        _("lease token"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("message to customer")
        verbose_name_plural = _("messages to customers")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "trigger_key", "channel"],
                name="customermessage_unique_trigger",
            ),
            models.UniqueConstraint(
                fields=["customer", "trigger_key", "channel"],
                condition=models.Q(complaint__isnull=True),
                name="customermessage_unique_trigger_no_complaint",
            ),
            models.CheckConstraint(
                condition=models.Q(complaint__isnull=False) | ~models.Q(reference=""),
                name="customermessage_about_something",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "not_before"], name="customermessage_due_idx"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.get_channel_display()}"


class MessageTemplate(models.Model):
    """An edited wording of one kind of message for one channel and language;
    without a row the built-in default (``complaints.services.customer_messages
    .DEFAULT_TEMPLATES``) is used. Variables in braces: ``{reference}``,
    ``{subject}``, ``{tracking_url}``, ``{reply_due}``, ``{reply}``,
    ``{reason}``, ``{survey_url}``; for a visit reminder ``{time_window}``,
    ``{technician}``."""

    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    channel = models.CharField(
        _("channel"), max_length=10, choices=MessageChannel.choices
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=[("zh-hans", _("Simplified Chinese")), ("en", _("English"))],
        default="zh-hans",
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["kind", "channel", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "channel", "language"],
                name="messagetemplate_unique_kind_channel_language",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.get_channel_display()} · {self.language}"
