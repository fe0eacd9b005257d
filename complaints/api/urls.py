"""REST endpoints of complaints under /api/v1/."""

from rest_framework.routers import SimpleRouter

from complaints.api.capa_views import CapaViewSet
from complaints.api.views import ComplaintViewSet

router = SimpleRouter()
router.register("complaints", ComplaintViewSet, basename="complaint")
router.register("capas", CapaViewSet, basename="capa")

urlpatterns = router.urls
