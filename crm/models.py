"""Staff, organisation and customer models.

The staff model is the project's custom user model (Django's advice: from the first
migration). Role membership is expressed by Django groups (see ``crm.roles``).
"""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.fields import DigestField, EncryptedTextField


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_departments",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Team(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="teams",
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervised_teams",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["code"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A staff member. Partners never log in as users; they use API keys."""

    employee_no = models.CharField(
        _("employee number"), max_length=20, unique=True, null=True, blank=True
    )
    name = models.CharField(_("full name"), max_length=100, blank=True)
    phone = models.CharField(_("work phone"), max_length=32, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    supervisor = models.ForeignKey(
        "self",
        verbose_name=_("reports to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
    )
    hired_on = models.DateField(_("hired on"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["employee_no", "username"]

    def __str__(self):
        return self.get_full_name() or self.username

    def get_full_name(self):
        return self.name or super().get_full_name()

    def get_short_name(self):
        return self.name or super().get_short_name()


class PartnerOrganisation(models.Model):
    """An outside organisation (e-commerce platform, courier partner, call centre)
    that reaches Kefu through the REST API with API keys."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ContactChannel(models.TextChoices):
    """Ways of reaching a customer (preferred channel, revisit method)."""

    PHONE = "phone", _("phone")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")
    ONLINE = "online", _("online chat")
    SOCIAL = "social", _("social media")
    VISIT = "visit", _("visit")
    LETTER = "letter", _("letter")


class Customer(models.Model):
    """A customer of the service organisation: a person or a company.

    ``phone``, ``email`` and ``address`` are encrypted at rest (the attributes are
    plaintext); ``phone_digest``/``email_digest`` are keyed digests of the
    normalised values, used for exact lookup and for uniqueness: one customer per
    phone number and per e-mail address *per owner* — in-house customers
    (``partner`` null) form one set, each partner's customers another, so that a
    partner never matches, sees or changes a customer it did not register (see
    docs/api.md, "Customers are private to their owner"). Write through
    ``crm.services``.
    """

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("individual")
        COMPANY = "company", _("company")

    class Tier(models.TextChoices):
        KEY = "key", _("key account")
        IMPORTANT = "important", _("important")
        REGULAR = "regular", _("regular")

    class Lifecycle(models.TextChoices):
        POTENTIAL = "potential", _("potential")
        NEW = "new", _("new")
        ACTIVE = "active", _("active")
        DORMANT = "dormant", _("dormant")
        CHURNED = "churned", _("churned")

    code = models.CharField(_("customer number"), max_length=20, unique=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=Kind.choices, default=Kind.INDIVIDUAL
    )
    name = models.CharField(_("name"), max_length=200)
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    phone_digest = DigestField(_("phone lookup digest"), source="phone", kind="phone")
    email = EncryptedTextField(_("e-mail"), blank=True, default="")
    email_digest = DigestField(_("e-mail lookup digest"), source="email", kind="email")
    address = EncryptedTextField(_("address"), blank=True, default="")
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    tier = models.CharField(
        _("tier"), max_length=16, choices=Tier.choices, default=Tier.REGULAR
    )
    lifecycle = models.CharField(
        _("lifecycle stage"),
        max_length=16,
        choices=Lifecycle.choices,
        default=Lifecycle.NEW,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_customers",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
    )
    # PROTECT: a partner's customers must not silently become in-house customers
    # (they would clash with in-house phone/e-mail uniqueness and change owner).
    partner = models.ForeignKey(
        PartnerOrganisation,
        verbose_name=_("source partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"),
        max_length=16,
        choices=ContactChannel.choices,
        blank=True,
    )
    consent_to_contact = models.BooleanField(
        _("consents to be contacted"), default=False
    )
    privacy_notice_version = models.CharField(
        _("privacy notice version"), max_length=32, blank=True
    )
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_anonymised = models.BooleanField(_("anonymised"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["code"]
        constraints = [
            # In-house customers: one per phone number and per e-mail address.
            models.UniqueConstraint(
                fields=["phone_digest"],
                condition=models.Q(phone_digest__isnull=False, partner__isnull=True),
                name="customer_unique_phone_inhouse",
            ),
            models.UniqueConstraint(
                fields=["email_digest"],
                condition=models.Q(email_digest__isnull=False, partner__isnull=True),
                name="customer_unique_email_inhouse",
            ),
            # A partner's customers: unique within that partner only.
            models.UniqueConstraint(
                fields=["partner", "phone_digest"],
                condition=models.Q(phone_digest__isnull=False, partner__isnull=False),
                name="customer_unique_phone_per_partner",
            ),
            models.UniqueConstraint(
                fields=["partner", "email_digest"],
                condition=models.Q(email_digest__isnull=False, partner__isnull=False),
                name="customer_unique_email_per_partner",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "tier"], name="customer_owner_tier"),
            models.Index(fields=["department", "tier"], name="customer_dept_tier"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def phone_masked(self) -> str:
        from crm.pii import mask_phone

        return mask_phone(self.phone)

    @property
    def email_masked(self) -> str:
        from crm.pii import mask_email

        return mask_email(self.email)


class CustomerExternalId(models.Model):
    """A partner's own id for a customer (a partner sending it twice gets one row).

    ``partner`` is null for ids from in-house systems (order system, call centre).
    """

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="external_ids",
    )
    partner = models.ForeignKey(
        PartnerOrganisation,
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="customer_ids",
    )
    external_id = models.CharField(_("external id"), max_length=100)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("external customer id")
        verbose_name_plural = _("external customer ids")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "external_id"],
                name="customer_extid_unique_per_partner",
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=models.Q(partner__isnull=True),
                name="customer_extid_unique_inhouse",
            ),
        ]

    def __str__(self):
        return self.external_id


class Contact(models.Model):
    """A person at a company customer (or a relative/agent of an individual)."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("position"), max_length=100, blank=True)
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    email = EncryptedTextField(_("e-mail"), blank=True, default="")
    is_primary = models.BooleanField(_("primary contact"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer", "-is_primary", "name"]

    def __str__(self):
        return self.name


class Notification(models.Model):
    """An in-portal notification to a staff member, and the outbox row of its e-mail.

    ``key`` is unique: whoever raises a notification names it (e.g.
    ``revisit:42:due_soon``), so raising it twice, from a re-run or a concurrent
    job, stores it once. E-mail delivery reads rows whose ``email_status`` is
    pending, leases them and marks them sent (see ``crm.notifications``).
    """

    class EmailStatus(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("not needed")
        FAILED = "failed", _("failed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    key = models.CharField(_("deduplication key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_status = models.CharField(
        _("e-mail status"),
        max_length=16,
        choices=EmailStatus.choices,
        default=EmailStatus.PENDING,
    )
    email_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)
    email_lease_until = models.DateTimeField(
        _("e-mail leased until"), null=True, blank=True
    )
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_read"),
            models.Index(
                fields=["email_status", "email_lease_until"], name="notif_email_due"
            ),
        ]

    def __str__(self):
        return self.title


class Interaction(models.Model):
    """One contact with a customer on any channel (the customer's history)."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("phone")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("e-mail")
        ONLINE = "online", _("online chat")
        SOCIAL = "social", _("social media")
        VISIT_IN = "visit_in", _("customer visit")
        VISIT_OUT = "visit_out", _("on-site visit")
        LETTER = "letter", _("letter")
        SURVEY = "survey", _("survey")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("inbound")
        OUTBOUND = "outbound", _("outbound")

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="interactions",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    direction = models.CharField(
        _("direction"),
        max_length=16,
        choices=Direction.choices,
        default=Direction.INBOUND,
    )
    occurred_at = models.DateTimeField(_("time"))
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
    )
    summary = models.TextField(_("summary"))
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
    )
    revisit = models.ForeignKey(
        "crm.Revisit",
        verbose_name=_("revisit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(
                fields=["customer", "-occurred_at"], name="interaction_cust_time"
            ),
            models.Index(
                fields=["staff", "-occurred_at"], name="interaction_staff_time"
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d %H:%M}"


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
            # The sweeper's two scans touch only rows still waiting for a reminder.
            models.Index(
                fields=["due_at"],
                condition=models.Q(status="planned", reminded_at__isnull=True),
                name="revisit_to_remind",
            ),
            models.Index(
                fields=["due_at"],
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
        return f"{self.get_purpose_display()} · {self.customer_id} · {self.due_at:%Y-%m-%d}"

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


class PrivacyRequest(models.Model):
    """A customer's request under PIPL: export, correct or erase their data.

    Executed by ``crm.services.privacy``; the row records who asked, who recorded
    it, who executed it and when. It keeps no personal data itself: corrections
    are applied and then reduced to the names of the fields changed.
    """

    class Kind(models.TextChoices):
        EXPORT = "export", _("export personal data")
        CORRECT = "correct", _("correct personal data")
        ERASE = "erase", _("erase personal data")

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        DONE = "done", _("done")
        REJECTED = "rejected", _("rejected")

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="privacy_requests",
    )
    kind = models.CharField(_("request"), max_length=16, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    requested_by = models.CharField(
        _("requested by"),
        max_length=200,
        help_text=_("The customer or their representative, as identified."),
    )
    requested_at = models.DateTimeField(_("requested at"))
    corrections = models.JSONField(_("corrections"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("executed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("privacy request")
        verbose_name_plural = _("privacy requests")
        ordering = ["-requested_at"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.customer_id}"


class PersonalDataAccess(models.Model):
    """Who viewed, listed, exported, corrected, erased or searched for customers'
    personal data (a search by phone or e-mail reads it too).

    A row is about one ``customer``, or — for a bulk read such as an API list page
    with unmasked identifiers — about ``record_count`` customers at once (no
    single customer). ``department`` is whose data it was (the customer's; for a
    bulk read the reader's): managers see the rows of their department.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("viewed")
        LIST = "list", _("listed")
        EXPORT = "export", _("exported")
        CORRECT = "correct", _("corrected")
        ERASE = "erase", _("erased")
        SEARCH = "search", _("found by phone or e-mail")

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="personal_data_accesses",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    record_count = models.PositiveIntegerField(_("records"), default=1)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    at = models.DateTimeField(_("time"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["customer", "-at"], name="pda_customer_at")]

    def __str__(self):
        subject = self.customer_id or f"×{self.record_count}"
        return f"{self.get_action_display()} · {subject}"
