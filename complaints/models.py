"""Complaints: the lifecycle record, its events, SLA clocks, calendars and CAPA.

State changes go through ``complaints.services`` only (house style rule 1); the
models hold data and constraints, no business logic.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    """The complaint taxonomy: top-level categories (stable codes) and editable
    subcategories below them."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("complaint category")
        verbose_name_plural = _("complaint categories")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class BusinessCalendar(models.Model):
    """Working hours per weekday plus dated exceptions (holidays, 调休 workdays).

    ``week_hours`` maps weekday numbers ("0" = Monday … "6" = Sunday) to a list of
    ``["HH:MM", "HH:MM"]`` working intervals; a gap between intervals is the lunch
    break. An adjusted working day (调休) uses ``workday_hours``.
    """

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    week_hours = models.JSONField(_("working hours per weekday"), default=dict)
    workday_hours = models.JSONField(
        _("working hours of an adjusted working day"), default=list
    )
    is_default = models.BooleanField(_("default calendar"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["code"]

    def __str__(self):
        return self.name


class CalendarDay(models.Model):
    """A dated exception of a calendar: a public holiday or an adjusted working day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("public holiday")
        WORKDAY = "workday", _("adjusted working day")

    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        on_delete=models.CASCADE,
        related_name="days",
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "date"], name="calendarday_unique_date"
            )
        ]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class Channel(models.TextChoices):
    PHONE = "phone", _("phone")
    ONLINE = "online", _("online platform")
    ONSITE = "onsite", _("on site")
    EMAIL = "email", _("e-mail")
    SOCIAL = "social", _("social media")
    LETTER = "letter", _("letter")
    API = "api", _("partner API")


class Severity(models.TextChoices):
    URGENT = "urgent", _("urgent")
    HIGH = "high", _("high")
    NORMAL = "normal", _("normal")
    LOW = "low", _("low")


class SlaPolicy(models.Model):
    """Targets for complaints matching (channel, severity, category); blank = any.

    The most specific active policy wins (most matchers set), then ``sort_order``.
    Durations are minutes of business time of ``calendar`` (the default calendar
    when empty) or of wall-clock time when ``is_24x7``.
    """

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, blank=True
    )
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity.choices, blank=True
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sla_policies",
        limit_choices_to={"parent__isnull": True},
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policies",
    )
    is_24x7 = models.BooleanField(_("24×7"), default=False)
    first_response_minutes = models.PositiveIntegerField(
        _("first response (minutes)"), default=30
    )
    analysis_minutes = models.PositiveIntegerField(
        _("initial analysis (minutes)"), default=120
    )
    reply_minutes = models.PositiveIntegerField(_("reply (minutes)"), default=2880)
    resolution_minutes = models.PositiveIntegerField(
        _("resolution (minutes)"), default=4320
    )
    confirmation_minutes = models.PositiveIntegerField(
        _("customer confirmation (minutes)"), default=1440
    )
    # Targets counted in elapsed (wall-clock) time although the policy has a
    # calendar: the customer promises "reply within 48 h of receipt" and
    # "confirm within 24 h of resolution" are elapsed hours (seed: 最长不超过48小时;
    # crm's confirmation revisit is due 24 h after resolution).
    elapsed_targets = models.JSONField(
        _("targets counted in elapsed hours"),
        default=list,
        blank=True,
        help_text=_(
            "SLA targets of this policy that count elapsed (wall-clock) time "
            "instead of the calendar's business time."
        ),
    )
    warn_percent = models.PositiveSmallIntegerField(
        _("warning at (% of target)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class AssignmentRule(models.Model):
    """Routes new complaints to a team by category and/or channel (blank = any).

    The most specific active rule wins, then ``sort_order``; with ``auto_assign``
    the least-loaded active agent of the team gets the complaint.
    """

    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignment_rules",
        limit_choices_to={"parent__isnull": True},
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, blank=True
    )
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        related_name="complaint_assignment_rules",
    )
    auto_assign = models.BooleanField(_("assign to least-loaded agent"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        ordering = ["sort_order", "pk"]

    def __str__(self):
        return self.name


class ReferenceCounter(models.Model):
    """Last complaint sequence number issued per day (row-locked when issuing)."""

    day = models.DateField(_("day"), unique=True)
    last_value = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")

    def __str__(self):
        return f"{self.day}: {self.last_value}"


class Complaint(models.Model):
    Channel = Channel
    Severity = Severity

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        ANALYZING = "analyzing", _("analyzing")
        HANDLING = "handling", _("handling")
        ON_HOLD = "on_hold", _("on hold")
        REPLIED = "replied", _("replied")
        RESOLVED = "resolved", _("resolved")
        CLOSED = "closed", _("closed")
        REOPENED = "reopened", _("reopened")
        REJECTED = "rejected", _("rejected")

    class CauseType(models.TextChoices):
        STAFF_ERROR = "staff_error", _("staff error")
        SYSTEM_FAULT = "system_fault", _("system fault")
        CUSTOMER_MISUNDERSTANDING = (
            "customer_misunderstanding",
            _("customer misunderstanding"),
        )
        PRODUCT = "product", _("product")
        PROCESS = "process", _("process")

    class ResolutionType(models.TextChoices):
        APOLOGY = "apology", _("apology")
        EXPLANATION = "explanation", _("explanation")
        COMPENSATION = "compensation", _("compensation")
        REFUND = "refund", _("refund")
        REPLACEMENT = "replacement", _("replacement")
        REDELIVERY = "redelivery", _("re-delivery")
        PROCESS_FIX = "process_fix", _("process fix")

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="complaints",
        limit_choices_to={"parent__isnull": True},
    )
    subcategory = models.ForeignKey(
        Category,
        verbose_name=_("subcategory"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sub_complaints",
        limit_choices_to={"parent__isnull": False},
    )
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity.choices, default=Severity.NORMAL
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    order_number = models.CharField(
        _("order / waybill number"), max_length=64, blank=True
    )
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    desired_resolution = models.TextField(_("desired resolution"), blank=True)
    impact_scope = models.TextField(_("impact scope"), blank=True)
    cause_hypothesis = models.TextField(_("cause hypothesis"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    status_before_hold = models.CharField(
        _("status before hold"), max_length=16, choices=Status.choices, blank=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_complaints",
    )
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
    )
    department = models.ForeignKey(
        "crm.Department",
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
    )
    source_partner = models.ForeignKey(
        "crm.PartnerOrganisation",
        verbose_name=_("source partner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
    )
    attributed_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member complained about"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attributed_complaints",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registered_complaints",
    )
    sla_policy = models.ForeignKey(
        SlaPolicy,
        verbose_name=_("SLA policy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
    )
    received_at = models.DateTimeField(_("received at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    first_response_due_at = models.DateTimeField(
        _("first response due"), null=True, blank=True
    )
    first_response_at = models.DateTimeField(
        _("first responded at"), null=True, blank=True
    )
    analysis_due_at = models.DateTimeField(_("analysis due"), null=True, blank=True)
    analyzed_at = models.DateTimeField(_("analysed at"), null=True, blank=True)
    reply_due_at = models.DateTimeField(_("reply due"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    first_resolved_at = models.DateTimeField(
        _("first resolved at"), null=True, blank=True
    )
    confirmation_due_at = models.DateTimeField(
        _("confirmation due"), null=True, blank=True
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    on_hold_since = models.DateTimeField(_("on hold since"), null=True, blank=True)
    reopened_count = models.PositiveIntegerField(_("times reopened"), default=0)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation level"), default=0
    )
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    first_response_minutes = models.PositiveIntegerField(
        _("first response (business minutes)"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution (business minutes)"), null=True, blank=True
    )
    cause_type = models.CharField(
        _("cause type"), max_length=32, choices=CauseType.choices, blank=True
    )
    resolution_type = models.CharField(
        _("resolution type"), max_length=32, choices=ResolutionType.choices, blank=True
    )
    resolution_summary = models.TextField(_("solution"), blank=True)
    compensation_amount = models.DecimalField(
        _("compensation amount"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    is_archived = models.BooleanField(_("archived"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(
                fields=["status", "received_at"], name="complaint_status_recv"
            ),
            models.Index(fields=["received_at"], name="complaint_received"),
            models.Index(fields=["team", "status"], name="complaint_team_status"),
            models.Index(
                fields=["assignee", "status"], name="complaint_assignee_status"
            ),
            models.Index(fields=["updated_at"], name="complaint_updated"),
            models.Index(fields=["order_number"], name="complaint_order_no"),
            # KPI: complaints resolved / reopened in a period (date range scans).
            models.Index(fields=["first_resolved_at"], name="complaint_first_resolved"),
        ]

    def __str__(self):
        return f"{self.reference} {self.subject}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("admin:complaints_complaint_change", args=[self.pk])


class ImmutableRowError(Exception):
    """An attempt to change or delete an append-only audit row."""


class ComplaintEventQuerySet(models.QuerySet):
    """Events are append-only: no bulk update or delete through the ORM."""

    def update(self, **kwargs):
        raise ImmutableRowError("complaint events are immutable")

    def delete(self):
        raise ImmutableRowError("complaint events are immutable")

    def bulk_update(self, objs, fields, batch_size=None):
        raise ImmutableRowError("complaint events are immutable")


class ComplaintEvent(models.Model):
    """One immutable line of a complaint's timeline (audit trail and SLA clocks).

    Rows are only ever inserted (``complaints.services.events.event_record``):
    saving an existing row, deleting one and queryset ``update``/``delete``
    raise ``ImmutableRowError``; the admin shows them read-only.
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        STATUS_CHANGED = "status_changed", _("status changed")
        ASSIGNED = "assigned", _("assigned")
        REPLIED = "replied", _("replied to customer")
        NOTE = "note", _("internal note")
        ANALYSIS = "analysis", _("analysis recorded")
        ESCALATED = "escalated", _("escalated")
        SEVERITY_CHANGED = "severity_changed", _("severity changed")
        REOPENED = "reopened", _("reopened")
        CONFIRMED = "confirmed", _("confirmed by customer")
        ATTACHMENT = "attachment", _("attachment added")
        SLA_STARTED = "sla_started", _("SLA clock started")
        SLA_PAUSED = "sla_paused", _("SLA clock paused")
        SLA_RESUMED = "sla_resumed", _("SLA clock resumed")
        SLA_WARNED = "sla_warned", _("SLA warning")
        SLA_MET = "sla_met", _("SLA target met")
        SLA_BREACHED = "sla_breached", _("SLA breached")
        SLA_DUE_OVERRIDDEN = "sla_due_overridden", _("SLA due time overridden")
        SLA_RECOMPUTED = "sla_recomputed", _("SLA due times recomputed")
        FEEDBACK_RECEIVED = "feedback_received", _("customer feedback received")
        CAPA_LINKED = "capa_linked", _("corrective action linked")
        ARCHIVED = "archived", _("archived")

    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    from_status = models.CharField(
        _("from status"), max_length=16, choices=Complaint.Status.choices, blank=True
    )
    to_status = models.CharField(
        _("to status"), max_length=16, choices=Complaint.Status.choices, blank=True
    )
    customer_visible = models.BooleanField(_("visible to customer"), default=False)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    # Uniqueness for events that must happen once (SLA warned/breached of a
    # target): "<kind>:<target id>"; empty for the rest.
    dedupe_key = models.CharField(
        _("deduplication key"), max_length=100, null=True, blank=True, unique=True
    )
    created_at = models.DateTimeField(_("created at"), db_index=True)

    objects = ComplaintEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["complaint", "created_at"], name="cevent_timeline"),
            models.Index(fields=["kind", "created_at"], name="cevent_kind_time"),
        ]

    def __str__(self):
        from django.utils import timezone

        return f"{self.get_kind_display()} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    # The one change allowed to a stored event: PIPL erasure
    # (crm.services.privacy.customer_erase) may mask text of ``note``/``data``
    # with this mark — never add or rewrite anything else.
    REDACTION_MARK = "***"
    REDACTABLE_FIELDS = frozenset({"note", "data"})

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            self._check_redaction_only(kwargs.get("update_fields"))
        super().save(*args, **kwargs)

    def _check_redaction_only(self, update_fields) -> None:
        import json
        import re

        if not update_fields or not set(update_fields) <= self.REDACTABLE_FIELDS:
            raise ImmutableRowError("complaint events are immutable")
        stored = type(self)._base_manager.filter(pk=self.pk).values(*update_fields)
        stored = stored.first()
        if stored is None:
            raise ImmutableRowError("complaint events are immutable")
        for name in update_fields:
            old, new = stored[name], getattr(self, name)
            if name == "data":
                old = json.dumps(old, ensure_ascii=False, sort_keys=True)
                new = json.dumps(new, ensure_ascii=False, sort_keys=True)
            pieces = (new or "").split(self.REDACTION_MARK)
            pattern = "(?:.+?)".join(re.escape(p) for p in pieces)
            if new != old and not re.fullmatch(pattern, old or "", re.DOTALL):
                raise ImmutableRowError(
                    "complaint events are immutable (only redaction is allowed)"
                )

    def delete(self, *args, **kwargs):
        raise ImmutableRowError("complaint events are immutable")


class SlaTarget(models.Model):
    """One SLA clock of a complaint. Met on time ⇔ ``met_at <= due_at``.

    ``due_at`` = ``started_at`` + ``target_minutes`` + ``paused_minutes`` of
    business time (unless ``is_overridden``); ``warn_at`` is the warning point.
    """

    class Kind(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("first response")
        ANALYSIS = "analysis", _("initial analysis")
        REPLY = "reply", _("reply")
        RESOLUTION = "resolution", _("resolution")
        CONFIRMATION = "confirmation", _("customer confirmation")

    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.CASCADE,
        related_name="sla_targets",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=1)
    started_at = models.DateTimeField(_("clock started at"))
    target_minutes = models.PositiveIntegerField(_("target (minutes)"))
    paused_minutes = models.PositiveIntegerField(_("paused (minutes)"), default=0)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"))
    warn_at = models.DateTimeField(_("warning at"), null=True, blank=True)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    is_overridden = models.BooleanField(_("due time overridden"), default=False)

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        ordering = ["complaint", "cycle", "due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "kind", "cycle"], name="slatarget_unique_cycle"
            )
        ]
        # Partial indexes: the sweep looks only at running clocks, a small
        # fraction of the table once complaints pile up.
        indexes = [
            # KPI: SLA targets that fell due in a period (sla_compliance_rate).
            models.Index(fields=["due_at"], name="slatarget_due"),
            models.Index(
                fields=["warn_at"],
                name="slatarget_warn_due",
                condition=models.Q(
                    met_at__isnull=True,
                    cancelled_at__isnull=True,
                    warned_at__isnull=True,
                ),
            ),
            # "SLA breached" filter of the complaint list (semi-join).
            models.Index(
                fields=["complaint"],
                name="slatarget_breached",
                condition=models.Q(breached_at__isnull=False),
            ),
            models.Index(
                fields=["due_at"],
                name="slatarget_breach_due",
                condition=models.Q(
                    met_at__isnull=True,
                    cancelled_at__isnull=True,
                    breached_at__isnull=True,
                ),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.cycle}"

    @property
    def met_on_time(self) -> bool | None:
        if self.met_at is None:
            return None
        return self.met_at <= self.due_at


class ComplaintReply(models.Model):
    """A customer-facing reply through a channel."""

    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.CASCADE,
        related_name="replies",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    body = models.TextField(_("reply"))
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("reply to customer")
        verbose_name_plural = _("replies to customer")
        ordering = ["sent_at", "pk"]

    def __str__(self):
        from django.utils import timezone

        return f"{timezone.localtime(self.sent_at):%Y-%m-%d %H:%M}"


class ComplaintNote(models.Model):
    """An internal note (investigation, hand-over); never shown to the customer."""

    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.CASCADE,
        related_name="notes",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.body[:50]


def attachment_path(instance, filename):
    return f"complaints/{instance.complaint_id}/{filename}"


class ComplaintAttachment(models.Model):
    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.original_name


class SatisfactionSurvey(models.Model):
    """The customer's satisfaction with one resolution cycle of a complaint."""

    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.CASCADE,
        related_name="surveys",
    )
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="satisfaction_surveys",
    )
    cycle = models.PositiveSmallIntegerField(_("resolution cycle"), default=1)
    csat = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    nps = models.PositiveSmallIntegerField(
        _("likelihood to recommend (0–10)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    comment = models.TextField(_("comment"), blank=True)
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "cycle"], name="survey_unique_cycle"
            )
        ]
        indexes = [models.Index(fields=["answered_at"], name="survey_answered")]

    def __str__(self):
        return f"{self.complaint_id} #{self.cycle}"


class CorrectiveAction(models.Model):
    """CAPA: a corrective or preventive action against a root cause, linked to
    the complaints it addresses, completed by its owner and then verified."""

    class Kind(models.TextChoices):
        CORRECTIVE = "corrective", _("corrective")
        PREVENTIVE = "preventive", _("preventive")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        IN_PROGRESS = "in_progress", _("in progress")
        COMPLETED = "completed", _("completed")
        VERIFIED = "verified", _("verified effective")
        INEFFECTIVE = "ineffective", _("not effective")
        CANCELLED = "cancelled", _("cancelled")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=16, choices=Kind.choices, default=Kind.CORRECTIVE
    )
    root_cause = models.TextField(_("root cause"))
    action = models.TextField(_("action"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="corrective_actions",
    )
    department = models.ForeignKey(
        "crm.Department",
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="corrective_actions",
    )
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="corrective_actions",
    )
    complaints = models.ManyToManyField(
        Complaint,
        verbose_name=_("complaints"),
        related_name="corrective_actions",
        blank=True,
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    completion_note = models.TextField(_("completion note"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    verification_note = models.TextField(_("verification of effectiveness"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("corrective action (CAPA)")
        verbose_name_plural = _("corrective actions (CAPA)")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title
