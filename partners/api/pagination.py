"""Cursor pagination for every list of the API (§4: ``page_size``, next/previous)."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


class KefuCursorPagination(CursorPagination):
    """Opaque cursors in ``next``/``previous``; ``page_size`` 1–200, default 50.

    Ordering defaults to newest primary key first, which every model has and
    which is unique (a stable cursor); a view may set ``ordering``.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-pk"

    def decode_cursor(self, request):
        # DRF answers a malformed cursor with 404; it is bad input (400).
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError(
                {self.cursor_query_param: [_("Invalid cursor.")]}
            ) from None
