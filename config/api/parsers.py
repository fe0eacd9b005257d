"""The API's parsers: a bad body is the client's error (400), never a 500.

DRF's ``JSONParser`` turns a syntax error into a 400 but lets a
``RecursionError`` (thousands of nested ``[``) through as a server error, and
accepts values that no database column can hold: a NUL character is refused by
PostgreSQL (``DataError``) and a lone surrogate (``"\\ud800"``) cannot be
encoded as UTF-8; ``1e400`` parses as infinity. Serializer ``CharField``s
refuse the first two, but slugs, choices and lookups do not, so the parser
refuses them wherever they are, naming the field. The form parsers apply the
same text rules to PUT and PATCH form bodies.
"""

from __future__ import annotations

import math
import re

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

# Far deeper than any request body of this API (≤ 4 levels), far below
# Python's recursion limit, so that nothing later (idempotency fingerprint,
# serializers) recurses into a pathological body.
MAX_DEPTH = 32

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _bad_text(value: str):
    """A message when ``value`` holds a character no text column stores."""
    match = _UNSTORABLE.search(value)
    if match is None:
        return None
    if match.group() == "\x00":
        return _("Null characters are not allowed.")
    return _("Invalid unicode: lone surrogate characters are not allowed.")


def _check(data) -> None:
    """Walk ``data`` without recursion; raise on excessive depth or bad text."""
    stack = [("", data, 1)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                raise ParseError(
                    _("JSON parse error - nested deeper than %(depth)d levels.")
                    % {"depth": MAX_DEPTH}
                )
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                name = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and (message := _bad_text(key)):
                    raise ValidationError({path or "non_field_errors": [message]})
                stack.append((name, item, depth + 1))
        elif isinstance(value, str) and (message := _bad_text(value)):
            raise ValidationError({path or "non_field_errors": [message]})
        elif isinstance(value, float) and not math.isfinite(value):
            # 1e400 parses as infinity, which no column or JSON answer holds.
            raise ValidationError(
                {path or "non_field_errors": [_("Number out of range.")]}
            )


class KefuJSONParser(parsers.JSONParser):
    """``JSONParser`` that answers 400 for too deep nesting, NUL characters and
    lone surrogates (the API's ``DEFAULT_PARSER_CLASSES``)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                _("JSON parse error - nested deeper than %(depth)d levels.")
                % {"depth": MAX_DEPTH}
            ) from None
        _check(data)
        return data


def _check_form(data) -> None:
    """The same text rules for the fields of a form body (PUT and PATCH ones
    reach DRF's parsers unread; a POST one was checked by the middleware)."""
    for name, values in data.lists():
        if message := _bad_text(name):
            raise ValidationError({"non_field_errors": [message]})
        for value in values:
            if isinstance(value, str) and (message := _bad_text(value)):
                raise ValidationError({name: [message]})


class KefuFormParser(parsers.FormParser):
    """``FormParser`` refusing NUL characters and lone surrogates (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _check_form(data)
        return data


class KefuMultiPartParser(parsers.MultiPartParser):
    """``MultiPartParser`` refusing NUL characters and lone surrogates in
    fields and file names (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        _check_form(parsed.data)
        for name, uploads in parsed.files.lists():
            for upload in uploads:
                if message := _bad_text(upload.name or ""):
                    raise ValidationError({name: [message]})
        return parsed
