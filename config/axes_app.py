"""django-axes under a translated name in the admin (登录锁定)."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class LoginLockoutConfig(AxesAppConfig):
    verbose_name = _("Login lockout")
