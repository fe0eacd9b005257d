"""REST endpoints of kpi under /api/v1/."""

urlpatterns: list = []
