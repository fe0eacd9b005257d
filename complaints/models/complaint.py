"""The complaint record and what staff add to it: customer-facing replies,
internal notes and attachments.

State changes go through ``complaints.services`` only (house style rule 1); the
models hold data and constraints, no business logic.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce, Least
from django.utils.translation import gettext_lazy as _

from complaints.models.sla import SlaPolicy
from complaints.models.taxonomy import Category, Channel, Severity

# The SLA clocks of a complaint: (due time, the time it was met) field pairs.
SLA_CLOCK_FIELDS = (
    ("first_response_due_at", "first_response_at"),
    ("analysis_due_at", "analyzed_at"),
    ("reply_due_at", "replied_at"),
    ("resolution_due_at", "resolved_at"),
    ("confirmation_due_at", "confirmed_at"),
)
# What ``next_due_at`` holds when no clock runs: a far date, so that those
# complaints sort last on every database (SQLite's MIN() of a NULL is NULL).
NEVER_DUE = datetime(9999, 12, 31, tzinfo=UTC)


def next_due_expression():
    """The next due time of the complaint's running clocks, in SQL: LEAST over
    the unmet due times, each NULL turned into NEVER_DUE."""
    return Least(
        *(
            Coalesce(
                models.Case(models.When(**{f"{met}__isnull": True}, then=due)),
                models.Value(NEVER_DUE),
            )
            for due, met in SLA_CLOCK_FIELDS
        )
    )


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
        REPAIR = "repair", _("repair")
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
    root_cause = models.TextField(
        _("root cause"),
        blank=True,
        help_text=_(
            "Required to close a service-quality or process complaint attributed "
            "to a staff error or the process (改进)."
        ),
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
    # The SLA state, denormalised from the complaint's SLA targets for the list
    # filter and colours (a semi-join over millions of targets is too slow).
    # Written only by complaints.services.sla.sla_state_sync, in the transaction
    # that changes a target; equal to sla_state_truth() (tested).
    sla_breached = models.BooleanField(_("SLA breached"), default=False)
    sla_warned = models.BooleanField(_("SLA warned"), default=False)
    sla_paused = models.BooleanField(_("SLA paused"), default=False)
    # The work list's order (the next due first), computed by the database from
    # the due and met fields above on every write — services, bulk updates and
    # COPY alike — so that an index can serve the order (complaint_due_work).
    # A saved instance keeps the value it was loaded with: re-read the row.
    next_due_at = models.GeneratedField(
        verbose_name=_("next due"),
        expression=next_due_expression(),
        output_field=models.DateTimeField(),
        db_persist=True,
    )

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
            # The work list every role starts from (open: not closed or
            # rejected; not archived) — a few percent of the table. Its other
            # columns are those of every role's scope (crm.scoping) and of the
            # "SLA breached" filter: a list's count reads this index alone (an
            # index-only scan where the visibility map is current), never the
            # pages of every open complaint.
            models.Index(
                fields=[
                    "received_at",
                    "department",
                    "team",
                    "assignee",
                    "created_by",
                    "customer",
                    "sla_breached",
                ],
                name="complaint_open_work",
                condition=models.Q(is_archived=False)
                & ~models.Q(status__in=["closed", "rejected"]),
            ),
            # Each role's default work list (not archived; scoped by department,
            # team or assignee; by status; newest first): crm.scoping's clauses
            # meet one of these in a BitmapOr, never a scan of the table.
            models.Index(
                fields=["department", "status", "received_at"],
                name="complaint_dept_work",
                condition=models.Q(is_archived=False),
            ),
            models.Index(
                fields=["team", "status", "received_at"],
                name="complaint_team_work",
                condition=models.Q(is_archived=False),
            ),
            models.Index(
                fields=["assignee", "status", "received_at"],
                name="complaint_assignee_work",
                condition=models.Q(is_archived=False),
            ),
            # The work list of every role, the next due first: an index walk in
            # that order stops at the page's last row instead of sorting every
            # open complaint in scope (crm.scoping's clause filters the walk).
            models.Index(
                "next_due_at",
                models.F("received_at").desc(),
                models.F("id").desc(),
                name="complaint_due_work",
                condition=models.Q(is_archived=False)
                & ~models.Q(status__in=["closed", "rejected"]),
            ),
            # KPI: the complaints whose first response is still to come (the
            # received complaints' rollup reads the hours before the oldest of
            # those still due: kpi.services.rollups).
            models.Index(
                fields=["first_response_due_at"],
                name="complaint_unresponded",
                condition=models.Q(first_response_at__isnull=True),
            ),
            # The "SLA breached: yes" filter: a small slice of the table.
            models.Index(
                fields=["received_at"],
                name="complaint_sla_breached",
                condition=models.Q(sla_breached=True),
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.subject}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("admin:complaints_complaint_change", args=[self.pk])

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # (assignee, status) as loaded: complaints.services.load moves the
        # agent's open count when a save changes them.
        instance._load_key = (
            instance.__dict__.get("assignee_id"),
            instance.__dict__.get("status"),
        )
        return instance


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


class AgentLoad(models.Model):
    """How many open complaints (``complaints.services.common.OPEN_STATUSES``)
    each staff member is assigned: kept by ``complaints.services.load`` in the
    transaction that assigns, closes, resolves or reopens, so intake picks the
    least-loaded agent without counting the complaints table."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    open_count = models.IntegerField(_("open complaints"), default=0)

    class Meta:
        verbose_name = _("agent load")
        verbose_name_plural = _("agent loads")

    def __str__(self):
        return f"{self.user_id}: {self.open_count}"
