"""REST endpoints of complaints under /api/v1/."""

from rest_framework.routers import SimpleRouter

from complaints.api.views import ComplaintViewSet

router = SimpleRouter()
router.register("complaints", ComplaintViewSet, basename="complaint")

urlpatterns = router.urls
