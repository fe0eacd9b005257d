"""Messages to customers: the outbox (read-only: what was sent, when, through
which channel, and why not) and the editable templates per kind, channel and
language. Administrators only (the outbox holds addresses and texts)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints import selectors
from complaints.models import CustomerMessage, MessageTemplate
from complaints.services.customer_messages import (
    DEFAULT_TEMPLATES,
    VARIABLES,
    template_check,
)
from complaints.services.message_delivery import customer_message_retry
from complaints.services.permissions import has_role
from crm.admin_base import ScopedModelAdmin
from crm.roles import Role
from crm.services import notification_email_retry

# Rows shown per list on the failed-deliveries page (the oldest beyond it show
# once the newer ones are sent again).
FAILED_PAGE_ROWS = 200


@admin.register(CustomerMessage)
class CustomerMessageAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.customer_message_list)
    list_display = (
        "created_at",
        "complaint",
        "reference",
        "kind",
        "channel",
        "status",
        "attempts",
        "not_before",
        "sent_at",
    )
    list_filter = ("status", "channel", "kind")
    search_fields = ("complaint__reference", "=reference", "=provider_id")
    list_select_related = ("complaint",)
    fields = (
        "complaint",
        "customer",
        "reference",
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

    # --- failed deliveries: staff e-mails and messages to customers ------------
    def get_urls(self):
        return [
            path(
                "failed/",
                self.admin_site.admin_view(self.failed_view),
                name="complaints_customermessage_failed",
            ),
            *super().get_urls(),
        ]

    def failed_view(self, request):
        """Every failed e-mail to staff and message to customers, with "send
        again" (administrators): the services reschedule them."""
        if not has_role(request.user, frozenset({Role.ADMIN})):
            raise PermissionDenied
        emails, customer_messages = selectors.failed_deliveries(user=request.user)
        if request.method == "POST":
            chosen_emails = emails.filter(pk__in=_ids(request.POST, "notification"))
            chosen_messages = customer_messages.filter(
                pk__in=_ids(request.POST, "message")
            )
            done = notification_email_retry(
                actor=request.user, notifications=list(chosen_emails)
            ) + customer_message_retry(
                actor=request.user, messages=list(chosen_messages)
            )
            if done:
                messages.success(
                    request,
                    gettext("%(count)s failed deliveries will be sent again.")
                    % {"count": done},
                )
            else:
                messages.warning(request, gettext("Nothing was selected."))
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Failed e-mails and messages"),
            "opts": self.model._meta,
            "emails": list(emails[:FAILED_PAGE_ROWS]),
            "email_count": emails.count(),
            "customer_messages": list(customer_messages[:FAILED_PAGE_ROWS]),
            "message_count": customer_messages.count(),
        }
        return TemplateResponse(
            request, "admin/complaints/customermessage/failed.html", context
        )


def _ids(data, name: str) -> list[int]:
    return [int(v) for v in data.getlist(name) if str(v).isdigit()][:1000]


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
