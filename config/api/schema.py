"""OpenAPI generation: every operation documents the error shape it may return."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    code = serializers.CharField(help_text=_("Stable machine-readable error code."))
    message = serializers.CharField(help_text=_("Human-readable, translated."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("Field name (dotted for nested fields) → messages."),
    )


ERROR_DESCRIPTIONS = {
    "400": "Invalid input (body or query); `errors` names the fields.",
    "401": "Missing or invalid credentials.",
    "403": "The credentials do not allow this operation (scope or role).",
    "404": "Not found, or not visible to the caller.",
    "409": "Illegal status transition or version conflict.",
    "422": "Idempotency-Key reused with a different request.",
    "429": "Too many requests; see the Retry-After header.",
}


class KefuAutoSchema(AutoSchema):
    """AutoSchema adding the JSON error responses and the Idempotency-Key header."""

    def _idempotent(self) -> bool:
        """A create that honours Idempotency-Key (views set ``idempotent_create``)."""
        return (
            self.method == "POST"
            and getattr(self.view, "idempotent_create", False)
            and getattr(self.view, "action", "create") == "create"
        )

    def _error_codes(self) -> list[str]:
        # 400 everywhere: bodies, but also query parameters (filters, cursors).
        codes = ["400", "401", "403", "429"]
        if "{" in self.path:
            codes.append("404")
        if self.method in ("POST", "PUT", "PATCH", "DELETE") and "{" in self.path:
            codes.append("409")
        if self._idempotent():
            codes.append("422")
        return sorted(codes)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code)
                response["description"] = ERROR_DESCRIPTIONS[code]
                responses[code] = response
        return responses

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._idempotent():
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="Retrying a POST with the same key and body within "
                    "24 hours returns the first response instead of creating again.",
                )
            )
        return parameters
