"""The after-sales desk in the admin (Chinese): service orders with status and
due dates, the change page with the order's events, its visits and the
workflow (a status step, or booking a free slot of the order's kind); the
visits list, filtered by day, is the technicians' day list; policies,
technicians and slots are configuration."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from aftersales import selectors, services
from aftersales.models import (
    Appointment,
    AppointmentSlot,
    ReturnPolicy,
    ServiceOrder,
    ServiceOrderEvent,
    Technician,
)
from complaints.admin.complaint import ComplaintAdmin
from crm.admin_base import ScopedModelAdmin, ScopedTabularInline, adopt_saved

S = ServiceOrder.Status

ADD_FIELDS = (
    "kind",
    "customer",
    "complaint",
    "product_name",
    "product_category",
    "serial_number",
    "order_number",
    "waybill_number",
    "purchase_date",
    "quality_problem",
    "reason",
    "policy_override_reason",
)
SHOWN_FIELDS = (
    "reference",
    "kind",
    "status",
    "customer",
    "complaint",
    "product_name",
    "product_category",
    "serial_number",
    "order_number",
    "waybill_number",
    "purchase_date",
    "quality_problem",
    "reason",
    "policy_override_reason",
    "due_date",
    "owner",
    "technician",
    "checked_in_at",
    "checked_out_at",
    "first_time_fix",
    "parts_cost",
    "labour_cost",
    "logistics_cost",
    "outcome",
    "customer_confirmed_at",
    "completed_at",
    "created_at",
)
STEPS = (
    ("", "---------"),
    (S.APPROVED, _("approve")),
    (S.REFUSED, _("refuse")),
    (S.IN_PROGRESS, _("start work")),
    (S.INSPECTED, _("inspected")),
    (S.CANCELLED, _("cancel")),
)


class WorkflowForm(forms.ModelForm):
    """The change page's workflow: one status step with a note, or a slot."""

    step = forms.ChoiceField(label=_("status step"), choices=STEPS, required=False)
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    slot = forms.ModelChoiceField(
        label=_("book a free slot"),
        queryset=AppointmentSlot.objects.none(),
        required=False,
    )

    class Meta:
        model = ServiceOrder
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["slot"].queryset = services.free_slots(kind=self.instance.kind)


class EventInline(ScopedTabularInline):
    model = ServiceOrderEvent
    selector = staticmethod(selectors.service_order_event_list)
    fields = (
        "created_at",
        "kind",
        "from_status",
        "to_status",
        "actor",
        "note",
        "customer_visible",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AppointmentInline(ScopedTabularInline):
    model = Appointment
    selector = staticmethod(selectors.appointment_list)
    fields = ("slot", "status", "booked_at", "booked_by", "cancelled_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ServiceOrder)
class ServiceOrderAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.service_order_list)
    list_display = (
        "reference",
        "kind",
        "status",
        "customer",
        "product_name",
        "due_date",
        "technician",
        "created_at",
    )
    list_filter = ("status", "kind", "due_date")
    search_fields = ("reference", "order_number", "waybill_number", "customer__code")
    list_select_related = ("customer", "technician__user")
    autocomplete_fields = ("customer", "complaint")
    date_hierarchy = "created_at"
    inlines = (EventInline, AppointmentInline)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        if obj is None:
            return ADD_FIELDS
        return (*SHOWN_FIELDS, "step", "note", "slot")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else SHOWN_FIELDS

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = WorkflowForm
            kwargs["fields"] = ["step", "note", "slot"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            saved = services.order_create(
                actor=request.user,
                kind=data["kind"],
                customer=data["customer"],
                complaint=data.get("complaint"),
                product_name=data["product_name"],
                product_category=data.get("product_category", ""),
                serial_number=data.get("serial_number", ""),
                order_number=data.get("order_number", ""),
                waybill_number=data.get("waybill_number", ""),
                purchase_date=data.get("purchase_date"),
                quality_problem=data.get("quality_problem", False),
                reason=data.get("reason", ""),
                override_reason=data.get("policy_override_reason", ""),
            )
            adopt_saved(obj, saved)
            return
        if data.get("step"):
            services.order_transition(
                actor=request.user, order=obj, to_status=data["step"], note=data["note"]
            )
        if data.get("slot"):
            obj.refresh_from_db()
            if obj.status == S.SCHEDULED:
                services.appointment_reschedule(
                    actor=request.user, order=obj, slot=data["slot"]
                )
            else:
                services.appointment_book(
                    actor=request.user, order=obj, slot=data["slot"]
                )

    def save_related(self, request, form, formsets, change):
        if not change:
            super().save_related(request, form, formsets, change)


@admin.register(Appointment)
class AppointmentAdmin(ScopedModelAdmin):
    """The visits by day: filter on a date for a technician's day list."""

    selector = staticmethod(selectors.appointment_list)
    list_display = (
        "slot_date",
        "slot_time",
        "technician",
        "order",
        "customer",
        "area",
        "status",
    )
    list_filter = ("slot__date", "status", "slot__kind")
    search_fields = ("order__reference",)
    list_select_related = ("slot__technician__user", "order__customer")
    ordering = ("slot__date", "slot__technician", "slot__start", "pk")
    fields = ("order", "slot", "status", "booked_at", "booked_by", "cancelled_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("date"), ordering="slot__date")
    def slot_date(self, obj):
        return obj.slot.date

    @admin.display(description=_("time"))
    def slot_time(self, obj):
        return f"{obj.slot.start:%H:%M}-{obj.slot.end:%H:%M}"

    @admin.display(description=_("technician"))
    def technician(self, obj):
        return obj.slot.technician

    @admin.display(description=_("customer"))
    def customer(self, obj):
        return obj.order.customer

    @admin.display(description=_("area"))
    def area(self, obj):
        return obj.slot.area


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(ScopedModelAdmin):
    list_display = (
        "product_category",
        "kind",
        "window_days",
        "warranty_months",
        "quality_problem_required",
        "description",
    )
    list_filter = ("kind",)


@admin.register(Technician)
class TechnicianAdmin(ScopedModelAdmin):
    list_display = ("user", "department", "skills", "areas", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("user", "department")
    search_fields = ("user__name", "user__username")


@admin.register(AppointmentSlot)
class AppointmentSlotAdmin(ScopedModelAdmin):
    list_display = (
        "date",
        "start",
        "end",
        "technician",
        "area",
        "kind",
        "capacity",
        "booked",
    )
    list_filter = ("date", "kind", "area")
    list_select_related = ("technician__user",)
    readonly_fields = ("booked",)


class ComplaintServiceOrderInline(ScopedTabularInline):
    """The service orders a complaint opened (refund, replacement, repair), on
    the complaint's page: reference (a link to the order), kind, status, owner,
    when requested. Read-only; only the orders the reader may see (the
    after-sales selector), and only for readers with the view permission."""

    model = ServiceOrder
    fk_name = "complaint"
    selector = staticmethod(selectors.service_order_list)
    fields = ("order", "kind", "status", "owner", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("service order")
    verbose_name_plural = _("service orders of this complaint")

    @admin.display(description=_("reference"))
    def order(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:aftersales_serviceorder_change", args=[obj.pk]),
            obj.reference,
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# aftersales sits above complaints: it adds its panel to the complaint's page
# (the arrow turned round, docs/architecture.md), complaints knows nothing of it.
if ComplaintServiceOrderInline not in ComplaintAdmin.inlines:
    ComplaintAdmin.inlines = [*ComplaintAdmin.inlines, ComplaintServiceOrderInline]
