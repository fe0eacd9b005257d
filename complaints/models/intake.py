"""Intake: the rules that route a new complaint to a team, and the daily
counter its reference number comes from.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models.taxonomy import Category, Channel


class AssignmentRule(models.Model):
    """Routes new complaints to a team by category and/or channel (blank = any).

    The most specific active rule wins, then ``sort_order``; with ``auto_assign``
    the least-loaded active agent of the team gets the complaint.
    """

    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignment_rules",
        limit_choices_to={"parent__isnull": True},
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, blank=True
    )
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        related_name="complaint_assignment_rules",
    )
    auto_assign = models.BooleanField(_("assign to least-loaded agent"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        ordering = ["sort_order", "pk"]

    def __str__(self):
        return self.name


class ReferenceCounter(models.Model):
    """Last complaint sequence number issued per day (row-locked when issuing)."""

    day = models.DateField(_("day"), unique=True)
    last_value = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")

    def __str__(self):
        return f"{self.day}: {self.last_value}"
