"""Models of the partner API: API keys, idempotency records, webhooks.

A partner organisation (``crm.PartnerOrganisation``) reaches Kefu through the REST
API with API keys. Keys are random, shown once and stored as a SHA-256 digest
(a 256-bit random secret needs no slow hash); the short ``prefix`` finds the row.
Webhook deliveries are an outbox: one row per event per endpoint, written in the
transaction of the change, delivered and retried by the ``partners.deliver_webhooks``
task.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.credentials import PartnerCredential
from crm.fields import EncryptedJSONField, EncryptedTextField


class WebhookEvent(models.TextChoices):
    """Events a partner may subscribe to. Codes are part of the API contract."""

    COMPLAINT_CREATED = "complaint.created", _("complaint created")
    COMPLAINT_STATUS_CHANGED = "complaint.status_changed", _("complaint status changed")
    COMPLAINT_REPLIED = "complaint.replied", _("complaint replied")
    COMPLAINT_RESOLVED = "complaint.resolved", _("complaint resolved")
    SERVICE_ORDER_CREATED = "service_order.created", _("service order created")
    SERVICE_ORDER_STATUS_CHANGED = (
        "service_order.status_changed",
        _("service order status changed"),
    )
    APPOINTMENT_BOOKED = "appointment.booked", _("appointment booked")


class ApiKeyQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Keys that authenticate now: not revoked, not expired, partner active."""
        now = now or timezone.now()
        return self.filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now),
            revoked_at__isnull=True,
            partner__is_active=True,
        )


class ApiKey(models.Model):
    """A partner's API key. Only ``prefix`` and the digest of the key are stored."""

    partner = models.ForeignKey(
        "crm.PartnerOrganisation",
        verbose_name=_("partner organisation"),
        on_delete=models.CASCADE,
        related_name="api_keys",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    hashed_key = models.CharField(_("key digest"), max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["partner", "-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return (
            self.revoked_at is None
            and (self.expires_at is None or self.expires_at > now)
            and self.partner.is_active
        )

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


# Every app's endpoints recognise a partner's key through config.api.credentials.
PartnerCredential.register(ApiKey)


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an ``Idempotency-Key`` header.

    One row per (partner, key) — or (staff user, key) — for 24 hours. The row is
    inserted before the work is done, in the same transaction, so a concurrent
    duplicate waits on the unique index and then replays the stored response.

    The response can hold personal data (a customer's phone and e-mail) and
    secrets (a new webhook's signing secret): it is encrypted at rest with the
    personal-data key, ``request_hash`` is a keyed digest, and ``customer`` names
    the person the response is about so that an erasure can anonymise it
    (``crm.services.privacy.customer_erase``).
    """

    partner = models.ForeignKey(
        "crm.PartnerOrganisation",
        verbose_name=_("partner organisation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    request_hash = models.CharField(_("request digest"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True)
    response_body = EncryptedJSONField(_("response body"), null=True, blank=True)
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The customer the stored response is about, if any."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "key"],
                condition=models.Q(partner__isnull=False),
                name="idempotency_partner_key_uniq",
            ),
            models.UniqueConstraint(
                fields=["user", "key"],
                condition=models.Q(user__isnull=False),
                name="idempotency_user_key_uniq",
            ),
            models.CheckConstraint(
                condition=models.Q(partner__isnull=False)
                | models.Q(user__isnull=False),
                name="idempotency_has_owner",
            ),
        ]

    def __str__(self):
        return self.key


class WebhookEndpoint(models.Model):
    """A URL of a partner that receives signed event notifications."""

    partner = models.ForeignKey(
        "crm.PartnerOrganisation",
        verbose_name=_("partner organisation"),
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(_("URL"), max_length=500)
    # Encrypted at rest like personal identifiers (crm.pii); HMAC needs the
    # secret itself, so it cannot be stored as a digest.
    secret = EncryptedTextField(
        _("signing secret"),
        help_text=_("Key of the HMAC-SHA256 signature in X-Kefu-Signature."),
    )
    events = models.JSONField(_("events"), default=list)
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(
        _("consecutive failures"), default=0
    )
    disabled_at = models.DateTimeField(
        _("automatically disabled at"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["partner", "pk"]

    def __str__(self):
        return self.url


class PartnerEvent(models.Model):
    """One event about a partner's complaint: the partner's replayable feed.

    Written by ``webhook_enqueue`` in the transaction of the change, whether or
    not the partner has endpoints and whatever their state, so a partner can
    list and replay what happened (``GET /api/v1/events/?after=<id>``). ``id``
    is the cursor: it only grows. Kept ``KEFU_WEBHOOK_RETENTION_DAYS`` days.
    """

    partner = models.ForeignKey(
        "crm.PartnerOrganisation",
        verbose_name=_("partner organisation"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    event_id = models.UUIDField(_("event ID"), unique=True, default=uuid.uuid4)
    event = models.CharField(_("event"), max_length=50, choices=WebhookEvent.choices)
    complaint_reference = models.CharField(
        _("complaint reference"), max_length=20, blank=True, db_index=True
    )
    # Encrypted at rest like the deliveries' payloads (erasure redacts it).
    payload = EncryptedJSONField(_("payload"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("partner event")
        verbose_name_plural = _("partner events")
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["partner", "id"], name="partner_event_cursor"),
        ]

    def __str__(self):
        return f"{self.event} {self.complaint_reference}"


class WebhookDelivery(models.Model):
    """Outbox row: one event for one endpoint, with its delivery state.

    Written for every subscribed endpoint whatever its state: a disabled
    endpoint holds its rows (not attempted) until it is enabled again or they
    pass ``KEFU_WEBHOOK_RETENTION_DAYS`` (then they are cancelled).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed (gave up)")
        CANCELLED = "cancelled", _("cancelled")

    class Outcome(models.TextChoices):
        """What partners see of the last attempt: coarse on purpose (the error
        text, kept for staff, would tell whether a port answered)."""

        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")
        REFUSED = "refused", _("refused (URL not allowed)")

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("webhook endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event_id = models.UUIDField(_("event ID"), default=uuid.uuid4)
    event = models.CharField(_("event"), max_length=50, choices=WebhookEvent.choices)
    complaint_reference = models.CharField(
        _("complaint reference"), max_length=20, blank=True, db_index=True
    )
    # Encrypted at rest: the complaint's subject is free text that can name
    # the customer (erasure redacts it, see crm.services.privacy).
    payload = EncryptedJSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    lease_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    # Who holds the lease: a worker records an attempt only with its own token.
    lease_token = models.UUIDField(_("lease token"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last response code"), null=True, blank=True
    )
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_outcome = models.CharField(
        _("last outcome"), max_length=16, choices=Outcome.choices, blank=True
    )
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhook_delivery_event_uniq"
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"], name="webhook_delivery_due"
            ),
        ]

    def __str__(self):
        return f"{self.event} → {self.endpoint_id}"


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery: the delivery log shown in the admin."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        verbose_name=_("webhook delivery"),
        on_delete=models.CASCADE,
        related_name="attempt_log",
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    attempted_at = models.DateTimeField(_("attempted at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(
        _("response code"), null=True, blank=True
    )
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    response_excerpt = models.CharField(
        _("response excerpt"), max_length=500, blank=True
    )

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery", "number"]

    def __str__(self):
        return f"#{self.number} {self.status_code or self.error}"
