"""A complaint's timeline: append-only events (the audit trail)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models.complaint import Complaint


class ImmutableRowError(Exception):
    """An attempt to change or delete an append-only audit row."""


class ComplaintEventQuerySet(models.QuerySet):
    """Events are append-only: no bulk update or delete through the ORM."""

    def update(self, **kwargs):
        raise ImmutableRowError("complaint events are immutable")

    def delete(self):
        raise ImmutableRowError("complaint events are immutable")

    def bulk_update(self, objs, fields, batch_size=None):
        raise ImmutableRowError("complaint events are immutable")


class ComplaintEvent(models.Model):
    """One immutable line of a complaint's timeline (audit trail and SLA clocks).

    Rows are only ever inserted (``complaints.services.events.event_record``):
    saving an existing row, deleting one and queryset ``update``/``delete``
    raise ``ImmutableRowError``; the admin shows them read-only.
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        STATUS_CHANGED = "status_changed", _("status changed")
        ASSIGNED = "assigned", _("assigned")
        REPLIED = "replied", _("replied to customer")
        NOTE = "note", _("internal note")
        ANALYSIS = "analysis", _("analysis recorded")
        ESCALATED = "escalated", _("escalated")
        SEVERITY_CHANGED = "severity_changed", _("severity changed")
        REOPENED = "reopened", _("reopened")
        CONFIRMED = "confirmed", _("confirmed by customer")
        ATTACHMENT = "attachment", _("attachment added")
        SLA_STARTED = "sla_started", _("SLA clock started")
        SLA_PAUSED = "sla_paused", _("SLA clock paused")
        SLA_RESUMED = "sla_resumed", _("SLA clock resumed")
        SLA_WARNED = "sla_warned", _("SLA warning")
        SLA_MET = "sla_met", _("SLA target met")
        SLA_BREACHED = "sla_breached", _("SLA breached")
        SLA_DUE_OVERRIDDEN = "sla_due_overridden", _("SLA due time overridden")
        SLA_RECOMPUTED = "sla_recomputed", _("SLA due times recomputed")
        FEEDBACK_RECEIVED = "feedback_received", _("customer feedback received")
        CAPA_LINKED = "capa_linked", _("corrective action linked")
        ARCHIVED = "archived", _("archived")
        CUSTOMER_MESSAGE = "customer_message", _("message from customer")
        AUTO_CLOSED = "auto_closed", _("closed automatically")
        MESSAGE_SENT = "message_sent", _("message to customer sent")
        MESSAGE_FAILED = "message_failed", _("message to customer failed")
        MESSAGE_NOT_SENT = "message_not_sent", _("no message to customer")

    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    from_status = models.CharField(
        _("from status"), max_length=16, choices=Complaint.Status.choices, blank=True
    )
    to_status = models.CharField(
        _("to status"), max_length=16, choices=Complaint.Status.choices, blank=True
    )
    customer_visible = models.BooleanField(_("visible to customer"), default=False)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    # Uniqueness for events that must happen once (SLA warned/breached of a
    # target): "<kind>:<target id>"; empty for the rest.
    dedupe_key = models.CharField(
        _("deduplication key"), max_length=100, null=True, blank=True, unique=True
    )
    created_at = models.DateTimeField(_("created at"), db_index=True)

    objects = ComplaintEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["complaint", "created_at"], name="cevent_timeline"),
            models.Index(fields=["kind", "created_at"], name="cevent_kind_time"),
        ]

    def __str__(self):
        from django.utils import timezone

        return f"{self.get_kind_display()} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    # The one change allowed to a stored event: PIPL erasure
    # (crm.services.privacy.customer_erase) may mask text of ``note``/``data``
    # with this mark — never add or rewrite anything else.
    REDACTION_MARK = "***"
    REDACTABLE_FIELDS = frozenset({"note", "data"})

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            self._check_redaction_only(kwargs.get("update_fields"))
        super().save(*args, **kwargs)

    def _check_redaction_only(self, update_fields) -> None:
        import json
        import re

        if not update_fields or not set(update_fields) <= self.REDACTABLE_FIELDS:
            raise ImmutableRowError("complaint events are immutable")
        stored = type(self)._base_manager.filter(pk=self.pk).values(*update_fields)
        stored = stored.first()
        if stored is None:
            raise ImmutableRowError("complaint events are immutable")
        for name in update_fields:
            old, new = stored[name], getattr(self, name)
            if name == "data":
                old = json.dumps(old, ensure_ascii=False, sort_keys=True)
                new = json.dumps(new, ensure_ascii=False, sort_keys=True)
            pieces = (new or "").split(self.REDACTION_MARK)
            pattern = "(?:.+?)".join(re.escape(p) for p in pieces)
            if new != old and not re.fullmatch(pattern, old or "", re.DOTALL):
                raise ImmutableRowError(
                    "complaint events are immutable (only redaction is allowed)"
                )

    def delete(self, *args, **kwargs):
        raise ImmutableRowError("complaint events are immutable")
