"""Admin of revisits, revisit rules, interactions and the notification inbox.

Thin (house style rule 10): status is read-only; completing, cancelling,
rescheduling and reassigning call ``crm.services``; domain errors become messages.
A problem found on a revisit becomes a complaint: complaints re-registers the
revisit admin with those fields (``complaints/admin_revisits.py``).
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from crm import selectors, services
from crm.admin_base import ScopedModelAdmin, adopt_saved
from crm.admin_customers import history_table
from crm.models import Interaction, Notification, Revisit, RevisitRule
from crm.notifications import KIND_LABELS, kind_label
from crm.selectors import sees_personal_data
from crm.services.reminders import notification_email_retry, notification_mark_read


class DueFilter(admin.SimpleListFilter):
    title = _("due")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [
            ("mine_today", _("my revisits due today")),
            ("overdue", _("overdue")),
            ("week", _("due within 7 days")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        planned = queryset.filter(status=Revisit.Status.PLANNED)
        if self.value() == "mine_today":
            # The rows of this list that the selector returns (AND of both).
            return queryset & selectors.revisits_due_today(user=request.user)
        if self.value() == "overdue":
            return planned.filter(due_at__lt=now)
        if self.value() == "week":
            return planned.filter(due_at__lt=now + timedelta(days=7))
        return queryset


class RevisitForm(forms.ModelForm):
    """The change form: completion fields are filled in, the service saves them.
    (complaints.admin_revisits adds "problem found → new complaint".)"""

    class Meta:
        model = Revisit
        fields = (
            "customer",
            "purpose",
            "method",
            "due_at",
            "assignee",
            "outcome",
            "satisfaction_score",
            "feedback",
            "notes",
        )


@admin.register(Revisit)
class RevisitAdmin(ScopedModelAdmin):
    form = RevisitForm
    selector = staticmethod(selectors.revisit_list)
    list_display = (
        "due_at",
        "customer",
        "purpose",
        "method",
        "assignee",
        "status",
        "outcome",
        "satisfaction_score",
        "overdue_flag",
    )
    list_filter = (DueFilter, "status", "purpose", "method", "outcome")
    search_fields = ("customer__code", "customer__name", "key")
    list_select_related = ("customer", "assignee")
    autocomplete_fields = ("customer", "assignee")
    date_hierarchy = "due_at"
    readonly_fields = (
        "status",
        "customer_phone",
        "customer_history",
        "complaint",
        "follow_up_complaint",
        "rule",
        "done_at",
        "done_by",
        "reminded_at",
        "escalated_at",
        "created_at",
    )
    actions = ("complete_not_reached", "mark_missed", "cancel")

    @admin.display(description=_("overdue"), boolean=True)
    def overdue_flag(self, obj):
        return obj.is_overdue

    # --- the caller's details on the revisit page (masked per role) ------------

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._kefu_viewer = request.user
        return obj

    @admin.display(description=_("customer phone"))
    def customer_phone(self, obj):
        viewer = getattr(obj, "_kefu_viewer", None)
        if obj is None or obj.pk is None or viewer is None:
            return "—"
        customer = obj.customer
        if sees_personal_data(viewer):
            return customer.phone or "—"
        return customer.phone_masked or "—"

    @admin.display(description=_("customer history"))
    def customer_history(self, obj):
        viewer = getattr(obj, "_kefu_viewer", None)
        if obj is None or obj.pk is None or viewer is None:
            return "—"
        rows = selectors.customer_history(user=viewer, customer=obj.customer, limit=10)
        return history_table(rows) if rows else "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # The phone shown in full is a read of personal data: logged, as on the
        # customer's page.
        if request.method == "GET" and sees_personal_data(request.user):
            revisit = self.get_object(request, object_id)
            if revisit is not None:
                services.personal_data_access_log(
                    actor=request.user, customer=revisit.customer, action="view"
                )
        return response

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status != Revisit.Status.PLANNED:
            fields += [
                "customer",
                "purpose",
                "method",
                "due_at",
                "assignee",
                "outcome",
                "satisfaction_score",
                "feedback",
            ]
        elif obj is not None:
            fields += ["customer", "purpose"]
        else:
            fields += ["outcome", "satisfaction_score", "feedback"]
        return fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = services.revisit_create(
                actor=request.user,
                customer=data["customer"],
                purpose=data["purpose"],
                method=data["method"],
                due_at=data["due_at"],
                assignee=data.get("assignee"),
                notes=data.get("notes", ""),
            )
            adopt_saved(obj, created)
            return
        current = Revisit.objects.get(pk=obj.pk)
        if "due_at" in form.changed_data:
            services.revisit_reschedule(
                actor=request.user, revisit=current, due_at=data["due_at"]
            )
        if "assignee" in form.changed_data:
            services.revisit_reassign(
                actor=request.user, revisit=current, assignee=data["assignee"]
            )
        if data.get("outcome"):
            self.complete(request, current, data)

    def complete(self, request, revisit, data) -> None:
        """Record the outcome filled in on the form (complaints' admin extends
        it with the "problem found" complaint)."""
        services.revisit_complete(
            actor=request.user,
            revisit=revisit,
            outcome=data["outcome"],
            satisfaction_score=data.get("satisfaction_score"),
            feedback=data.get("feedback", ""),
        )

    @admin.action(
        description=_("Completed: customer not reached"), permissions=["change"]
    )
    def complete_not_reached(self, request, queryset):
        self.run_each(
            request,
            # Done ones stay as they are (the service would return them unchanged).
            queryset.exclude(status=Revisit.Status.DONE),
            lambda r: services.revisit_complete(
                actor=request.user, revisit=r, outcome=Revisit.Outcome.NOT_REACHED
            ),
            done=_("%(count)d revisit(s) recorded as not reached."),
        )

    @admin.action(description=_("Mark as missed"), permissions=["change"])
    def mark_missed(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda r: services.revisit_mark_missed(actor=request.user, revisit=r),
            done=_("%(count)d revisit(s) marked as missed."),
        )

    @admin.action(description=_("Cancel"), permissions=["change"])
    def cancel(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda r: services.revisit_cancel(actor=request.user, revisit=r),
            done=_("%(count)d revisit(s) cancelled."),
        )


@admin.register(RevisitRule)
class RevisitRuleAdmin(ScopedModelAdmin):
    list_display = (
        "name",
        "trigger",
        "tier",
        "purpose",
        "method",
        "offset_hours",
        "interval_months",
        "assignee_rule",
        "is_active",
    )
    list_filter = ("trigger", "is_active", "tier")
    search_fields = ("name",)


@admin.register(Interaction)
class InteractionAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.interaction_list)
    list_display = ("occurred_at", "customer", "channel", "direction", "staff", "short")
    list_filter = ("channel", "direction")
    search_fields = ("customer__code", "customer__name", "summary")
    list_select_related = ("customer", "staff")
    autocomplete_fields = ("customer", "contact", "revisit")
    date_hierarchy = "occurred_at"
    fields = ("customer", "contact", "channel", "direction", "occurred_at", "summary")

    @admin.display(description=_("summary"))
    def short(self, obj):
        return obj.summary[:60]

    def get_readonly_fields(self, request, obj=None):
        # The customer's history is not rewritten after the fact.
        return self.fields if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        created = services.interaction_record(
            actor=request.user,
            customer=data["customer"],
            contact=data.get("contact"),
            channel=data["channel"],
            direction=data["direction"],
            occurred_at=data.get("occurred_at"),
            summary=data["summary"],
        )
        adopt_saved(obj, created)


class NotificationKindFilter(admin.SimpleListFilter):
    """The kinds by their labels (the known ones: no DISTINCT over the inbox)."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(code, label) for code, label in KIND_LABELS.items()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(kind=self.value())
        return queryset


@admin.register(Notification)
class NotificationAdmin(ScopedModelAdmin):
    """The staff member's own notification inbox."""

    selector = staticmethod(selectors.notification_inbox)
    list_display = (
        "unread",
        "title",
        "kind_name",
        "created_at",
        "open_link",
        "email_status",
    )
    list_display_links = ("title",)
    list_filter = (
        NotificationKindFilter,
        "email_status",
        ("read_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("title", "body")
    actions = ("mark_read", "retry_emails")
    readonly_fields = (
        "kind_name",
        "title",
        "body",
        "link",
        "created_at",
        "read_at",
        "email_status",
        "email_attempts",
        "emailed_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("kind"), ordering="kind")
    def kind_name(self, obj):
        return kind_label(obj.kind)

    @admin.display(description=_("unread"), boolean=True)
    def unread(self, obj):
        return obj.read_at is None

    @admin.display(description=_("link"))
    def open_link(self, obj):
        if not obj.link:
            return ""
        return format_html('<a href="{}">{}</a>', obj.link, _("open"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        # Shown is read; a POST (refused: the inbox is read-only) changes nothing.
        if obj is not None and request.method == "GET":
            notification_mark_read(actor=request.user, notifications=[obj])
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("Send failed e-mails again"), permissions=["view"])
    def retry_emails(self, request, queryset):
        count = notification_email_retry(
            actor=request.user, notifications=list(queryset)
        )
        self.message_user(
            request, _("%(count)d e-mail(s) scheduled again.") % {"count": count}
        )

    @admin.action(description=_("Mark as read"), permissions=["view"])
    def mark_read(self, request, queryset):
        count = notification_mark_read(actor=request.user, notifications=list(queryset))
        self.message_user(
            request, _("%(count)d notification(s) marked read.") % {"count": count}
        )
