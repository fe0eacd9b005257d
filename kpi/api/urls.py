"""REST endpoints of kpi under /api/v1/."""

from rest_framework.routers import SimpleRouter

from kpi.api.views import KpiResultViewSet

router = SimpleRouter()
router.register("kpi/results", KpiResultViewSet, basename="kpi-result")

urlpatterns = router.urls
