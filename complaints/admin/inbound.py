"""Received customer e-mail, read-only: what became of each message, and the
quarantine (unreadable mail kept with its raw bytes and the reason).
Administrators only (the raw bytes are personal data)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints import selectors, services
from complaints.models import InboundEmail
from crm.admin_base import ScopedModelAdmin


@admin.register(InboundEmail)
class InboundEmailAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.inbound_email_list)
    list_display = ("received_at", "outcome", "source", "subject", "complaint", "size")
    list_filter = ("outcome", "source")
    search_fields = ("=message_id", "subject", "complaint__reference")
    list_select_related = ("complaint",)
    fields = (
        "received_at",
        "source",
        "outcome",
        "reason",
        "message_id",
        "subject",
        "complaint",
        "size",
        "raw_text",
    )
    readonly_fields = fields
    actions = ("process_again",)

    @admin.action(description=_("Process quarantined mail again"), permissions=["view"])
    def process_again(self, request, queryset):
        """After the cause is fixed: each quarantined message goes through the
        intake again (``inbound_email_retry``); the others are refused."""
        self.run_each(
            request,
            queryset,
            lambda row: services.inbound_email_retry(
                actor=request.user, inbound_email=row
            ),
            done=gettext("%(count)d message(s) processed again."),
        )

    @admin.display(description=_("raw message"))
    def raw_text(self, obj):
        if not obj.raw:
            return "—"
        text = bytes(obj.raw)[:200_000].decode("utf-8", errors="replace")
        return format_html('<pre style="white-space:pre-wrap">{}</pre>', text)

    def has_add_permission(self, request):
        return False  # written by complaints.services.inbound only

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
