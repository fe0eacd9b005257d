"""Read API of KPI results: ``GET /api/v1/kpi/results/`` (staff, scoped)."""

from rest_framework import mixins, viewsets

from crm import scoping
from kpi.api.serializers import KpiResultSerializer
from kpi.filtersets import KpiResultFilterSet
from kpi.models import KpiResult


class KpiResultViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """KPI snapshot rows the caller may see: managers their department,
    supervisors their team, everyone else their own results."""

    serializer_class = KpiResultSerializer
    filterset_class = KpiResultFilterSet
    # Pagination: the API default (KefuCursorPagination, newest first).
    queryset = KpiResult.objects.select_related("period", "indicator")

    def get_queryset(self):
        return scoping.visible_to(self.request.user, super().get_queryset())
