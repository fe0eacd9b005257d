"""The customer's satisfaction with each resolution cycle of a complaint."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models.complaint import Complaint
from complaints.models.taxonomy import Channel


class SatisfactionSurvey(models.Model):
    """The customer's satisfaction with one resolution cycle of a complaint."""

    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.CASCADE,
        related_name="surveys",
    )
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="satisfaction_surveys",
    )
    cycle = models.PositiveSmallIntegerField(_("resolution cycle"), default=1)
    csat = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    nps = models.PositiveSmallIntegerField(
        _("likelihood to recommend (0–10)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    comment = models.TextField(_("comment"), blank=True)
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "cycle"], name="survey_unique_cycle"
            )
        ]
        indexes = [models.Index(fields=["answered_at"], name="survey_answered")]

    def __str__(self):
        return f"{self.complaint_id} #{self.cycle}"
