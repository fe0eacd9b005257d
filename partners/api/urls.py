"""REST endpoints of partners under /api/v1/."""

urlpatterns: list = []
