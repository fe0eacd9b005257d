"""REST endpoints of crm under /api/v1/."""

from rest_framework.routers import SimpleRouter

from crm.api.views import CustomerViewSet, RevisitViewSet

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("revisits", RevisitViewSet, basename="revisit")

urlpatterns = router.urls
