"""After-sales service orders and their appointments (issue 17).

A ``ServiceOrder`` (售后服务单) is a return, exchange, repair, installation or
maintenance visit of one customer's product; its status moves through
``TRANSITIONS`` only by the services of ``aftersales.services``, each writing an
append-only ``ServiceOrderEvent``. ``ReturnPolicy`` rows are the editable windows
(7-day no-reason return, 15-day quality exchange, warranty months for repair) per
product category and kind. A ``Technician`` (售后工程师) is a staff user with
skills (kinds) and service areas; ``AppointmentSlot`` rows offer capacity on a
day, ``Appointment`` rows book it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ServiceKind(models.TextChoices):
    RETURN = "return", _("return")
    EXCHANGE = "exchange", _("exchange")
    REPAIR = "repair", _("repair")
    INSTALLATION = "installation", _("installation")
    MAINTENANCE = "maintenance", _("maintenance visit")


# Kinds that need a technician on site (booked into a slot).
VISIT_KINDS = (ServiceKind.REPAIR, ServiceKind.INSTALLATION, ServiceKind.MAINTENANCE)


class ServiceOrder(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")
        SCHEDULED = "scheduled", _("scheduled")
        IN_PROGRESS = "in_progress", _("in progress")
        INSPECTED = "inspected", _("inspected")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    kind = models.CharField(_("service kind"), max_length=20, choices=ServiceKind)
    status = models.CharField(
        _("status"), max_length=20, choices=Status, default=Status.REQUESTED
    )
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="service_orders",
    )
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        on_delete=models.PROTECT,
        related_name="service_orders",
        null=True,
        blank=True,
    )
    # The complaint's resolution cycle (reopened_count + 1) that opened the order.
    complaint_cycle = models.PositiveSmallIntegerField(
        _("complaint cycle"), null=True, blank=True
    )
    source_partner = models.ForeignKey(
        "crm.PartnerOrganisation",
        verbose_name=_("source partner"),
        on_delete=models.PROTECT,
        related_name="service_orders",
        null=True,
        blank=True,
    )
    department = models.ForeignKey(
        "crm.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="service_orders",
        null=True,
        blank=True,
    )
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        related_name="service_orders",
        null=True,
        blank=True,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_service_orders",
        null=True,
        blank=True,
    )
    technician = models.ForeignKey(
        "aftersales.Technician",
        verbose_name=_("technician"),
        on_delete=models.PROTECT,
        related_name="service_orders",
        null=True,
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="created_service_orders",
        null=True,
        blank=True,
    )
    order_number = models.CharField(_("order number"), max_length=64, blank=True)
    waybill_number = models.CharField(_("waybill number"), max_length=64, blank=True)
    product_name = models.CharField(_("product"), max_length=200)
    product_category = models.CharField(
        _("product category"), max_length=50, blank=True
    )
    serial_number = models.CharField(
        _("serial / batch number"), max_length=100, blank=True
    )
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    quality_problem = models.BooleanField(_("quality problem"), default=False)
    reason = models.TextField(_("reason"), blank=True)
    policy_override_reason = models.TextField(_("policy override reason"), blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    parts_cost = models.DecimalField(
        _("parts cost"), max_digits=10, decimal_places=2, default=0
    )
    labour_cost = models.DecimalField(
        _("labour cost"), max_digits=10, decimal_places=2, default=0
    )
    logistics_cost = models.DecimalField(
        _("logistics cost"), max_digits=10, decimal_places=2, default=0
    )
    outcome = models.TextField(_("outcome"), blank=True)
    first_time_fix = models.BooleanField(_("first-time fix"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    customer_confirmed_at = models.DateTimeField(
        _("customer confirmed at"), null=True, blank=True
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # Elapsed minutes from the request (created_at) to completion, stored at
    # completion so the KPI "average repair turnaround" is a plain database Sum.
    turnaround_minutes = models.PositiveIntegerField(
        _("turnaround (min)"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One order per complaint resolution cycle (idempotent follow-up).
            models.UniqueConstraint(
                fields=["complaint", "complaint_cycle"],
                condition=Q(complaint__isnull=False),
                name="aftersales_one_order_per_complaint_cycle",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_date"], name="so_status_due"),
            models.Index(fields=["department", "status"], name="so_department_status"),
        ]

    def __str__(self):
        return self.reference

    @property
    def total_cost(self):
        return self.parts_cost + self.labour_cost + self.logistics_cost


S = ServiceOrder.Status

# The lifecycle: which status may follow which (services check it).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.APPROVED, S.REFUSED, S.CANCELLED}),
    S.APPROVED: frozenset({S.SCHEDULED, S.IN_PROGRESS, S.CANCELLED}),
    S.REFUSED: frozenset(),
    # a cancelled booking sends the order back to approved
    S.SCHEDULED: frozenset({S.IN_PROGRESS, S.APPROVED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.INSPECTED, S.COMPLETED, S.CANCELLED}),
    S.INSPECTED: frozenset({S.COMPLETED, S.IN_PROGRESS}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}
CLOSED_STATUSES = frozenset({S.REFUSED, S.COMPLETED, S.CANCELLED})


class ServiceOrderCounter(models.Model):
    """The last reference number issued on a day (``SH`` + YYYYMMDD + sequence)."""

    day = models.DateField(unique=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("service order counter")
        verbose_name_plural = _("service order counters")

    def __str__(self):
        return f"{self.day}: {self.last_value}"


class ServiceOrderEvent(models.Model):
    """One append-only line of a service order's history."""

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        STATUS_CHANGED = "status_changed", _("status changed")
        POLICY_OVERRIDE = "policy_override", _("policy override")
        BOOKED = "booked", _("appointment booked")
        RESCHEDULED = "rescheduled", _("appointment rescheduled")
        BOOKING_CANCELLED = "booking_cancelled", _("appointment cancelled")
        CHECKED_IN = "checked_in", _("checked in")
        CHECKED_OUT = "checked_out", _("checked out")
        REMINDED = "reminded", _("reminder queued")
        NOTE = "note", _("note")

    order = models.ForeignKey(
        ServiceOrder,
        verbose_name=_("service order"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind)
    from_status = models.CharField(_("from status"), max_length=20, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    note = models.TextField(_("note"), blank=True)
    customer_visible = models.BooleanField(_("customer visible"), default=False)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("service order event")
        verbose_name_plural = _("service order events")
        ordering = ["pk"]

    def __str__(self):
        return f"{self.order_id} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("service order events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("service order events are append-only")


class ReturnPolicy(models.Model):
    """The window of one kind for one product category ("" = every category
    without a row of its own): days after purchase for returns and exchanges,
    warranty months for repairs."""

    product_category = models.CharField(
        _("product category"), max_length=50, blank=True
    )
    kind = models.CharField(_("service kind"), max_length=20, choices=ServiceKind)
    window_days = models.PositiveSmallIntegerField(
        _("window (days)"), null=True, blank=True
    )
    warranty_months = models.PositiveSmallIntegerField(
        _("warranty (months)"), null=True, blank=True
    )
    quality_problem_required = models.BooleanField(
        _("quality problem required"), default=False
    )
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("return policy")
        verbose_name_plural = _("return policies")
        ordering = ["product_category", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["product_category", "kind"], name="aftersales_policy_unique"
            )
        ]

    def __str__(self):
        return f"{self.product_category or '*'} {self.get_kind_display()}"


class Technician(models.Model):
    """A staff member who visits customers (role 售后工程师)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        on_delete=models.PROTECT,
        related_name="technician",
    )
    department = models.ForeignKey(
        "crm.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="technicians",
        null=True,
        blank=True,
    )
    skills = models.JSONField(_("skills (service kinds)"), default=list, blank=True)
    areas = models.JSONField(_("service areas"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("technician")
        verbose_name_plural = _("technicians")
        ordering = ["pk"]

    def __str__(self):
        return str(self.user)


class AppointmentSlot(models.Model):
    """Bookable time of one technician: at most ``capacity`` visits."""

    technician = models.ForeignKey(
        Technician,
        verbose_name=_("technician"),
        on_delete=models.PROTECT,
        related_name="slots",
    )
    date = models.DateField(_("date"))
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))
    area = models.CharField(_("area"), max_length=50)
    kind = models.CharField(_("service kind"), max_length=20, choices=ServiceKind)
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=1)
    booked = models.PositiveSmallIntegerField(_("booked"), default=0, editable=False)

    class Meta:
        verbose_name = _("appointment slot")
        verbose_name_plural = _("appointment slots")
        ordering = ["date", "start", "pk"]
        indexes = [
            models.Index(fields=["date", "kind", "area"], name="slot_day_kind_area")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(booked__lte=models.F("capacity")),
                name="aftersales_slot_not_overbooked",
            ),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="aftersales_slot_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.start:%H:%M}-{self.end:%H:%M} {self.area}"

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)


class Appointment(models.Model):
    """A visit booked into a slot for a service order."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("booked")
        CANCELLED = "cancelled", _("cancelled")
        DONE = "done", _("done")

    order = models.ForeignKey(
        ServiceOrder,
        verbose_name=_("service order"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    slot = models.ForeignKey(
        AppointmentSlot,
        verbose_name=_("slot"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status, default=Status.BOOKED
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    booked_at = models.DateTimeField(_("booked at"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    customer_reminded_at = models.DateTimeField(
        _("customer reminded at"), null=True, blank=True
    )
    technician_reminded_at = models.DateTimeField(
        _("technician reminded at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["slot__date", "slot__start", "pk"]
        constraints = [
            # One live booking per order.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status="booked"),
                name="aftersales_one_live_booking_per_order",
            )
        ]

    def __str__(self):
        return f"{self.order_id} @ {self.slot_id}"
