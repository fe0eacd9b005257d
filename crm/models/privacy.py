"""Personal data under PIPL: customers' requests and the access log."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.models.customers import Customer
from crm.models.staff import Department


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
