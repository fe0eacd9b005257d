"""Complaint endpoints under /api/v1/complaints/ (DESIGN §4).

Partners (API keys) create and read their own complaints, read the
customer-visible timeline and post feedback; staff do the same within their role
scope and move complaints through the lifecycle with the transition actions,
each calling one service. Another partner's reference is a 404, never a 403.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from complaints import selectors, services
from complaints.actions import ACTIONS, ComplaintAction
from complaints.api import serializers as s
from complaints.api.filtersets import ComplaintFilterSet
from complaints.models import Complaint
from config.api.credentials import partner_of
from config.api.idempotency import idempotent
from config.api.pagination import KefuCursorPagination
from config.api.permissions import ScopeOrModelPermission
from config.api.renderers import PlainJSONRenderer
from config.api.scopes import Scope

CHANGE = "complaints.change_complaint"


def complaints_for(request):
    """Complaints the caller may see, with what the serializer reads (one query)."""
    # An API-key principal is scoped to its partner by the same selector.
    return selectors.complaint_list_for_api(user=request.user)


def complaint_rows_for(request):
    """The visible complaints as flat rows for the list (one query, no model
    instances: building them would cost more than the query itself)."""
    return selectors.complaint_rows_for_api(user=request.user, fields=s.ROW_KEYS)


class EventPagination(KefuCursorPagination):
    ordering = "pk"  # a timeline reads oldest first


def action_endpoint(spec: ComplaintAction):
    """The POST endpoint of one registry action: its input, its service, the
    complaint as the answer. Staff only (no API-key scope names it)."""

    def endpoint(self, request, reference=None):
        # get_object first: another scope's reference is a 404, never a replay.
        complaint = self.get_object()

        def run():
            data = spec.api_input(data=request.data)
            data.is_valid(raise_exception=True)
            kwargs = spec.kwargs_from_api(data.validated_data)
            spec.service(actor=request.user, complaint=complaint, **kwargs)
            return Response(
                s.ComplaintSerializer(self.get_object()).data, status=spec.api_status
            )

        # A retried POST with the same Idempotency-Key replays the first answer.
        return idempotent(request, run)

    endpoint.__name__ = spec.api_name
    endpoint.__doc__ = spec.summary
    endpoint = action(
        detail=True,
        methods=["post"],
        url_path=spec.path,
        url_name=spec.path,
        filterset_class=None,
    )(endpoint)
    # After @action, which would replace the schema this attaches.
    return extend_schema(
        summary=spec.summary,
        request=spec.api_input,
        responses={spec.api_status: s.ComplaintSerializer},
        tags=["complaint transitions"],
    )(endpoint)


@extend_schema_view(
    list=extend_schema(summary="List complaints", tags=["complaints"]),
    retrieve=extend_schema(summary="Get a complaint", tags=["complaints"]),
)
class ComplaintViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Complaints: partners see their own, staff their role's scope."""

    lookup_field = "reference"
    serializer_class = s.ComplaintSerializer
    filterset_class = ComplaintFilterSet
    permission_classes = [ScopeOrModelPermission]
    queryset = Complaint.objects.none()  # the schema's model; see get_queryset
    idempotent_create = True
    required_scopes = {
        "list": Scope.COMPLAINTS_READ,
        "retrieve": Scope.COMPLAINTS_READ,
        "events": Scope.COMPLAINTS_READ,
        "create": Scope.COMPLAINTS_WRITE,
        "feedback": Scope.FEEDBACK_WRITE,
    }
    required_perms = {
        "list": "complaints.view_complaint",
        "retrieve": "complaints.view_complaint",
        "events": "complaints.view_complaintevent",
        "create": "complaints.add_complaint",
        "feedback": "complaints.add_satisfactionsurvey",
        **{spec.api_name: spec.permission for spec in ACTIONS.values()},
    }

    def get_queryset(self):
        return complaints_for(self.request)

    def get_renderers(self):
        renderers = super().get_renderers()
        if self.action == "list":
            # The list's body holds no float: orjson writes it byte for byte
            # as DRF's JSONRenderer would, in a fifth of the time.
            renderers = [
                PlainJSONRenderer() if type(r) is JSONRenderer else r for r in renderers
            ]
        return renderers

    def list(self, request):
        rows = self.filter_queryset(complaint_rows_for(request))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.complaints_json(page))

    @extend_schema(
        summary="Submit a complaint",
        tags=["complaints"],
        request=s.ComplaintCreateSerializer,
        responses={201: s.ComplaintSerializer},
    )
    def create(self, request):
        return idempotent(request, lambda: self._create(request))

    def _create(self, request):
        data = s.ComplaintCreateSerializer(
            data=request.data, context={"request": request}
        )
        data.is_valid(raise_exception=True)
        partner = partner_of(request)
        complaint = services.complaint_submit(
            actor=None if partner is not None else request.user,
            partner=partner,
            **data.validated_data,
        )
        complaint = self.get_queryset().get(pk=complaint.pk)
        return Response(
            s.ComplaintSerializer(complaint).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Customer-visible timeline of a complaint",
        tags=["complaints"],
        responses={200: s.ComplaintEventSerializer(many=True)},
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        serializer_class=s.ComplaintEventSerializer,
        pagination_class=EventPagination,
        filterset_class=None,
    )
    def events(self, request, reference=None):
        complaint = self.get_object()
        events = selectors.complaint_timeline(
            user=request.user,
            complaint=complaint,
            customer_visible_only=partner_of(request) is not None,
        )
        page = self.paginate_queryset(events)
        return self.get_paginated_response(
            s.ComplaintEventSerializer(page, many=True).data
        )

    @extend_schema(
        summary="Post the customer's satisfaction feedback",
        tags=["complaints"],
        request=s.FeedbackInputSerializer,
        responses={201: s.FeedbackSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def feedback(self, request, reference=None):
        # get_object first: another partner's reference is a 404, never a replay.
        complaint = self.get_object()
        return idempotent(request, lambda: self._feedback(request, complaint))

    def _feedback(self, request, complaint):
        data = s.FeedbackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        partner = partner_of(request)
        survey = services.survey_record_answer(
            actor=None if partner is not None else request.user,
            complaint=complaint,
            csat=data.validated_data["csat"],
            nps=data.validated_data.get("nps"),
            comment=data.validated_data.get("comment", ""),
        )
        return Response(s.FeedbackSerializer(survey).data, status=201)

    # The staff actions of complaints.actions, one POST endpoint each
    # (tests/complaints/test_actions.py checks that none is missing).
    assign = action_endpoint(ACTIONS["assign"])
    start_analysis = action_endpoint(ACTIONS["start_analysis"])
    analysis = action_endpoint(ACTIONS["record_analysis"])
    start_handling = action_endpoint(ACTIONS["start_handling"])
    reply = action_endpoint(ACTIONS["reply"])
    note = action_endpoint(ACTIONS["note"])
    hold = action_endpoint(ACTIONS["hold"])
    resume = action_endpoint(ACTIONS["resume"])
    resolve = action_endpoint(ACTIONS["resolve"])
    confirm = action_endpoint(ACTIONS["confirm"])
    close = action_endpoint(ACTIONS["close"])
    reopen = action_endpoint(ACTIONS["reopen"])
    reject = action_endpoint(ACTIONS["reject"])
    escalate = action_endpoint(ACTIONS["escalate"])
    severity = action_endpoint(ACTIONS["change_severity"])
    override_due = action_endpoint(ACTIONS["override_due"])
    attach = action_endpoint(ACTIONS["attach"])
