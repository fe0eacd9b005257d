"""Read-only inlines of the complaint page: timeline, SLA clocks, replies,
notes, attachments and surveys.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext
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
from crm.models import Team, User


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


EK = ComplaintEvent.Kind
# Events about one SLA clock: their data names it ("target").
CLOCK_EVENTS = frozenset(
    {
        EK.SLA_STARTED,
        EK.SLA_WARNED,
        EK.SLA_MET,
        EK.SLA_BREACHED,
        EK.SLA_DUE_OVERRIDDEN,
    }
)


def _local(value: str | None) -> str:
    moment = parse_datetime(value or "")
    if moment is None:
        return ""
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


class EventInline(ReadOnlyInline):
    model = ComplaintEvent
    selector = staticmethod(selectors.complaint_event_list)
    fields = (
        "created_at",
        "kind",
        "details",
        "actor",
        "from_status",
        "to_status",
        "customer_visible",
        "note",
    )
    readonly_fields = fields
    ordering = ("created_at", "pk")
    verbose_name_plural = _("timeline")

    @admin.display(description=_("details"))
    def details(self, obj):
        """What the event changed: which clock (and its due time), to whom."""
        data = obj.data if isinstance(obj.data, dict) else {}
        if obj.kind in CLOCK_EVENTS and data.get("target") in SlaTarget.Kind.values:
            clock = SlaTarget.Kind(data["target"]).label
            due = _local(data.get("due_at"))
            if due:
                return gettext("%(clock)s, due %(due)s") % {"clock": clock, "due": due}
            return clock
        if obj.kind in (EK.SLA_PAUSED, EK.SLA_RESUMED):
            kinds = [k for k in data.get("targets") or () if k in SlaTarget.Kind.values]
            return "、".join(str(SlaTarget.Kind(k).label) for k in kinds) or "—"
        if obj.kind == EK.ASSIGNED:
            people, teams = self._names(obj.complaint_id)
            assignee = people.get(data.get("assignee"))
            team = teams.get(data.get("team"))
            if assignee and team:
                return gettext("to %(assignee)s (team %(team)s)") % {
                    "assignee": assignee,
                    "team": team,
                }
            if assignee or team:
                return gettext("to %(whom)s") % {"whom": assignee or team}
            return gettext("nobody")
        return ""

    def _names(self, complaint_id) -> tuple[dict, dict]:
        """Names of the staff and teams the complaint's assignments name: two
        queries per page, whatever the number of assignments."""
        cache = getattr(self, "_kefu_names", None)
        if cache is None or cache[0] != complaint_id:
            people, teams = set(), set()
            for data in ComplaintEvent.objects.filter(
                complaint_id=complaint_id, kind=EK.ASSIGNED
            ).values_list("data", flat=True):
                data = data if isinstance(data, dict) else {}
                people.add(data.get("assignee"))
                teams.add(data.get("team"))
            cache = (
                complaint_id,
                {u.pk: str(u) for u in User.objects.filter(pk__in=people - {None})},
                {t.pk: str(t) for t in Team.objects.filter(pk__in=teams - {None})},
            )
            self._kefu_names = cache
        return cache[1], cache[2]


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
    fields = ("sent_at", "channel", "author", "body", "delivery")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("messages")

    @admin.display(description=_("delivered to the customer"))
    def delivery(self, obj):
        """The message that carries the reply: channel and status (sent,
        failed with the error, pending), or a dash when none was queued."""
        rows = list(obj.messages.all())
        if not rows:
            return "—"
        row = rows[-1]
        text = f"{row.get_channel_display()} · {row.get_status_display()}"
        if row.status == row.Status.FAILED and row.last_error:
            text = f"{text} ({row.last_error})"
        return text


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
