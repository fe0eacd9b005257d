"""The knowledge base (知识库): supervisors and managers write articles, every
front-line role reads the published ones; earlier versions are listed on the
article's page; ``use/`` counts an article used on a complaint (the button of
the complaint page's suggestions, ``complaints/knowledge_suggestions.html``).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from complaints import selectors, services
from complaints.admin.inlines import ReadOnlyInline
from complaints.models import Article, ArticleVersion
from crm.admin_base import SERVICE_ERRORS, ScopedModelAdmin, adopt_saved

EDIT_FIELDS = (
    "title",
    "problem",
    "cause",
    "solution",
    "keywords",
    "language",
    "status",
    "owner",
    "review_date",
)


class ArticleVersionInline(ReadOnlyInline):
    """The earlier texts of the article, newest first, readable in full."""

    model = ArticleVersion
    fields = (
        "version",
        "title",
        "problem",
        "cause",
        "solution",
        "keywords",
        "saved_at",
        "saved_by",
    )
    readonly_fields = fields
    ordering = ("-version",)
    verbose_name_plural = _("earlier versions")


@admin.register(Article)
class ArticleAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.article_list)
    list_display = (
        "title",
        "status",
        "language",
        "owner",
        "review_date",
        "version",
        "used_count",
    )
    list_filter = ("status", "language", "categories", "review_date")
    list_select_related = ("owner",)
    search_fields = ("title",)  # shows the box; article_search does the search
    search_help_text = _("Searches the title, problem, solution and keywords.")
    autocomplete_fields = ("owner", "categories")
    readonly_fields = ("version", "used_count", "created_at", "updated_at")
    fields = (*EDIT_FIELDS[:5], "categories", *EDIT_FIELDS[5:], *readonly_fields)
    inlines = [ArticleVersionInline]

    def has_delete_permission(self, request, obj=None):
        return False  # retired, never deleted: its versions and uses stay

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_search_results(self, request, queryset, search_term):
        return selectors.article_search(queryset, search_term), False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = services.article_update(
                actor=request.user,
                article=obj,
                changes={n: data[n] for n in EDIT_FIELDS if n in form.changed_data},
                categories=list(data["categories"]),
            )
        else:
            saved = services.article_create(
                actor=request.user,
                categories=list(data["categories"]),
                **{n: data[n] for n in EDIT_FIELDS},
            )
        adopt_saved(obj, saved)

    def save_related(self, request, form, formsets, change):
        """The categories were saved by the service (not ``save_m2m``); the
        versions inline is read-only (its formset saves nothing)."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def get_urls(self):
        return [
            path(
                "<int:pk>/use/<int:complaint_pk>/",
                self.admin_site.admin_view(self.use_view),
                name="complaints_article_use",
            ),
            *super().get_urls(),
        ]

    def use_view(self, request, pk: int, complaint_pk: int):
        """POST: count the article as used on the complaint (once per complaint,
        article and user), back to the complaint's page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        article = selectors.article_list(user=request.user).filter(pk=pk).first()
        complaint = (
            selectors.complaint_list(user=request.user).filter(pk=complaint_pk).first()
        )
        if article is None or complaint is None:
            raise Http404
        back = reverse("admin:complaints_complaint_change", args=[complaint.pk])
        try:
            counted = services.article_use(
                actor=request.user, article=article, complaint=complaint
            )
        except SERVICE_ERRORS as exc:
            self.show_refusal(request, exc)
            return HttpResponseRedirect(back)
        if counted:
            text = _t("Article “%(title)s” recorded as used on this complaint.")
        else:
            text = _t("You already recorded article “%(title)s” on this complaint.")
        self.message_user(request, text % {"title": article.title}, messages.SUCCESS)
        return HttpResponseRedirect(back)
