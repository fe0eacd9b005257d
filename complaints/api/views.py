"""Complaint endpoints under /api/v1/complaints/ (DESIGN §4).

Partners (API keys) create and read their own complaints, read the
customer-visible timeline and post feedback; staff do the same within their role
scope and move complaints through the lifecycle with the transition actions,
each calling one service. Another partner's reference is a 404, never a 403.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from complaints import selectors, services
from complaints.api import serializers as s
from complaints.api.filtersets import ComplaintFilterSet
from complaints.models import Complaint
from config.errors import DomainError, InvalidInput
from crm.models import Team, User
from crm.services import customer_upsert
from partners.api.authentication import partner_of
from partners.api.idempotency import idempotent
from partners.api.pagination import KefuCursorPagination
from partners.api.permissions import ScopeOrModelPermission
from partners.models import Scope

CHANGE = "complaints.change_complaint"


def complaints_for(request):
    """Complaints the caller may see, with what the serializer reads (one query)."""
    # An API-key principal is scoped to its partner by the same selector.
    return selectors.complaint_list_for_api(user=request.user)


def complaint_rows_for(request):
    """The visible complaints as flat rows for the list (one query, no model
    instances: building them would cost more than the query itself)."""
    return complaints_for(request).values(*s.ROW_KEYS)


class EventPagination(KefuCursorPagination):
    ordering = "pk"  # a timeline reads oldest first


def _transition(service, input_serializer, doc: str, *, map_input=None):
    """Build a staff-only POST action that calls ``service`` on the complaint."""

    @extend_schema(
        summary=doc,
        request=input_serializer,
        responses={200: s.ComplaintSerializer},
        tags=["complaint transitions"],
    )
    def handler(self, request, reference=None):
        complaint = self.get_object()

        def run():
            data = input_serializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = dict(data.validated_data)
            if map_input is not None:
                values = map_input(values)
            service(actor=request.user, complaint=complaint, **values)
            return Response(s.ComplaintSerializer(self.get_object()).data)

        # A retried POST with the same Idempotency-Key replays the first answer.
        return idempotent(request, run)

    handler.__doc__ = doc
    return handler


def _assign_input(values):
    if "assignee" in values:
        user = User.objects.filter(username=values["assignee"], is_active=True).first()
        if user is None:
            raise InvalidInput(_("Unknown staff member."), field="assignee")
        values["assignee"] = user
    if "team" in values:
        team = Team.objects.filter(code=values["team"]).first()
        if team is None:
            raise InvalidInput(_("Unknown team."), field="team")
        values["team"] = team
    return values


TRANSITIONS = {
    # action url_path: (service, input serializer, summary, input mapper)
    "assign": (
        services.complaint_assign,
        s.AssignInputSerializer,
        "Assign to a staff member and/or team",
        _assign_input,
    ),
    "start-analysis": (
        services.complaint_start_analysis,
        s.NoteInputSerializer,
        "received/reopened → analyzing",
        None,
    ),
    "analysis": (
        services.complaint_record_analysis,
        s.AnalysisInputSerializer,
        "Record the initial analysis",
        None,
    ),
    "start-handling": (
        services.complaint_start_handling,
        s.NoteInputSerializer,
        "analyzing/replied/reopened → handling",
        None,
    ),
    "reply": (
        services.complaint_reply,
        s.ReplyInputSerializer,
        "Reply to the customer (handling → replied)",
        None,
    ),
    "hold": (
        services.complaint_hold,
        s.ReasonInputSerializer,
        "Put on hold (SLA clocks pause)",
        None,
    ),
    "resume": (
        services.complaint_resume,
        s.NoteInputSerializer,
        "Resume from hold",
        None,
    ),
    "resolve": (
        services.complaint_resolve,
        s.ResolveInputSerializer,
        "replied → resolved",
        None,
    ),
    "confirm": (
        services.complaint_confirm,
        s.NoteInputSerializer,
        "The customer confirmed the resolution",
        None,
    ),
    "close": (
        services.complaint_close,
        s.NoteInputSerializer,
        "resolved → closed",
        None,
    ),
    "reopen": (
        services.complaint_reopen,
        s.ReasonInputSerializer,
        "resolved/closed → reopened",
        None,
    ),
    "reject": (
        services.complaint_reject,
        s.ReasonInputSerializer,
        "received/analyzing → rejected",
        None,
    ),
    "escalate": (
        services.complaint_escalate,
        s.ReasonInputSerializer,
        "Escalate to the supervisor or manager",
        None,
    ),
    "severity": (
        services.complaint_change_severity,
        s.SeverityInputSerializer,
        "Change the severity (SLA due times are recomputed)",
        None,
    ),
}


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
        **{name.replace("-", "_"): CHANGE for name in TRANSITIONS},
        "note": "complaints.add_complaintnote",
    }

    def get_queryset(self):
        return complaints_for(self.request)

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
        values = dict(data.validated_data)
        partner = partner_of(request)
        actor = None if partner is not None else request.user
        with transaction.atomic():
            try:
                # A partner's complaint only ever finds the partner's own
                # customers (else a new one of its own); staff attach it to the
                # in-house record even outside their scope, without changing it.
                customer, _created = customer_upsert(
                    actor=actor,
                    partner=partner,
                    attach_outside_scope=True,
                    **values.pop("customer"),
                )
            except DomainError as exc:
                # The customer's fields are nested under "customer" in the body.
                if exc.field:
                    exc.field = f"customer.{exc.field}"
                raise
            complaint = services.complaint_receive(
                actor=actor,
                customer=customer,
                source_partner=partner,
                # Found by the caller's identifiers, not chosen by id.
                attach_outside_scope=True,
                **{k: v for k, v in values.items() if v not in (None, "")},
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

    @extend_schema(
        summary="Add an internal note (staff)",
        tags=["complaint transitions"],
        request=s.NoteBodyInputSerializer,
        responses={201: s.ComplaintSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def note(self, request, reference=None):
        complaint = self.get_object()
        data = s.NoteBodyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.complaint_add_note(
            actor=request.user, complaint=complaint, **data.validated_data
        )
        return Response(s.ComplaintSerializer(self.get_object()).data, status=201)


for _path, (_service, _input, _doc, _mapper) in TRANSITIONS.items():
    _name = _path.replace("-", "_")
    _handler = _transition(_service, _input, _doc, map_input=_mapper)
    _handler.__name__ = _name
    setattr(
        ComplaintViewSet,
        _name,
        action(
            detail=True,
            methods=["post"],
            url_path=_path,
            url_name=_path,
            filterset_class=None,
        )(_handler),
    )
