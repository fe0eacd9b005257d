"""The scopes of partner API keys: what each endpoint asks of a key.

Endpoints of every app name the scope an action needs (``required_scopes``,
checked by ``config.api.permissions.ScopeOrModelPermission``); partners grants
them to keys. The codes are part of the API contract (DESIGN §4).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    """What an API key may do. Codes are part of the API contract."""

    COMPLAINTS_READ = "complaints:read", _("read complaints")
    COMPLAINTS_WRITE = "complaints:write", _("create complaints")
    CUSTOMERS_READ = "customers:read", _("read customers")
    CUSTOMERS_WRITE = "customers:write", _("create customers")
    FEEDBACK_WRITE = "feedback:write", _("post satisfaction feedback")
    WEBHOOKS_MANAGE = "webhooks:manage", _("manage webhooks")
