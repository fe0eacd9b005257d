"""Cursor pagination for every list of the API (§4: ``page_size``, next/previous)."""

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import CharField, TextField
from django.db.models.constants import LOOKUP_SEP
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


def _ordering_field(model, path: str):
    """The model field that ``path`` (``"pk"``, ``"-created_at"``,
    ``"period__start"``) orders by, or None when it is not a plain field path
    (e.g. an annotation)."""
    opts, field = model._meta, None
    for part in path.lstrip("-").split(LOOKUP_SEP):
        if field is not None:
            if not field.is_relation or field.related_model is None:
                return None
            opts = field.related_model._meta
        try:
            field = opts.pk if part == "pk" else opts.get_field(part)
        except FieldDoesNotExist:
            return None
    while field is not None and field.is_relation:
        # Ordering by a foreign key orders by the key it holds.
        field = getattr(field, "target_field", None)
    return field


class KefuCursorPagination(CursorPagination):
    """Opaque cursors in ``next``/``previous``; ``page_size`` 1–200, default 50.

    Ordering defaults to newest primary key first, which every model has and
    which is unique (a stable cursor); a view may set ``ordering``.

    A cursor is the client's input: one that does not decode, or whose position
    is no value of the ordering field (``p=abc`` against a numeric key, a NUL
    character, a number out of the column's range), is a 400 ``invalid`` with
    ``errors.cursor`` — never a query the database refuses.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-pk"

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        # DRF answers a malformed cursor with 404; it is bad input (400).
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise self._invalid() from None
        if cursor is not None and cursor.position is not None:
            self._check_position(cursor.position)
        return cursor

    def _check_position(self, position: str) -> None:
        if "\x00" in position:
            raise self._invalid()
        model = getattr(self, "_model", None)
        field = _ordering_field(model, self.ordering[0]) if model else None
        if field is None:
            return
        try:
            value = field.to_python(position)
            if not isinstance(field, (CharField, TextField)):
                # Range validators: a number past the column's range is no
                # position (text validators would judge legacy values, not
                # cursors, so they are left out).
                field.run_validators(value)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            raise self._invalid() from None

    def _invalid(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: [_("Invalid cursor.")]})
