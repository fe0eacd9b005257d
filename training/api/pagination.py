from config.api.pagination import KefuCursorPagination


class RecordCursorPagination(KefuCursorPagination):
    """The API's cursor pagination (``page_size`` default 50, max 200; a bad
    cursor is a 400), ordered by username: unique and never empty, so that a
    cursor position is exact. A position is any username (text), so only a
    NUL character or an undecodable cursor is refused."""

    ordering = ("username",)
