"""Customers and who they deal with: partner organisations, customers, their
external ids and contacts, and the history of interactions with them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.fields import DigestField, EncryptedTextField
from crm.models.staff import Department


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
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        blank=True,
        help_text=_("Language of the messages sent to the customer; empty: Chinese."),
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
            # Search by phone / e-mail (digests of any customer, in-house or a
            # partner's: the unique constraints above are partial). The name's
            # trigram index is PostgreSQL-only (migration 0011).
            models.Index(fields=["phone_digest"], name="customer_phone_lookup"),
            models.Index(fields=["email_digest"], name="customer_email_lookup"),
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
