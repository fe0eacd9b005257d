"""CAPA endpoints under /api/v1/capas/ (staff only; API keys: 403).

Staff list and read the CAPAs of their scope (``selectors.corrective_action_list``)
and move them with one POST per transition, each calling its service (which
checks the role, the scope and the status: 403, 409; a stale ``version`` 409).
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from complaints import selectors
from complaints.api import serializers as s
from complaints.models import Complaint, CorrectiveAction
from complaints.services.capa import capa_perform
from config.api.idempotency import idempotent
from config.api.permissions import ScopeOrModelPermission

VIEW = "complaints.view_correctiveaction"


def capas_for(request):
    """The CAPAs the caller may see, with what the serializer reads (two
    queries: the rows with their owner and verifier, the complaint references)."""
    return (
        selectors.corrective_action_list(user=request.user)
        .select_related("verified_by")
        .prefetch_related(
            Prefetch("complaints", queryset=Complaint.objects.only("pk", "reference"))
        )
    )


def _transition(name: str, summary: str, input_serializer):
    def endpoint(self, request, pk=None):
        capa = self.get_object()  # out of scope: 404, never a replay

        def run():
            data = input_serializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
            service_action = name
            if name == "verify":
                service_action = (
                    "verify_effective" if values["effective"] else "verify_ineffective"
                )
            capa_perform(
                actor=request.user,
                capa=capa,
                action=service_action,
                note=values.get("note", ""),
                version=values.get("version"),
            )
            return Response(
                s.CapaSerializer(self.get_object(), context={"request": request}).data
            )

        return idempotent(request, run)

    endpoint.__name__ = name
    endpoint.__doc__ = summary
    endpoint = action(detail=True, methods=["post"], url_path=name, url_name=name)(
        endpoint
    )
    return extend_schema(
        summary=summary,
        request=input_serializer,
        responses={200: s.CapaSerializer},
        tags=["CAPA"],
    )(endpoint)


@extend_schema_view(
    list=extend_schema(summary="List corrective actions (CAPA)", tags=["CAPA"]),
    retrieve=extend_schema(summary="Get a corrective action (CAPA)", tags=["CAPA"]),
)
class CapaViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Corrective and preventive actions of the caller's scope (staff only)."""

    serializer_class = s.CapaSerializer
    permission_classes = [ScopeOrModelPermission]
    queryset = CorrectiveAction.objects.none()  # the schema's model
    required_scopes: dict = {}  # no API-key scope: staff only
    required_perms = dict.fromkeys(
        ("list", "retrieve", "start", "complete", "verify", "cancel"), VIEW
    )

    def get_queryset(self):
        return capas_for(self.request)

    start = _transition(
        "start",
        "Start work on a CAPA (also reopens one verified not effective)",
        s.CapaStartSerializer,
    )
    complete = _transition(
        "complete", "Report a CAPA completed", s.CapaCompleteSerializer
    )
    verify = _transition(
        "verify", "Verify a CAPA's effectiveness", s.CapaVerifySerializer
    )
    cancel = _transition(
        "cancel",
        "Cancel a CAPA that is not needed (a supervisor or manager, with the reason)",
        s.CapaCancelSerializer,
    )
