"""Read-only inlines of the complaint page: timeline, SLA clocks, replies,
notes, attachments and surveys.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from complaints.models import (
    ComplaintAttachment,
    ComplaintEvent,
    ComplaintNote,
    ComplaintReply,
    SatisfactionSurvey,
    SlaTarget,
)
from crm.admin_base import ScopedTabularInline


class ReadOnlyInline(ScopedTabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = ComplaintEvent
    fields = (
        "created_at",
        "kind",
        "actor",
        "from_status",
        "to_status",
        "customer_visible",
        "note",
    )
    readonly_fields = fields
    ordering = ("created_at", "pk")
    verbose_name_plural = _("timeline")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class SlaTargetInline(ReadOnlyInline):
    model = SlaTarget
    fields = (
        "kind",
        "cycle",
        "started_at",
        "due_at",
        "met_at",
        "warned_at",
        "breached_at",
        "paused_minutes",
        "is_overridden",
        "cancelled_at",
    )
    readonly_fields = fields


class ReplyInline(ReadOnlyInline):
    model = ComplaintReply
    fields = ("sent_at", "channel", "author", "body")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class NoteInline(ReadOnlyInline):
    model = ComplaintNote
    fields = ("created_at", "author", "body")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class AttachmentInline(ReadOnlyInline):
    model = ComplaintAttachment
    fields = ("created_at", "download", "content_type", "size", "uploaded_by")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=_("file"))
    def download(self, obj):
        """A link to the scoped download view (files are not under MEDIA_URL)."""
        url = reverse("complaints:attachment-download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


class SurveyInline(ReadOnlyInline):
    model = SatisfactionSurvey
    fields = ("cycle", "csat", "nps", "comment", "channel", "answered_at")
    readonly_fields = fields
