"""What a complaint is about and how it came in: the category tree (stable
top-level codes, editable subcategories), channels and severities.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    """The complaint taxonomy: top-level categories (stable codes) and editable
    subcategories below them."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("complaint category")
        verbose_name_plural = _("complaint categories")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class Channel(models.TextChoices):
    PHONE = "phone", _("phone")
    ONLINE = "online", _("online platform")
    ONSITE = "onsite", _("on site")
    EMAIL = "email", _("e-mail")
    SOCIAL = "social", _("social media")
    LETTER = "letter", _("letter")
    API = "api", _("partner API")


class Severity(models.TextChoices):
    URGENT = "urgent", _("urgent")
    HIGH = "high", _("high")
    NORMAL = "normal", _("normal")
    LOW = "low", _("low")
