from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Customers and staff")

    def ready(self):
        from crm.roles import sync_role_groups_after_migrate

        # Roles are created by a data migration; models that later migrations add
        # get their permissions granted here, once Django has created them.
        post_migrate.connect(
            sync_role_groups_after_migrate, dispatch_uid="kefu-sync-role-groups"
        )
