"""In-portal notifications to staff (and the outbox of their e-mails)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """An in-portal notification to a staff member, and the outbox row of its e-mail.

    ``key`` is unique: whoever raises a notification names it (e.g.
    ``revisit:42:due_soon``), so raising it twice, from a re-run or a concurrent
    job, stores it once. E-mail delivery reads rows whose ``email_status`` is
    pending, leases them and marks them sent (see ``crm.notification_emails``).
    ``email_attempts`` counts sends that were *started* for this row.
    """

    class EmailStatus(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("not needed")
        FAILED = "failed", _("failed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    key = models.CharField(_("deduplication key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_status = models.CharField(
        _("e-mail status"),
        max_length=16,
        choices=EmailStatus.choices,
        default=EmailStatus.PENDING,
    )
    email_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)
    email_lease_until = models.DateTimeField(
        _("e-mail leased until"), null=True, blank=True
    )
    # Who holds the lease (config.outbox): only its holder records the result.
    email_lease_token = models.UUIDField(_("lease token"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_read"),
            models.Index(
                fields=["email_status", "email_lease_until"], name="notif_email_due"
            ),
        ]

    def __str__(self):
        return self.title


class NotificationAttachment(models.Model):
    """A file the e-mail of a notification carries (e.g. the monthly KPI pack).

    Written with its notification, in the same transaction (``notify``), so the
    outbox row and what it sends exist together; read by the delivery when it
    builds the message. Kept after sending: a failed e-mail retried from the
    admin sends the same file.
    """

    notification = models.ForeignKey(
        Notification,
        verbose_name=_("notification"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    content = models.BinaryField(_("content"))

    class Meta:
        verbose_name = _("e-mail attachment")
        verbose_name_plural = _("e-mail attachments")
        ordering = ["notification", "pk"]

    def __str__(self):
        return self.filename
