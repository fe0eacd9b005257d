"""REST endpoints of training under /api/v1/."""

urlpatterns: list = []
