"""Read API of KPI results: ``GET /api/v1/kpi/results/`` (staff, scoped)."""

from rest_framework import mixins, viewsets

from kpi import selectors
from kpi.api.serializers import KpiResultSerializer
from kpi.filtersets import KpiResultFilterSet
from kpi.models import KpiResult


class KpiResultViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """KPI snapshot rows the caller may see: managers their department,
    supervisors their team, everyone else their own results."""

    serializer_class = KpiResultSerializer
    filterset_class = KpiResultFilterSet
    # Pagination: the API default (KefuCursorPagination, newest first).
    queryset = KpiResult.objects.none()  # the schema's model; see get_queryset

    def get_queryset(self):
        return selectors.result_list(user=self.request.user)
