"""Service-order endpoints under /api/v1/service-orders/ and /api/v1/slots/.

Partners (API keys; the complaints scopes) create and read their own orders
and book visits; staff within their role scope. Another partner's reference is
a 404, never a 403. Every write calls one service of ``aftersales.services``.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from aftersales import selectors, services
from aftersales.api import serializers as s
from aftersales.api.filtersets import ServiceOrderFilterSet, SlotFilterSet
from aftersales.models import AppointmentSlot, ServiceOrder
from complaints.models import Complaint
from config.api.credentials import partner_of
from config.api.idempotency import idempotent
from config.api.pagination import KefuCursorPagination
from config.api.permissions import ScopeOrModelPermission
from config.api.scopes import Scope
from config.errors import InvalidInput
from crm.models import Customer
from crm.scoping import visible_to


class OldestFirst(KefuCursorPagination):
    ordering = "pk"  # a timeline reads oldest first; slots in creation order


def _invalid(field: str):
    return InvalidInput(
        _("Select a valid choice. That choice is not one of the available choices."),
        field=field,
        code="invalid_choice",
    )


@extend_schema_view(
    list=extend_schema(summary="List service orders", tags=["service orders"]),
    retrieve=extend_schema(summary="Get a service order", tags=["service orders"]),
)
class ServiceOrderViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """After-sales service orders: partners see their own, staff their scope."""

    lookup_field = "reference"
    serializer_class = s.ServiceOrderSerializer
    filterset_class = ServiceOrderFilterSet
    permission_classes = [ScopeOrModelPermission]
    queryset = ServiceOrder.objects.none()  # the schema's model; see get_queryset
    idempotent_create = True
    required_scopes = {
        "list": Scope.COMPLAINTS_READ,
        "retrieve": Scope.COMPLAINTS_READ,
        "events": Scope.COMPLAINTS_READ,
        "create": Scope.COMPLAINTS_WRITE,
        "book": Scope.COMPLAINTS_WRITE,
    }
    required_perms = {
        "list": "aftersales.view_serviceorder",
        "retrieve": "aftersales.view_serviceorder",
        "events": "aftersales.view_serviceorderevent",
        "create": "aftersales.add_serviceorder",
        "book": "aftersales.add_appointment",
    }

    def get_queryset(self):
        return selectors.service_order_list(user=self.request.user)

    @extend_schema(
        summary="Request a service order",
        tags=["service orders"],
        request=s.ServiceOrderCreateSerializer,
        responses={201: s.ServiceOrderSerializer},
    )
    def create(self, request):
        return idempotent(request, lambda: self._create(request))

    def _create(self, request):
        data = s.ServiceOrderCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        user = request.user
        customer = (
            visible_to(user, Customer.objects.all())
            .filter(code=values.pop("customer"))
            .first()
        )
        if customer is None:
            raise _invalid("customer")
        complaint = None
        if reference := values.pop("complaint", ""):
            complaint = (
                visible_to(user, Complaint.objects.all())
                .filter(reference=reference)
                .first()
            )
            if complaint is None:
                raise _invalid("complaint")
        partner = partner_of(request)
        if partner is not None and values.get("override_reason"):
            raise InvalidInput(
                _("Only a supervisor or manager may override the policy."),
                field="override_reason",
            )
        order = services.order_create(
            actor=None if partner is not None else user,
            partner=partner,
            customer=customer,
            complaint=complaint,
            **values,
        )
        order = self.get_queryset().get(pk=order.pk)
        return Response(
            s.ServiceOrderSerializer(order).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Book a visit in a free slot",
        tags=["service orders"],
        request=s.BookInputSerializer,
        responses={201: s.AppointmentSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def book(self, request, reference=None):
        # get_object first: another scope's reference is a 404, never a replay.
        order = self.get_object()
        return idempotent(request, lambda: self._book(request, order))

    def _book(self, request, order):
        data = s.BookInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slot = AppointmentSlot.objects.filter(pk=data.validated_data["slot"]).first()
        if slot is None:
            raise _invalid("slot")
        partner = partner_of(request)
        appointment = services.appointment_book(
            actor=None if partner is not None else request.user, order=order, slot=slot
        )
        appointment.slot.refresh_from_db()
        return Response(s.AppointmentSerializer(appointment).data, status=201)

    @extend_schema(
        summary="Timeline of a service order",
        tags=["service orders"],
        responses={200: s.ServiceOrderEventSerializer(many=True)},
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        serializer_class=s.ServiceOrderEventSerializer,
        filterset_class=None,
        pagination_class=OldestFirst,
    )
    def events(self, request, reference=None):
        order = self.get_object()
        events = selectors.order_timeline(
            order=order, customer_visible_only=partner_of(request) is not None
        )
        page = self.paginate_queryset(events)
        return self.get_paginated_response(
            s.ServiceOrderEventSerializer(page, many=True).data
        )


@extend_schema_view(
    list=extend_schema(summary="Free appointment slots", tags=["service orders"]),
)
class SlotViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Slots with room left from today on; filter by kind, area and date."""

    serializer_class = s.SlotSerializer
    filterset_class = SlotFilterSet
    permission_classes = [ScopeOrModelPermission]
    queryset = AppointmentSlot.objects.none()
    pagination_class = OldestFirst
    required_scopes = {"list": Scope.COMPLAINTS_READ}
    required_perms = {"list": "aftersales.view_appointmentslot"}

    def get_queryset(self):
        return services.free_slots()
