"""DRF's ``JSONRenderer`` through orjson, for bodies made of plain values only.

Only views whose bodies hold no float opt in (the complaint list): orjson
writes floats in another notation than Python (``1e-5``, not ``1e-05``) and
NaN as ``null`` where DRF refuses it. For everything else the output is DRF's
byte for byte — compact separators, UTF-8 without ``\\uXXXX`` escapes, the same
escapes of control characters, ``\\u2028`` and ``\\u2029`` escaped — and any
value that is not a plain ``str``, ``int``, ``bool``, ``None``, ``dict``,
``list`` or ``tuple`` (a datetime, a Decimal, a lazy translation, ``ErrorDetail``
or any other subclass of ``str``, an int beyond 64 bits, a key that is no
string, a lone surrogate) sends the whole body through DRF's renderer instead,
as does an ``indent`` asked for in the ``Accept`` header.
"""

from __future__ import annotations

import orjson
from rest_framework.renderers import JSONRenderer

_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


def _not_plain(value):
    raise TypeError(type(value).__name__)


class PlainJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if (
            data is None
            or self.ensure_ascii
            or not self.compact
            or self.get_indent(accepted_media_type, renderer_context or {}) is not None
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=_not_plain, option=_OPTIONS)
        except TypeError:  # orjson.JSONEncodeError too
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80" in body:  # U+2028 / U+2029, escaped as DRF does
            body = body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(
                b"\xe2\x80\xa9", b"\\u2029"
            )
        return body
