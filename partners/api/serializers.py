"""Serializers of the partner API's own endpoints (webhooks, the calling key)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from partners.models import (
    ApiKey,
    Scope,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    code = serializers.CharField(help_text=_("Stable machine-readable error code."))
    message = serializers.CharField(help_text=_("Human-readable, translated."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("Field name (dotted for nested fields) → messages."),
    )


class ApiKeyInfoSerializer(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.code")
    partner_name = serializers.CharField(source="partner.name")
    scopes = serializers.ListField(child=serializers.ChoiceField(Scope.choices))

    class Meta:
        model = ApiKey
        fields = ("partner", "partner_name", "name", "prefix", "scopes", "expires_at")


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """Output; ``secret`` is only in the answer to a create."""

    events = serializers.ListField(child=serializers.ChoiceField(WebhookEvent.choices))

    class Meta:
        model = WebhookEndpoint
        fields = (
            "id",
            "url",
            "events",
            "description",
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "created_at",
            "updated_at",
        )


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        help_text=_("Key of X-Kefu-Signature; shown only in this answer.")
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = (*WebhookEndpointSerializer.Meta.fields, "secret")


class WebhookEndpointInputSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(WebhookEvent.choices), min_length=1
    )
    secret = serializers.CharField(
        required=False,
        min_length=16,
        max_length=100,
        help_text=_("Optional; generated when omitted."),
    )
    description = serializers.CharField(required=False, max_length=200, default="")


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(WebhookEvent.choices),
        min_length=1,
        required=False,
    )
    secret = serializers.CharField(min_length=16, max_length=100, required=False)
    description = serializers.CharField(max_length=200, required=False)
    is_active = serializers.BooleanField(required=False)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = (
            "id",
            "event_id",
            "event",
            "complaint_reference",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        )
