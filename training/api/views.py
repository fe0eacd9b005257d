"""``GET /api/v1/training/records/``: staff training records, scoped per role.

Agents (and every other staff role) see their own record, supervisors their
team's, managers their department's, trainers and admins everyone's.
Authentication classes stay the project default (session, token; the partners
app adds API keys).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets

from crm import scoping
from crm.models import User
from crm.roles import STAFF_ROLES
from training import selectors
from training.api.filtersets import TrainingRecordFilterSet
from training.api.pagination import RecordCursorPagination
from training.api.serializers import TrainingRecordSerializer


class HasStaffRole(permissions.BasePermission):
    """A staff login with one of the service standard's roles (or a superuser),
    or a partner API key.

    DESIGN §4 lists this read "for staff and scoped partners": a partner is let
    in and ``crm.scoping`` gives it no rows (training records are staff data and
    belong to no partner), so it gets an empty list, as on the KPI results.
    """

    message = _("This endpoint is for staff only.")

    def has_permission(self, request, view):
        user = request.user
        if not isinstance(user, User):
            return getattr(user, "partner", None) is not None
        if not user.is_active:
            return False
        return user.is_superuser or scoping.has_role(user, *STAFF_ROLES)


MIN_YEAR, MAX_YEAR = 2000, 2100


class TrainingRecordViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = TrainingRecordSerializer
    permission_classes = [permissions.IsAuthenticated, HasStaffRole]
    filterset_class = TrainingRecordFilterSet
    pagination_class = RecordCursorPagination

    def get_year(self) -> int:
        if not hasattr(self, "_year"):
            raw = self.request.query_params.get("year")
            if raw in (None, ""):
                self._year = selectors.current_year()
            else:
                try:
                    year = int(raw)
                except ValueError:
                    year = 0
                if not MIN_YEAR <= year <= MAX_YEAR:
                    raise serializers.ValidationError(
                        {"year": [_("Enter a year between 2000 and 2100.")]}
                    )
                self._year = year
        return self._year

    def get_queryset(self):
        return selectors.training_record_list(
            user=self.request.user, year=self.get_year(), details=True
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "year": self.get_year()}

    @extend_schema(summary="Staff training records (hours vs requirement, etc.)")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
