"""The audit rows of the training services (``TrainingEvent``), written in the
caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable

from training.models import TrainingEvent

Kind = TrainingEvent.Kind


def event(kind: str, *, actor=None, **fields) -> TrainingEvent:
    """Write one event; ``fields`` are the related rows and ``data``."""
    return TrainingEvent.objects.create(kind=kind, actor=actor, **fields)


def events(rows: Iterable[TrainingEvent]) -> None:
    """Write many events in one statement."""
    TrainingEvent.objects.bulk_create(list(rows))
