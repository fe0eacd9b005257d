"""One JSON error shape for the whole API.

Every error answers ``{"code": str, "message": str, "errors": {field: [str]}}``.
``code`` is stable English for machines; ``message`` is translated for people;
``errors`` names the fields of a validation error (nested fields joined with
dots, e.g. ``customer.phone``) and is empty otherwise. Domain errors of the
services (``config.errors``) map onto HTTP: InvalidInput → 400, NotPermitted →
403, NotFound → 404, Conflict / IllegalTransition / VersionConflict → 409.
A database that cannot be reached (``OperationalError``, ``InterfaceError``:
PostgreSQL restarting, the connection dropped) is ``503`` with ``Retry-After``
and code ``database_unavailable``: the request did nothing (every change is
one transaction) and may be retried, with its ``Idempotency-Key`` for a POST.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from config.errors import DomainError

NON_FIELD = "non_field_errors"
# Seconds a client should wait before retrying when the database is down.
RETRY_AFTER_SECONDS = 30
DATABASE_ERRORS = (OperationalError, InterfaceError)

logger = logging.getLogger(__name__)


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"a.b": ["message", ...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in flatten_errors(value, name).items():
                out.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out.setdefault(prefix or NON_FIELD, []).extend(str(i) for i in detail)
        else:
            for index, item in enumerate(detail):
                name = f"{prefix}.{index}" if prefix else str(index)
                for field, messages in flatten_errors(item, name).items():
                    out.setdefault(field, []).extend(messages)
    else:
        out.setdefault(prefix or NON_FIELD, []).append(str(detail))
    return out


def _first_code(codes) -> str | None:
    if isinstance(codes, str):
        return codes
    if isinstance(codes, dict):
        for value in codes.values():
            found = _first_code(value)
            if found:
                return found
    if isinstance(codes, list):
        for value in codes:
            found = _first_code(value)
            if found:
                return found
    return None


def error_body(code: str, message: str, errors: dict | None = None) -> dict:
    return {"code": code, "message": str(message), "errors": errors or {}}


def database_unavailable_body() -> dict:
    return error_body(
        "database_unavailable",
        _("The service is temporarily unavailable. Try again shortly."),
    )


def exception_handler(exc, context):
    """DRF ``EXCEPTION_HANDLER``: domain errors and DRF errors in one shape."""
    if isinstance(exc, DATABASE_ERRORS):
        logger.error("database unavailable: %s", exc, exc_info=exc)
        set_rollback()  # what DRF does for the errors it handles
        return Response(
            database_unavailable_body(),
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, DomainError):
        errors = {exc.field: [str(exc.message)]} if exc.field else {}
        return Response(error_body(exc.code, exc.message, errors), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real server error: Django's 500 handling and logging
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(
            "invalid",
            _("The request has invalid fields."),
            flatten_errors(exc.detail),
        )
    elif isinstance(exc, exceptions.APIException):
        code = _first_code(exc.get_codes()) or exc.default_code
        if isinstance(exc, exceptions.NotAuthenticated):
            code = "not_authenticated"
        detail = exc.detail
        message = detail if isinstance(detail, str) else exc.default_detail
        body = error_body(code, message)
    elif isinstance(exc, Http404):
        body = error_body("not_found", _("Not found."))
    elif isinstance(exc, PermissionDenied):
        body = error_body("permission_denied", _("You may not do this."))
    else:  # pragma: no cover - DRF handles only the above
        body = error_body("error", str(exc))
    response.data = body
    return response
