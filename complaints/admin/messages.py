"""Messages to customers: the outbox (read-only: what was sent, when, through
which channel, and why not) and the editable templates per kind, channel and
language. Administrators only (the outbox holds addresses and texts)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints import selectors
from complaints.models import CustomerMessage, MessageTemplate
from complaints.services.customer_messages import (
    DEFAULT_TEMPLATES,
    VARIABLES,
    template_check,
)
from crm.admin_base import ScopedModelAdmin


@admin.register(CustomerMessage)
class CustomerMessageAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.customer_message_list)
    list_display = (
        "created_at",
        "complaint",
        "kind",
        "channel",
        "status",
        "attempts",
        "not_before",
        "sent_at",
    )
    list_filter = ("status", "channel", "kind")
    search_fields = ("complaint__reference", "=provider_id")
    list_select_related = ("complaint",)
    fields = (
        "complaint",
        "reply",
        "kind",
        "trigger_key",
        "channel",
        "language",
        "address",
        "subject",
        "body",
        "status",
        "not_before",
        "attempts",
        "provider_id",
        "last_error",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # written by complaints.services.customer_messages only

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ("kind", "channel", "language", "subject", "body")

    def _check(self, name):
        text = self.cleaned_data.get(name) or ""
        try:
            template_check(text)
        except ValueError:
            raise forms.ValidationError(
                gettext("Use only the variables %(names)s, in braces.")
                % {"names": ", ".join(f"{{{v}}}" for v in VARIABLES)}
            ) from None
        return text

    def clean_subject(self):
        return self._check("subject")

    def clean_body(self):
        return self._check("body")


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ScopedModelAdmin):
    form = MessageTemplateForm
    list_display = ("kind", "channel", "language", "subject", "updated_at")
    list_filter = ("kind", "channel", "language")
    readonly_fields = ("default_wording",)
    fields = ("kind", "channel", "language", "subject", "body", "default_wording")

    @admin.display(description=_("default wording"))
    def default_wording(self, obj):
        if obj is None or not obj.kind:
            return "—"
        subject, body = DEFAULT_TEMPLATES.get(
            (obj.kind, obj.language), DEFAULT_TEMPLATES[(obj.kind, "zh-hans")]
        )
        return f"{subject}\n{body}"
