"""REST endpoints of partners under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from partners.api.views import ApiKeyInfoView, WebhookEndpointViewSet

router = SimpleRouter()
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")

urlpatterns = [
    path("key/", ApiKeyInfoView.as_view(), name="api-key-info"),
    *router.urls,
]
