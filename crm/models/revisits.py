"""Revisits (回访): the rules that plan them and the planned contacts."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.customers import Customer


class RevisitPurpose(models.TextChoices):
    SATISFACTION = "satisfaction", _("satisfaction check")
    CONFIRMATION = "confirmation", _("post-resolution confirmation")
    AFTER_SALES = "after_sales", _("after-sales care")
    CARE = "care", _("relationship care")
    WIN_BACK = "win_back", _("win-back")


class RevisitMethod(models.TextChoices):
    PHONE = "phone", _("phone")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")
    ONLINE = "online", _("online")
    VISIT = "visit", _("visit")


class RevisitRule(models.Model):
    """When revisits are planned automatically (editable by managers).

    ``offset_hours`` is counted from the trigger (resolution, creation, the start of
    the period, the birthday or holiday); ``interval_months`` is the period of a
    periodic rule. Each generated revisit carries a unique key derived from the
    rule, the customer and the occasion, so running a rule twice plans nothing new.
    """

    class Trigger(models.TextChoices):
        COMPLAINT_RESOLVED = "complaint_resolved", _("complaint resolved")
        CUSTOMER_CREATED = "customer_created", _("customer created")
        PERIODIC = "periodic", _("periodic by tier")
        BIRTHDAY = "birthday", _("birthday care")
        HOLIDAY = "holiday", _("holiday care")

    class AssigneeRule(models.TextChoices):
        COMPLAINT_ASSIGNEE = "complaint_assignee", _("complaint handler")
        CUSTOMER_OWNER = "customer_owner", _("account manager")
        UNASSIGNED = "unassigned", _("unassigned (team pool)")

    name = models.CharField(_("name"), max_length=100)
    trigger = models.CharField(_("trigger"), max_length=32, choices=Trigger.choices)
    tier = models.CharField(
        _("customer tier"),
        max_length=16,
        choices=Customer.Tier.choices,
        blank=True,
        help_text=_("Blank: customers of every tier."),
    )
    purpose = models.CharField(
        _("purpose"),
        max_length=16,
        choices=RevisitPurpose.choices,
        default=RevisitPurpose.SATISFACTION,
    )
    method = models.CharField(
        _("method"),
        max_length=16,
        choices=RevisitMethod.choices,
        default=RevisitMethod.PHONE,
    )
    offset_hours = models.IntegerField(
        _("offset (hours)"),
        default=24,
        help_text=_("Due this many hours after the trigger."),
    )
    interval_months = models.PositiveSmallIntegerField(
        _("interval (months)"),
        null=True,
        blank=True,
        help_text=_("Periodic rules only: 1 = monthly, 3 = quarterly."),
    )
    holiday_month = models.PositiveSmallIntegerField(
        _("holiday month"), null=True, blank=True
    )
    holiday_day = models.PositiveSmallIntegerField(
        _("holiday day"), null=True, blank=True
    )
    assignee_rule = models.CharField(
        _("assignee"),
        max_length=32,
        choices=AssigneeRule.choices,
        default=AssigneeRule.CUSTOMER_OWNER,
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("revisit rule")
        verbose_name_plural = _("revisit rules")
        ordering = ["trigger", "name"]

    def __str__(self):
        return self.name


class Revisit(models.Model):
    """A planned contact with a customer (回访). Changes go through
    ``crm.services.revisits``; ``key`` makes every planned occasion unique."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        DONE = "done", _("done")
        MISSED = "missed", _("missed")
        CANCELLED = "cancelled", _("cancelled")

    class Outcome(models.TextChoices):
        REACHED = "reached", _("reached")
        NOT_REACHED = "not_reached", _("not reached")

    Purpose = RevisitPurpose
    Method = RevisitMethod

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="revisits",
    )
    purpose = models.CharField(
        _("purpose"), max_length=16, choices=RevisitPurpose.choices
    )
    method = models.CharField(
        _("method"),
        max_length=16,
        choices=RevisitMethod.choices,
        default=RevisitMethod.PHONE,
    )
    due_at = models.DateTimeField(_("due at"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="revisits",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, blank=True
    )
    satisfaction_score = models.PositiveSmallIntegerField(
        _("satisfaction score (1–5)"), null=True, blank=True
    )
    feedback = models.TextField(_("feedback"), blank=True)
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="revisits",
    )
    follow_up_complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("follow-up complaint"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    rule = models.ForeignKey(
        RevisitRule,
        verbose_name=_("rule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="revisits",
    )
    key = models.CharField(_("deduplication key"), max_length=200, unique=True)
    notes = models.TextField(_("notes"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Reminder bookkeeping for the sweeper: set in the transaction that raised the
    # notification, so a row is claimed for each reminder exactly once.
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    escalated_at = models.DateTimeField(
        _("overdue escalated at"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("revisit")
        verbose_name_plural = _("revisits")
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="revisit_status_due"),
            models.Index(
                fields=["assignee", "status", "due_at"], name="revisit_assignee"
            ),
            # The sweeper's two scans touch only rows still waiting for a reminder,
            # in the sweep's order (due_at, id: crm.services.reminders._claim).
            models.Index(
                fields=["due_at", "id"],
                condition=models.Q(status="planned", reminded_at__isnull=True),
                name="revisit_to_remind",
            ),
            models.Index(
                fields=["due_at", "id"],
                condition=models.Q(status="planned", escalated_at__isnull=True),
                name="revisit_to_escalate",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction_score__isnull=True)
                | models.Q(satisfaction_score__gte=1, satisfaction_score__lte=5),
                name="revisit_score_1_5",
            ),
        ]

    def __str__(self):
        # The customer's name when loaded (no query from a title), never an id;
        # the due day is the local one.
        customer = self._state.fields_cache.get("customer")
        due = (
            timezone.localtime(self.due_at).strftime("%Y-%m-%d") if self.due_at else ""
        )
        parts = [self.get_purpose_display(), customer.name if customer else "", due]
        return " · ".join(str(p) for p in parts if p)

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return self.status == self.Status.PLANNED and self.due_at < timezone.now()

    @property
    def on_time(self) -> bool:
        return (
            self.status == self.Status.DONE
            and self.done_at is not None
            and self.done_at <= self.due_at
        )
