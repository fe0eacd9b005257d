"""Serializers of the service-order endpoints."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from aftersales.models import (
    Appointment,
    AppointmentSlot,
    ServiceKind,
    ServiceOrder,
    ServiceOrderEvent,
)


class SlotSerializer(serializers.ModelSerializer):
    free = serializers.IntegerField(read_only=True)
    technician = serializers.IntegerField(source="technician_id", read_only=True)

    class Meta:
        model = AppointmentSlot
        fields = (
            "id",
            "date",
            "start",
            "end",
            "area",
            "kind",
            "capacity",
            "free",
            "technician",
        )
        read_only_fields = fields


class AppointmentSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.reference", read_only=True)
    slot = SlotSerializer(read_only=True)

    class Meta:
        model = Appointment
        fields = ("id", "order", "status", "booked_at", "slot")
        read_only_fields = fields


class ServiceOrderSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.code", read_only=True)
    complaint = serializers.SerializerMethodField()
    technician = serializers.SerializerMethodField()

    class Meta:
        model = ServiceOrder
        fields = (
            "reference",
            "kind",
            "status",
            "customer",
            "complaint",
            "order_number",
            "waybill_number",
            "product_name",
            "product_category",
            "serial_number",
            "purchase_date",
            "quality_problem",
            "reason",
            "due_date",
            "technician",
            "outcome",
            "first_time_fix",
            "checked_in_at",
            "checked_out_at",
            "completed_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_complaint(self, order) -> str | None:
        return order.complaint.reference if order.complaint_id else None

    def get_technician(self, order) -> str | None:
        return order.technician.user.name if order.technician_id else None


class ServiceOrderCreateSerializer(serializers.Serializer):
    """Body of ``POST /api/v1/service-orders/``."""

    kind = serializers.ChoiceField(choices=ServiceKind.choices)
    customer = serializers.CharField(
        max_length=32, help_text=_("Kefu customer number.")
    )
    complaint = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text=_("Reference of the complaint this order follows, optional."),
    )
    product_name = serializers.CharField(max_length=200)
    product_category = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default=""
    )
    serial_number = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    order_number = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default=""
    )
    waybill_number = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default=""
    )
    purchase_date = serializers.DateField(required=False, allow_null=True)
    quality_problem = serializers.BooleanField(required=False, default=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Supervisors and managers only: why the policy window is waived."),
    )


class BookInputSerializer(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class ServiceOrderEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceOrderEvent
        fields = ("id", "kind", "from_status", "to_status", "note", "created_at")
        read_only_fields = fields
