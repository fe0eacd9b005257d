"""Standard phrases (服务用语) for replies to customers: configuration that
supervisors and managers edit; ``complaints.phrases`` offers and fills them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models.taxonomy import Category, Channel


class Phrase(models.Model):
    class Step(models.TextChoices):
        GREETING = "greeting", _("greeting")
        APOLOGY = "apology", _("apology")
        EXPLANATION = "explanation", _("explanation")
        SOLUTION = "solution", _("solution")
        FOLLOW_UP = "follow_up", _("follow-up")
        CLOSING = "closing", _("closing")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    step = models.CharField(_("step"), max_length=16, choices=Step.choices)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every category."),
    )
    channel = models.CharField(
        _("channel"),
        max_length=16,
        choices=Channel.choices,
        blank=True,
        help_text=_("Empty: every channel."),
    )
    text_zh = models.TextField(
        _("Chinese text"),
        help_text=_("Variables: {customer_name} {reference} {due}."),
    )
    text_en = models.TextField(_("English text"), blank=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("standard phrase")
        verbose_name_plural = _("standard phrases")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return f"{self.get_step_display()} · {self.text_zh[:30]}"
