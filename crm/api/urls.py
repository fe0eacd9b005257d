"""REST endpoints of crm under /api/v1/."""

urlpatterns: list = []
