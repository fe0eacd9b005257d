"""Partner API endpoints of the partners app: the calling key, webhook endpoints."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from config.api.credentials import partner_of
from config.api.idempotency import idempotent
from config.api.permissions import ScopeOrModelPermission
from config.api.scopes import Scope
from partners import selectors, services
from partners.api.serializers import (
    ApiKeyInfoSerializer,
    PartnerEventPageSerializer,
    PartnerEventQuerySerializer,
    PartnerEventSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
)
from partners.models import WebhookEndpoint


class IsPartnerKey(permissions.BasePermission):
    message = _("This endpoint is for partner API keys only.")

    def has_permission(self, request, view):
        return partner_of(request) is not None


@extend_schema(tags=["auth"])
class ApiKeyInfoView(APIView):
    """The API key making the request: its partner, scopes and expiry."""

    permission_classes = [permissions.IsAuthenticated, IsPartnerKey]

    @extend_schema(responses={200: ApiKeyInfoSerializer}, operation_id="key_retrieve")
    def get(self, request):
        return Response(ApiKeyInfoSerializer(request.auth).data)


@extend_schema_view(
    list=extend_schema(summary="List webhook endpoints"),
    retrieve=extend_schema(summary="Get a webhook endpoint"),
)
@extend_schema(tags=["webhooks"])
class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """A partner's webhook endpoints (scope ``webhooks:manage``; partners only)."""

    permission_classes = [ScopeOrModelPermission]
    serializer_class = WebhookEndpointSerializer
    required_scopes = dict.fromkeys(
        ("list", "retrieve", "create", "partial_update", "destroy", "deliveries"),
        Scope.WEBHOOKS_MANAGE,
    )
    required_perms: dict = {}
    filter_backends: list = []
    idempotent_create = True
    queryset = WebhookEndpoint.objects.none()  # for the schema; see get_queryset

    def get_queryset(self):
        return selectors.webhook_endpoints_of(partner=partner_of(self.request))

    @extend_schema(
        summary="Register a webhook endpoint",
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
    )
    def create(self, request):
        return idempotent(request, lambda: self._create(request))

    def _create(self, request):
        data = WebhookEndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(
            actor=None, partner=partner_of(request), **data.validated_data
        )
        return Response(
            WebhookEndpointCreatedSerializer(endpoint).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Change a webhook endpoint",
        request=WebhookEndpointUpdateSerializer,
        responses={200: WebhookEndpointSerializer},
    )
    def partial_update(self, request, pk=None):
        endpoint = self.get_object()
        data = WebhookEndpointUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(
            actor=None, endpoint=endpoint, **data.validated_data
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(summary="Delete a webhook endpoint", responses={204: None})
    def destroy(self, request, pk=None):
        services.webhook_endpoint_delete(actor=None, endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Delivery log of a webhook endpoint",
        responses={200: WebhookDeliverySerializer(many=True)},
    )
    @action(detail=True, methods=["get"], serializer_class=WebhookDeliverySerializer)
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        page = self.paginate_queryset(
            selectors.webhook_deliveries_of(endpoint=endpoint)
        )
        return self.get_paginated_response(
            WebhookDeliverySerializer(page, many=True).data
        )


@extend_schema(tags=["events"])
class PartnerEventListView(APIView):
    """The partner's own events since a cursor: list and replay what the
    webhooks pushed (or would have), e.g. after a receiver was down.

    Ordered by ``id``, which only grows; pass the last ``cursor`` as ``?after=``
    to continue. Events are kept ``KEFU_WEBHOOK_RETENTION_DAYS`` days and
    listed once they are a few seconds old (``KEFU_EVENTS_SETTLE_SECONDS``).
    Scope ``complaints:read``; partners only.
    """

    permission_classes = [ScopeOrModelPermission]
    required_scopes = {"get": Scope.COMPLAINTS_READ}
    required_perms: dict = {}

    @extend_schema(
        summary="List events since a cursor",
        parameters=[PartnerEventQuerySerializer],
        responses={200: PartnerEventPageSerializer},
        operation_id="events_list",
    )
    def get(self, request):
        query = PartnerEventQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        after = query.validated_data["after"]
        size = query.validated_data["page_size"]
        rows = selectors.partner_events_after(
            partner=partner_of(request), after=after, limit=size + 1
        )
        has_more = len(rows) > size
        rows = rows[:size]
        cursor = rows[-1].pk if rows else after
        url = request.build_absolute_uri()
        return Response(
            {
                "results": PartnerEventSerializer(rows, many=True).data,
                "cursor": cursor,
                "has_more": has_more,
                "next": replace_query_param(url, "after", cursor) if has_more else None,
            }
        )
