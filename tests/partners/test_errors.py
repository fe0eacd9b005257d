"""The one JSON error shape, and the mapping of domain errors onto HTTP."""

import pytest
from rest_framework import serializers
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from config.api.exceptions import flatten_errors
from config.errors import (
    Conflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    NotPermitted,
    VersionConflict,
)


class _Customer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()


class _Body(serializers.Serializer):
    customer = _Customer()
    csat = serializers.IntegerField(min_value=1, max_value=5)


def _view_raising(exc):
    class Boom(APIView):
        permission_classes: list = []

        def post(self, request):
            if exc == "validate":
                _Body(data=request.data).is_valid(raise_exception=True)
            raise exc

    return Boom.as_view()


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (InvalidInput("bad", field="severity"), 400, "invalid"),
        (NotPermitted("no"), 403, "permission_denied"),
        (NotFound("gone"), 404, "not_found"),
        (Conflict("clash"), 409, "conflict"),
        (IllegalTransition("not from closed"), 409, "illegal_transition"),
        (VersionConflict("stale"), 409, "version_conflict"),
        (InvalidInput("x", code="csat_out_of_range"), 400, "csat_out_of_range"),
    ],
)
def test_domain_errors_map_onto_http(exc, status, code, org):
    request = APIRequestFactory().post("/x", {}, format="json")
    force_authenticate(request, user=org.agent_a)

    response = _view_raising(exc)(request)

    assert response.status_code == status
    assert response.data["code"] == code
    assert response.data["message"] == exc.message
    expected_errors = {exc.field: [exc.message]} if exc.field else {}
    assert response.data["errors"] == expected_errors


def test_validation_errors_name_nested_fields(org):
    request = APIRequestFactory().post(
        "/x", {"customer": {"name": "王伟"}, "csat": 9}, format="json"
    )
    force_authenticate(request, user=org.agent_a)

    response = _view_raising("validate")(request)

    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert set(response.data["errors"]) == {"customer.phone", "csat"}
    assert all(isinstance(m, str) for m in response.data["errors"]["csat"])


def test_flatten_errors_handles_lists_and_plain_messages():
    detail = {"items": [{"a": ["x"]}, {}], "b": "y", "non_field_errors": ["z"]}

    assert flatten_errors(detail) == {
        "items.0.a": ["x"],
        "b": ["y"],
        "non_field_errors": ["z"],
    }
    assert flatten_errors(["only"]) == {"non_field_errors": ["only"]}


@pytest.mark.parametrize(
    "url",
    ["/api/v1/customers/", "/api/v1/complaints/", "/api/v1/revisits/"],
)
@pytest.mark.parametrize(
    "value",
    [
        # offsets PostgreSQL refuses (beyond ±15:59) and instants that leave the
        # calendar once turned into UTC: a clear 400, never a database error
        "1553-05-19T12:42:00.1-20:31",
        "2026-01-01T00:00:00+23:59",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
    ],
)
def test_datetime_filters_turn_any_offset_into_utc_or_say_why(
    url, value, partner_a, key_client
):
    client = key_client(partner_a)  # every scope
    name = "due_after" if "revisits" in url else "updated_after"

    response = client.get(url, {name: value})

    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert name in response.json()["errors"]
    else:
        assert response.json()["results"] == []
