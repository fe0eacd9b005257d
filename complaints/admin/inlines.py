"""Read-only inlines of the complaint page: timeline, SLA clocks, replies,
notes, attachments and surveys.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from complaints import selectors
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
    selector = staticmethod(selectors.complaint_event_list)
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


class SlaTargetInline(ReadOnlyInline):
    model = SlaTarget
    selector = staticmethod(selectors.sla_target_list)
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
    selector = staticmethod(selectors.complaint_reply_list)
    fields = ("sent_at", "channel", "author", "body")
    readonly_fields = fields


class NoteInline(ReadOnlyInline):
    model = ComplaintNote
    selector = staticmethod(selectors.complaint_note_list)
    fields = ("created_at", "author", "body")
    readonly_fields = fields


class AttachmentInline(ReadOnlyInline):
    model = ComplaintAttachment
    selector = staticmethod(selectors.complaint_attachment_list)
    fields = ("created_at", "download", "content_type", "size", "uploaded_by")
    readonly_fields = fields

    @admin.display(description=_("file"))
    def download(self, obj):
        """A link to the scoped download view (files are not under MEDIA_URL)."""
        url = reverse("complaints:attachment-download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


class SurveyInline(ReadOnlyInline):
    model = SatisfactionSurvey
    selector = staticmethod(selectors.satisfaction_survey_list)
    fields = ("cycle", "csat", "nps", "comment", "channel", "answered_at")
    readonly_fields = fields
