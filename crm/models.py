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
    normalised values, used for exact lookup and for uniqueness (one customer per
    phone number and per e-mail address). Write through ``crm.services``.
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
    partner = models.ForeignKey(
        PartnerOrganisation,
        verbose_name=_("source partner"),
        on_delete=models.SET_NULL,
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
            models.UniqueConstraint(
                fields=["phone_digest"],
                condition=models.Q(phone_digest__isnull=False),
                name="customer_unique_phone",
            ),
            models.UniqueConstraint(
                fields=["email_digest"],
                condition=models.Q(email_digest__isnull=False),
                name="customer_unique_email",
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
