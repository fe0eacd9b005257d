"""REST endpoints of aftersales under /api/v1/."""

from rest_framework.routers import SimpleRouter

from aftersales.api.views import ServiceOrderViewSet, SlotViewSet

router = SimpleRouter()
router.register("service-orders", ServiceOrderViewSet, basename="service-order")
router.register("slots", SlotViewSet, basename="slot")

urlpatterns = router.urls
