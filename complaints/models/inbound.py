"""Mail that customers send to the service mailbox (Maildir, IMAP or a provider's
POST), one row per message: what became of it, and the raw bytes of a message
that could not be read (quarantine), so that nothing is lost.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models.complaint import Complaint
from crm.fields import EncryptedBytesField


class InboundEmail(models.Model):
    """One received e-mail. ``message_id`` (the Message-ID header, or a digest of
    the bytes when it has none) is unique: the same mail fetched twice, from a
    re-poll or a provider's retry, is stored and acted on once.

    Written by ``complaints.services.inbound`` only; read-only in the admin.
    """

    class Source(models.TextChoices):
        MAILDIR = "maildir", _("Maildir folder")
        IMAP = "imap", _("IMAP mailbox")
        WEBHOOK = "webhook", _("provider POST")

    class Outcome(models.TextChoices):
        CREATED = "created", _("new complaint")
        APPENDED = "appended", _("added to a complaint")
        IGNORED = "ignored", _("ignored (auto-reply or bounce)")
        QUARANTINED = "quarantined", _("quarantined")

    message_id = models.CharField(_("message id"), max_length=255, unique=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    reason = models.TextField(_("reason"), blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_emails",
    )
    # Kept only for quarantined mail (staff read it, fix the cause, re-feed it),
    # encrypted at rest like the customers' identifiers; erasure drops it.
    raw = EncryptedBytesField(_("raw message"), null=True, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    received_at = models.DateTimeField(_("received at"), db_index=True)

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["outcome", "received_at"], name="inbound_outcome"),
        ]

    def __str__(self):
        return f"{self.get_outcome_display()} {self.subject[:60]}"
