"""REST endpoints of complaints under /api/v1/."""

urlpatterns: list = []
