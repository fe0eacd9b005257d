from partners.api.pagination import KefuCursorPagination


class RecordCursorPagination(KefuCursorPagination):
    """Cursor pagination as the API contract describes: ``next``/``previous``
    links, ``page_size`` parameter (default 50, max 200)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    # Unique and never empty, so that a cursor position is exact.
    ordering = ("username",)
