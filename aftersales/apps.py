from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    """After-sales service orders (returns, exchanges, repairs, installation,
    maintenance visits), return policies, technicians and appointments."""

    name = "aftersales"
    verbose_name = _("After-sales")

    def ready(self):
        from aftersales import complaint_followups
        from aftersales.scopes import register
        from complaints.services import followups

        register()
        # A complaint resolved with a refund / replacement / repair opens the
        # matching service order in the complaint's transaction (complaints
        # does not import aftersales, which sits above it).
        followups.register(
            followups.Moment.RESOLVED, complaint_followups.complaint_resolved
        )
