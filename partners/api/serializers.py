"""Serializers of the partner API's own endpoints (webhooks, the calling key)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.scopes import Scope
from partners.models import (
    ApiKey,
    PartnerEvent,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
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


STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")


class PartnerEventSerializer(serializers.ModelSerializer):
    """One event of the feed: ``payload`` is the webhook body, byte for byte
    the same JSON as the push (``payload.id`` is ``X-Kefu-Delivery``)."""

    payload = serializers.JSONField()

    class Meta:
        model = PartnerEvent
        fields = (
            "id",
            "event_id",
            "event",
            "complaint_reference",
            "created_at",
            "payload",
        )


class PartnerEventQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(
        required=False,
        default=0,
        min_value=0,
        help_text=_("Return events whose id is above this one (0: from the start)."),
    )
    page_size = serializers.IntegerField(
        required=False, default=100, min_value=1, max_value=500
    )


class PartnerEventPageSerializer(serializers.Serializer):
    results = PartnerEventSerializer(many=True)
    cursor = serializers.IntegerField(
        help_text=_("Pass as ?after= on the next call (the last id returned).")
    )
    has_more = serializers.BooleanField()
    next = serializers.URLField(allow_null=True)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """A partner's view of a delivery: only a coarse outcome.

    No error text, response excerpt or timing (staff see those in the admin):
    they would tell a caller whether some port answered.
    """

    last_outcome = serializers.SerializerMethodField(
        help_text=_(
            "Outcome of the last attempt: delivered, failed (no answer or a "
            "non-2xx answer; redirects are not followed) or refused (the URL is "
            "not allowed: not https, or not a public internet address). "
            "Null before the first attempt."
        )
    )
    last_status_class = serializers.SerializerMethodField(
        help_text=_("Class of the last HTTP answer (e.g. 5xx); null if none.")
    )

    class Meta:
        model = WebhookDelivery
        fields = (
            "id",
            "event_id",
            "event",
            "complaint_reference",
            "status",
            "attempts",
            "last_outcome",
            "last_status_class",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "held",
        )

    held = serializers.SerializerMethodField(
        help_text=_(
            "True while the delivery waits because its endpoint is disabled: "
            "it goes out when the endpoint is enabled again, unless it is older "
            "than the retention period by then (then it is cancelled)."
        )
    )

    def get_held(self, obj) -> bool:
        return obj.status == WebhookDelivery.Status.PENDING and not (
            obj.endpoint.is_active
        )

    @extend_schema_field(
        serializers.ChoiceField(WebhookDelivery.Outcome.choices, allow_null=True)
    )
    def get_last_outcome(self, obj) -> str | None:
        return obj.last_outcome or None

    @extend_schema_field(serializers.ChoiceField(STATUS_CLASSES, allow_null=True))
    def get_last_status_class(self, obj) -> str | None:
        code = obj.last_status_code
        if code is None or not 100 <= code < 600:
            return None
        return f"{code // 100}xx"
