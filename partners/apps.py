from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    """Partner organisations' API access: keys, idempotency records, webhooks."""

    name = "partners"
    verbose_name = _("Partner API")

    def ready(self):
        from complaints.services import followups
        from crm.scoping import ScopePaths, register_scopes
        from partners import followups as webhooks

        # Webhook outbox rows follow complaints (complaints does not import partners).
        followups.register(followups.Moment.CREATED, webhooks.complaint_created)
        followups.register(
            followups.Moment.STATUS_CHANGED, webhooks.complaint_status_changed
        )
        followups.register(followups.Moment.REPLIED, webhooks.complaint_replied)
        followups.register(followups.Moment.RESOLVED, webhooks.complaint_resolved)

        # ... and service orders (aftersales does not import partners either).
        from aftersales import hooks

        hooks.register(hooks.Moment.CREATED, webhooks.service_order_created)
        hooks.register(
            hooks.Moment.STATUS_CHANGED, webhooks.service_order_status_changed
        )
        hooks.register(hooks.Moment.BOOKED, webhooks.appointment_booked)

        # The OpenAPI extension of the Api-Key scheme registers on import.
        from partners.api import authentication  # noqa: F401

        register_scopes(
            {
                "partners.ApiKey": ScopePaths(partner="partner"),
                "partners.WebhookEndpoint": ScopePaths(partner="partner"),
                "partners.WebhookDelivery": ScopePaths(partner="endpoint__partner"),
                "partners.WebhookAttempt": ScopePaths(
                    partner="delivery__endpoint__partner"
                ),
                "partners.IdempotencyRecord": ScopePaths(partner="partner"),
                "partners.PartnerEvent": ScopePaths(partner="partner"),
            }
        )
