"""SLA: business calendars (working hours, holidays, adjusted working days),
the policies that set the targets, and each complaint's SLA clocks.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models.taxonomy import Category, Channel, Severity


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
        "complaints.Complaint",
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
        # Partial indexes: the sweep looks only at running (not paused) clocks,
        # a small fraction of the table once complaints pile up; their columns
        # are the sweep's ORDER BY (complaints.selectors.sla_targets_to_*).
        indexes = [
            # KPI: SLA targets that fell due in a period (sla_compliance_rate).
            models.Index(fields=["due_at"], name="slatarget_due"),
            models.Index(
                fields=["warn_at", "id"],
                name="slatarget_warn_due",
                condition=models.Q(
                    met_at__isnull=True,
                    cancelled_at__isnull=True,
                    paused_at__isnull=True,
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
                fields=["due_at", "id"],
                name="slatarget_breach_due",
                condition=models.Q(
                    met_at__isnull=True,
                    cancelled_at__isnull=True,
                    paused_at__isnull=True,
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
