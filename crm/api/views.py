"""Customer and revisit endpoints under /api/v1/ (DESIGN §4)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from config.api.credentials import partner_of
from config.api.idempotency import idempotent
from config.api.permissions import ScopeOrModelPermission
from config.api.scopes import Scope
from crm import selectors
from crm.api.filtersets import CustomerFilterSet, RevisitFilterSet
from crm.api.serializers import (
    CustomerInputSerializer,
    CustomerSerializer,
    RevisitSerializer,
)
from crm.models import Customer, PersonalDataAccess, Revisit
from crm.selectors import sees_personal_data
from crm.services import (
    customer_upsert,
    personal_data_access_log,
    personal_data_bulk_access_log,
)


@extend_schema_view(
    list=extend_schema(summary="List customers"),
    retrieve=extend_schema(summary="Get a customer"),
)
@extend_schema(tags=["customers"])
class CustomerViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Customers: a partner's own, or those of a staff member's scope."""

    lookup_field = "code"
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    permission_classes = [ScopeOrModelPermission]
    queryset = Customer.objects.none()  # the schema's model; see get_queryset
    idempotent_create = True
    required_scopes = {
        "list": Scope.CUSTOMERS_READ,
        "retrieve": Scope.CUSTOMERS_READ,
        "create": Scope.CUSTOMERS_WRITE,
    }
    required_perms = {
        "list": "crm.view_customer",
        "retrieve": "crm.view_customer",
        "create": "crm.add_customer",
    }

    def get_queryset(self):
        return selectors.customer_list_for_api(
            user=self.request.user, partner=partner_of(self.request)
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "partner": partner_of(self.request)}

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = self.get_serializer(page, many=True).data
        if partner_of(request) is None and sees_personal_data(request.user):
            # A page of unmasked customers is one logged bulk read (PIPL).
            personal_data_bulk_access_log(
                actor=request.user,
                action=PersonalDataAccess.Action.LIST,
                record_count=len(page),
                note="api",
            )
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        customer = self.get_object()
        if partner_of(request) is None and sees_personal_data(request.user):
            # Each staff view of an unmasked customer is logged (PIPL).
            personal_data_access_log(
                actor=request.user,
                customer=customer,
                action=PersonalDataAccess.Action.VIEW,
                note="api",
            )
        return Response(self.get_serializer(customer).data)

    @extend_schema(
        summary="Find or create a customer",
        request=CustomerInputSerializer,
        responses={
            201: CustomerSerializer,
            200: CustomerSerializer,
        },
        description="Deduplicated among the caller's own customers by its external "
        "id, then phone, then e-mail: 201 when created, 200 with the existing "
        "customer otherwise. A partner never matches a customer registered in-house "
        "or by another partner: it gets a new customer of its own (201).",
    )
    def create(self, request):
        return idempotent(request, lambda: self._create(request))

    def _create(self, request):
        data = CustomerInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        partner = partner_of(request)
        customer, created = customer_upsert(
            actor=None if partner is not None else request.user,
            partner=partner,
            **data.validated_data,
        )
        customer = selectors.customer_for_caller(customer=customer, partner=partner)
        return Response(
            CustomerSerializer(customer, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema_view(list=extend_schema(summary="List revisits"))
@extend_schema(tags=["revisits"])
class RevisitViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Revisits (回访) of the caller's customers."""

    serializer_class = RevisitSerializer
    filterset_class = RevisitFilterSet
    permission_classes = [ScopeOrModelPermission]
    queryset = Revisit.objects.none()
    required_scopes = {"list": Scope.CUSTOMERS_READ}
    required_perms = {"list": "crm.view_revisit"}

    def get_queryset(self):
        return selectors.revisit_list_for_api(user=self.request.user)
