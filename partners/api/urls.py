"""REST endpoints of partners under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from partners.api.views import (
    ApiKeyInfoView,
    PartnerEventListView,
    WebhookEndpointViewSet,
)

router = SimpleRouter()
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")

urlpatterns = [
    path("key/", ApiKeyInfoView.as_view(), name="api-key-info"),
    path("events/", PartnerEventListView.as_view(), name="partner-event-list"),
    *router.urls,
]
