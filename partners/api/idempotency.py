"""``Idempotency-Key`` for POST endpoints.

The first POST with a key stores its response; a retry with the same key and the
same body within 24 hours gets that response again (header ``Idempotent-Replayed:
true``) and changes nothing; the same key with a different body (or path) is
refused with 422. The record is inserted *before* the work, in the same
transaction, so two concurrent requests with one key serialise on the unique
index: the second waits for the first to commit, then replays its response. A
request that fails (4xx/5xx) stores nothing, so the client may retry it.

Personal data: the stored response is encrypted at rest (``EncryptedJSONField``,
personal-data key) and the request digest is keyed, so neither column gives away
a phone number or e-mail address (or a new webhook's secret). The record names
the customer the response is about; erasing that customer anonymises the stored
response in place (``crm.services.privacy.customer_erase``), so a replay after
an erasure answers the first status with the anonymised customer, and the
request is still not carried out twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from config.api.credentials import partner_of
from config.api.exceptions import error_body
from crm import pii
from crm.models import Customer
from partners.models import IdempotencyRecord

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255


def _request_hashes(request) -> list[str]:
    """Keyed digests of the request (current key first, then old keys during a
    key rotation): a plain hash of a body holding a phone number could be
    matched by guessing numbers."""
    body = json.dumps(request.data, sort_keys=True, cls=JSONEncoder, default=str)
    # The path is part of the request: one key reused on another endpoint or
    # complaint is a different request (422), never a replay of the first.
    text = f"{request.method} {request.path} {body}"
    return pii.digests("idempotency", hashlib.sha256(text.encode()).hexdigest())


def _customer_id(response) -> int | None:
    """The customer the response is about: the instance of the serializer that
    produced ``response.data`` (a customer, or anything with a ``customer``)."""
    serializer = getattr(response.data, "serializer", None)
    instance = getattr(serializer, "instance", None)
    if isinstance(instance, Customer):
        return instance.pk
    return getattr(instance, "customer_id", None)


def _owner(request) -> dict:
    partner = partner_of(request)
    if partner is not None:
        return {"partner": partner}
    return {"user": request.user}


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(request, handler: Callable[[], Response]) -> Response:
    """Run ``handler`` at most once per Idempotency-Key (see module docstring)."""
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        return Response(
            error_body(
                "invalid_idempotency_key",
                _("Idempotency-Key must be 1 to 255 characters."),
                {HEADER: [_("Invalid length.")]},
            ),
            status=400,
        )
    owner = _owner(request)
    digests = _request_hashes(request)
    now = timezone.now()
    with transaction.atomic():
        # Expired records do not block a new request with the same key.
        IdempotencyRecord.objects.filter(key=key, expires_at__lte=now, **owner).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    key=key,
                    method=request.method,
                    path=request.path[:500],
                    request_hash=digests[0],
                    created_at=now,
                    expires_at=now + TTL,
                    **owner,
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(key=key, **owner).first()
            if existing is None:  # pragma: no cover - deleted between two statements
                return Response(
                    error_body("conflict", _("Please retry the request.")), status=409
                )
            if (
                existing.request_hash not in digests
                or existing.path != request.path[:500]
            ):
                return Response(
                    error_body(
                        "idempotency_key_reused",
                        _(
                            "This Idempotency-Key was used with a different request "
                            "in the last 24 hours."
                        ),
                    ),
                    status=422,
                )
            if existing.status_code is None:  # pragma: no cover - same transaction
                return Response(
                    error_body("conflict", _("The first request is still running.")),
                    status=409,
                )
            return _replay(existing)
        response = handler()
        if 200 <= response.status_code < 300:
            record.status_code = response.status_code
            record.response_body = json.loads(
                json.dumps(response.data, cls=JSONEncoder)
            )
            record.customer_id = _customer_id(response)
            record.save(update_fields=["status_code", "response_body", "customer"])
        else:
            # Keep nothing: the client may retry a failed request with the key.
            transaction.set_rollback(True)
        return response


def idempotency_records_purge(*, now=None) -> int:
    """Delete idempotency records past their 24 hours."""
    deleted, _ = IdempotencyRecord.objects.filter(
        expires_at__lte=now or timezone.now()
    ).delete()
    return deleted
