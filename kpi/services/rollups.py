"""Hourly rollup of the SLA clocks that fell due (``kpi.SlaHour``).

``sla_compliance_rate`` and the dashboard's missed clocks by kind read every
clock that fell due in the period joined to its complaint (the attribution and
the rejection live there): a month is ~200,000 clocks at a million complaints,
a year ~4.5 million. The rollup keeps, per hour (UTC; a local day is 24 of
them wherever the offset is whole hours), the same grouped counts (assignee,
team, department and kind → counted, met in time, missed), so a period reads
the rollup for its hours that have passed and only the current hour live.

Exactness: an hour that has ended holds only clocks whose due time has passed,
so its counts depend on the rows alone, never on the moment of computation.
Database triggers (migration ``kpi.0017_sla_rollup``) write a ``SlaChange``
mark (the UTC date of the due time) in the transaction of every write that can
change an hour's counts, whatever the path (services, ``QuerySet.update()``,
the demo's COPY, raw SQL); ``refresh`` recomputes the rolled-up hours of the
marked days, rolls up the hours a computation needs, and deletes the marks it
read (by id: a mark committed meanwhile stays). Refreshes are serialised by a
transaction lock. The counts come from the measure's own aggregates and the
fold's own filter over ``SLA_TARGETS_DUE``'s rows: one definition, rolled up
or live. Results are identical to the live reading (tested; ``KPI_ROLLUPS =
False`` turns the rollup off).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import TruncHour
from django.utils import timezone

from kpi.measures import MEASURES, SLA_TARGETS_DUE, Window
from kpi.models import RollupHour, SlaChange, SlaHour
from kpi.services.aggregates import insert_rows, measure_aggregates
from kpi.services.dashboard import FOLDS

SOURCE = SLA_TARGETS_DUE
# The measures on the source that the rollup serves, and its columns: the
# measure's numerator and denominator, the fold's missed clocks.
MEASURE = "sla_compliance_rate"
NUM, DEN, MISSED = f"{MEASURE}__num", f"{MEASURE}__den", "f_missed"
HOUR = timedelta(hours=1)
LOCK_KEY = 0x4B5046534C41  # "KPFSLA": serialises refreshes (PostgreSQL)
CHUNK = 5000
STREAM_AFTER = timedelta(days=7)


def enabled() -> bool:
    return getattr(settings, "KPI_ROLLUPS", True)


def serves(codes: set[str]) -> bool:
    """True when the rollup holds every active measure of the source."""
    on_source = {m.code for m in MEASURES.values() if m.source is SOURCE}
    return enabled() and (codes & on_source) <= {MEASURE}


def floor_hour(moment: datetime) -> datetime:
    """The start of the (UTC) hour holding ``moment``."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _aligned(moment: datetime) -> bool:
    return floor_hour(moment) == moment


def _hours(start: datetime, end: datetime) -> list[datetime]:
    count = int((end - start) / HOUR)
    return [start + n * HOUR for n in range(max(count, 0))]


def _runs(hours: list[datetime]) -> list[tuple[datetime, datetime]]:
    """Sorted hours as [first, end) runs of consecutive hours."""
    runs: list[tuple[datetime, datetime]] = []
    for hour in hours:
        if runs and runs[-1][1] == hour:
            runs[-1] = (runs[-1][0], hour + HOUR)
        else:
            runs.append((hour, hour + HOUR))
    return runs


@dataclass
class RefreshSummary:
    hours: int = 0  # hours (re)computed
    stale: int = 0  # of which rolled-up hours made stale by a change
    rows: int = 0  # rollup rows written
    marks: int = 0  # change marks consumed
    seconds: float = 0.0


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


COLUMNS = (
    "hour",
    "kind",
    "staff_id",
    "team_id",
    "department_id",
    "num",
    "den",
    "missed",
)


def _batches(rows: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _hour_rows(first: datetime, end: datetime) -> Iterator[tuple]:
    """The rollup rows (in ``COLUMNS`` order) of the hours [first, end), from
    the source's rows with the measure's and the fold's own aggregates, one
    grouped query.

    More than ``STREAM_AFTER`` of hours (a first build: a year is ~400,000 rows
    at a million complaints) are read in chunks through a server-side cursor,
    so memory stays at one chunk (with ``DATABASE_DISABLE_SERVER_SIDE_CURSORS``,
    behind PgBouncer, Django fetches the whole result client-side: the bound
    then does not hold for a first build). PostgreSQL plans a cursor without parallel
    workers, which doubles a day's refresh (0.38 → 0.78 s at 1M), so shorter
    runs, the everyday refresh, are fetched at once (a week is ~8,000 rows)."""
    window = Window(start=first, end=end, now=end, year_start=first)
    aggregates = {
        **measure_aggregates(MEASURES[MEASURE], window),
        **FOLDS[SOURCE.code].aggregates,
    }
    rows = (
        SOURCE.queryset(window)
        .order_by()
        .values(
            r_hour=TruncHour("due_at", tzinfo=UTC),
            r_kind=F("kind"),
            r_staff=F(SOURCE.staff),
            r_team=F(SOURCE.team),
            r_dept=F(SOURCE.department),
        )
        .annotate(**aggregates)
    )
    return (
        (
            row["r_hour"],
            row["r_kind"],
            row["r_staff"],
            row["r_team"],
            row["r_dept"],
            row[NUM] or 0,
            row[DEN] or 0,
            row[MISSED] or 0,
        )
        for row in (
            rows.iterator(chunk_size=CHUNK) if end - first > STREAM_AFTER else rows
        )
    )


def refresh(
    *, start: datetime, end: datetime, now: datetime | None = None
) -> RefreshSummary:
    """Make the rollup current for the hours in [start, end) that ended by
    ``now`` (``start`` on the hour): roll up those not rolled up yet,
    recompute every rolled-up hour of a day a change marked (wherever it
    lies), consume the marks. One transaction; safe to run concurrently
    (serialised) and again."""
    started = time.perf_counter()
    summary = RefreshSummary()
    start = floor_hour(start)
    through = min(end, floor_hour(now or timezone.now()))
    with transaction.atomic():
        _lock()
        marks = list(SlaChange.objects.values_list("pk", "utc_day"))
        rolled = RollupHour.objects.filter(source=SOURCE.code)
        stale: set[datetime] = set()
        marked = {day for _, day in marks}
        if marked:
            low, high = min(marked), max(marked) + timedelta(days=1)
            stale = {
                hour
                for hour in rolled.filter(
                    hour__gte=datetime(low.year, low.month, low.day, tzinfo=UTC),
                    hour__lt=datetime(high.year, high.month, high.day, tzinfo=UTC),
                ).values_list("hour", flat=True)
                if hour.astimezone(UTC).date() in marked
            }
        wanted: set[datetime] = set()
        if start < through:
            have = set(
                rolled.filter(hour__gte=start, hour__lt=through).values_list(
                    "hour", flat=True
                )
            )
            wanted = set(_hours(start, through)) - have
        todo = sorted(stale | wanted)
        for first, last in _runs(todo):
            SlaHour.objects.filter(hour__gte=first, hour__lt=last).delete()
            # Streamed: a year from empty is ~400,000 rows at a million
            # complaints; memory stays at one batch of them.
            for rows in _batches(_hour_rows(first, last), CHUNK):
                insert_rows(SlaHour, COLUMNS, rows)  # COPY on PostgreSQL
                summary.rows += len(rows)
        RollupHour.objects.bulk_create(
            [RollupHour(source=SOURCE.code, hour=hour) for hour in sorted(wanted)],
            batch_size=2000,
            ignore_conflicts=True,
        )
        ids = [pk for pk, _ in marks]
        for n in range(0, len(ids), CHUNK):
            SlaChange.objects.filter(pk__in=ids[n : n + CHUNK]).delete()
    summary.hours, summary.stale = len(todo), len(stale)
    summary.marks = len(marks)
    summary.seconds = time.perf_counter() - started
    return summary


def split(window: Window) -> tuple[tuple[datetime, datetime] | None, Window | None]:
    """A period's window as (its hours [start, end) read from the rollup, or
    None; the live remainder, or None): the hours that ended by
    ``window.now`` come from the rollup, the rest is read live. A window not
    on whole hours (a time zone with a half-hour offset) is read live."""
    if not (_aligned(window.start) and _aligned(window.end)):
        return None, window
    cut = floor_hour(window.now)
    if cut <= window.start:
        return None, window
    if window.end <= cut:
        return (window.start, window.end), None
    return (window.start, cut), replace(window, start=cut)


def rolled_rows(
    ranges: dict[int, tuple[datetime, datetime]], keys: dict, fold_keys: dict
) -> list[dict]:
    """The rollup's rows of each period's hours (``{period_id: (start,
    end)}``) in the shape of the source's grouped rows: ``keys`` (``g_staff``
    …) and ``fold_keys`` (``f_kind``) as names, the measure's ``__num``/
    ``__den`` and the fold's ``f_missed`` summed, and ``g_period`` (the
    period of the row)."""
    if not ranges:
        return []
    names = {
        "g_staff": F("staff_id"),
        "g_team": F("team_id"),
        "g_dept": F("department_id"),
    }
    values = {name: names[name] for name in keys}
    if fold_keys:
        if set(fold_keys) != {"f_kind"}:
            raise ValueError(f"the SLA rollup has no keys {sorted(fold_keys)}")
        values["f_kind"] = F("kind")
    low = min(first for first, _ in ranges.values())
    high = max(end for _, end in ranges.values())
    only = next(iter(ranges)) if len(ranges) == 1 else None
    if only is None:
        values["g_period"] = Case(
            *[
                When(Q(hour__gte=first, hour__lt=end), then=Value(pid))
                for pid, (first, end) in ranges.items()
            ],
            output_field=IntegerField(),
        )
    rows = list(
        SlaHour.objects.filter(hour__gte=low, hour__lt=high)
        .order_by()
        .values(**values)
        .annotate(**{NUM: Sum("num"), DEN: Sum("den"), MISSED: Sum("missed")})
    )
    if only is not None:
        for row in rows:
            row["g_period"] = only
    return rows
