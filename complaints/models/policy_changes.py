"""The change log of SLA policies (append-only)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models.append_only import AppendOnlyModel
from complaints.models.sla import SlaPolicy


class SlaPolicyChange(AppendOnlyModel):
    """One edit of an SLA policy (``sla_policy_update``): who changed which
    fields from what to what, and whether the open complaints under the policy
    were sent for a recompute of their due times. Rows are only inserted."""

    policy = models.ForeignKey(
        SlaPolicy,
        verbose_name=_("SLA policy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="changes",
    )
    # Kept when the policy itself is deleted later.
    policy_code = models.CharField(_("policy code"), max_length=50)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # {field: {"from": old, "to": new}}; foreign keys as ids.
    changes = models.JSONField(_("changes"), default=dict)
    recompute = models.BooleanField(
        _("due times recomputed"),
        default=False,
        help_text=_("The open complaints under the policy got new due times."),
    )
    created_at = models.DateTimeField(_("changed at"), db_index=True)

    class Meta:
        verbose_name = _("SLA policy change")
        verbose_name_plural = _("SLA policy changes")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.policy_code} {', '.join(self.changes)}"
