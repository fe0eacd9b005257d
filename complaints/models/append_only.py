"""Append-only audit rows: inserted once, never changed or deleted."""

from __future__ import annotations

from django.db import models

from complaints.models.events import ImmutableRowError


class AppendOnlyQuerySet(models.QuerySet):
    """No bulk update or delete through the ORM."""

    def update(self, **kwargs):
        raise ImmutableRowError(f"{self.model._meta.label} rows are immutable")

    def delete(self):
        raise ImmutableRowError(f"{self.model._meta.label} rows are immutable")

    def bulk_update(self, objs, fields, batch_size=None):
        raise ImmutableRowError(f"{self.model._meta.label} rows are immutable")


class AppendOnlyModel(models.Model):
    """A row that is only ever inserted (by its service): saving a stored row,
    deleting one and queryset ``update``/``delete`` raise ``ImmutableRowError``."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ImmutableRowError(f"{self._meta.label} rows are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRowError(f"{self._meta.label} rows are immutable")
