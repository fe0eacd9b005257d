"""CAPA: corrective and preventive actions against a root cause."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models.append_only import AppendOnlyModel
from complaints.models.complaint import Complaint


class CorrectiveAction(models.Model):
    """CAPA: a corrective or preventive action against a root cause, linked to
    the complaints it addresses, completed by its owner and then verified."""

    class Kind(models.TextChoices):
        CORRECTIVE = "corrective", _("corrective")
        PREVENTIVE = "preventive", _("preventive")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        IN_PROGRESS = "in_progress", _("in progress")
        COMPLETED = "completed", _("completed")
        VERIFIED = "verified", _("verified effective")
        INEFFECTIVE = "ineffective", _("not effective")
        CANCELLED = "cancelled", _("cancelled")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=16, choices=Kind.choices, default=Kind.CORRECTIVE
    )
    root_cause = models.TextField(_("root cause"))
    action = models.TextField(_("action"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="corrective_actions",
    )
    department = models.ForeignKey(
        "crm.Department",
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="corrective_actions",
    )
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="corrective_actions",
    )
    complaints = models.ManyToManyField(
        Complaint,
        verbose_name=_("complaints"),
        related_name="corrective_actions",
        blank=True,
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    completion_note = models.TextField(_("completion note"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    verification_note = models.TextField(_("verification of effectiveness"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    # Set once by the overdue sweep (a conditional UPDATE: exactly once even
    # under two sweeps); cleared when the due date changes.
    due_reminded_at = models.DateTimeField(
        _("owner reminded of the due date at"), null=True, blank=True
    )
    escalated_at = models.DateTimeField(
        _("escalated to the manager at"), null=True, blank=True
    )
    # Set on a CAPA drafted by the spike rule (complaints.services.capa_spike):
    # unique, so one spike never drafts two.
    spike_key = models.CharField(
        _("spike"), max_length=100, unique=True, null=True, blank=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("corrective action (CAPA)")
        verbose_name_plural = _("corrective actions (CAPA)")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title


def evidence_path(instance, filename):
    return f"capa/{instance.capa_id}/{filename}"


class CapaEvidence(models.Model):
    """A file that shows a CAPA's work or its effect (training records, photos,
    checklists); the same limits as complaint attachments, served only by the
    scoped download view."""

    capa = models.ForeignKey(
        CorrectiveAction,
        verbose_name=_("corrective action (CAPA)"),
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("CAPA evidence")
        verbose_name_plural = _("evidence")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.original_name


class CapaEvent(AppendOnlyModel):
    """One change of a CAPA (``complaints.services.capa``), append-only: who,
    what, the status before and after, the note given."""

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("details changed")
        LINKED = "linked", _("complaints linked")
        STARTED = "started", _("work started")
        COMPLETED = "completed", _("completed")
        VERIFIED = "verified", _("effectiveness checked")
        DUE_REMINDED = "due_reminded", _("owner reminded of the due date")
        ESCALATED = "escalated", _("overdue: escalated to the manager")
        EVIDENCE = "evidence", _("evidence attached")
        CANCELLED = "cancelled", _("cancelled (not needed)")

    capa = models.ForeignKey(
        CorrectiveAction,
        verbose_name=_("corrective action (CAPA)"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    from_status = models.CharField(
        _("from status"),
        max_length=16,
        choices=CorrectiveAction.Status.choices,
        blank=True,
    )
    to_status = models.CharField(
        _("to status"),
        max_length=16,
        choices=CorrectiveAction.Status.choices,
        blank=True,
    )
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("CAPA event")
        verbose_name_plural = _("CAPA events")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["capa", "created_at"], name="capaevent_timeline")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"
