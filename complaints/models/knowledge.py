"""The knowledge base (知识库) for service staff: articles on a recurring
problem — what the customer reports, its cause, the solution — by complaint
category, with an owner who reviews them by a date.

An article is versioned: editing a published article first copies its current
text into an ``ArticleVersion`` row, so what staff read before stays readable.
``ArticleUse`` counts the articles used on complaints (once per complaint,
article and user). Writes go through ``complaints.services.knowledge``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models.taxonomy import Category


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        RETIRED = "retired", _("retired")

    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", _("Simplified Chinese")
        EN = "en", _("English")

    title = models.CharField(_("title"), max_length=200)
    problem = models.TextField(_("problem"))
    cause = models.TextField(_("cause"), blank=True)
    solution = models.TextField(_("solution"))
    categories = models.ManyToManyField(
        Category,
        verbose_name=_("categories"),
        blank=True,
        related_name="+",
        help_text=_("The complaint categories or subcategories it answers."),
    )
    keywords = models.CharField(
        _("keywords"),
        max_length=300,
        blank=True,
        help_text=_("Words a search or a complaint subject should find it by."),
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default="zh-hans"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_date = models.DateField(_("review date"))
    # The review date whose overdue reminder was sent (a new date re-arms it).
    review_reminded_for = models.DateField(
        _("review reminder sent for"), null=True, blank=True
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    used_count = models.PositiveIntegerField(_("times used"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge base")
        ordering = ["title", "pk"]
        indexes = [models.Index(fields=["status", "review_date"])]

    def __str__(self):
        return self.title


class ArticleVersion(models.Model):
    """An earlier text of an article, kept when a published article is edited."""

    article = models.ForeignKey(
        Article,
        verbose_name=_("article"),
        on_delete=models.CASCADE,
        related_name="versions",
    )
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    problem = models.TextField(_("problem"))
    cause = models.TextField(_("cause"), blank=True)
    solution = models.TextField(_("solution"))
    keywords = models.CharField(_("keywords"), max_length=300, blank=True)
    saved_at = models.DateTimeField(_("replaced at"))
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replaced by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("earlier version")
        verbose_name_plural = _("earlier versions")
        ordering = ["article", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "version"], name="kb_version_once"
            )
        ]

    def __str__(self):
        return f"{self.title} v{self.version}"


class ArticleUse(models.Model):
    """An article used on a complaint by a member of staff (counted once)."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="+"
    )
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    used_at = models.DateTimeField(_("used at"))

    class Meta:
        verbose_name = _("article use")
        verbose_name_plural = _("article uses")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "complaint", "user"], name="kb_use_once"
            )
        ]

    def __str__(self):
        return f"{self.article_id} · {self.complaint_id}"
