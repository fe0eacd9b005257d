from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    """Partner organisations' API access: keys, idempotency records, webhooks."""

    name = "partners"
    verbose_name = _("Partner API")
