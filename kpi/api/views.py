"""Read API of KPI results: ``GET /api/v1/kpi/results/`` (staff, scoped)."""

from rest_framework import mixins, viewsets

from crm import scoping
from kpi.api.serializers import KpiResultSerializer
from kpi.filtersets import KpiResultFilterSet
from kpi.models import KpiResult
from partners.api.pagination import KefuCursorPagination


class ResultCursorPagination(KefuCursorPagination):
    ordering = ("-id",)
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class KpiResultViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """KPI snapshot rows the caller may see: managers their department,
    supervisors their team, everyone else their own results."""

    serializer_class = KpiResultSerializer
    filterset_class = KpiResultFilterSet
    pagination_class = ResultCursorPagination
    queryset = KpiResult.objects.select_related("period", "indicator")

    def get_queryset(self):
        return scoping.visible_to(self.request.user, super().get_queryset())
