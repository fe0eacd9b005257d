"""Hourly rollups of the KPI sources: a period reads the rolled-up hours that
have ended and only the current hour live.

Two kinds, one engine (``Rollup``):

* the SLA clocks that fell due (``kpi.SlaHour``): ``sla_compliance_rate`` and
  the dashboard's missed clocks by kind read every clock that fell due in the
  period joined to its complaint (the attribution and the rejection live
  there): a month is ~200,000 clocks at a million complaints, a year ~4.5
  million. The rollup keeps, per hour, assignee, team, department and kind,
  the clocks counted, met in time and missed;
* the sources whose figures depend on their rows alone (``MEASURE_ROLLUPS``:
  complaints first resolved, surveys answered, attitude complaints, revisits
  due and done; ``kpi.MeasureHour``): per hour,
  staff member, team, department and indicator, each measure's numerator,
  denominator and detractors.

Hours are UTC hours (a local day is 24 of them wherever the offset is whole
hours).

Exactness: an hour that has ended holds only rows whose date has passed, and a
rolled-up source's counts depend on those rows alone, never on the moment of
computation. Database triggers (migrations ``kpi.0017_sla_rollup``,
``kpi.0018_measure_rollups`` and ``kpi.0020_revisits_done_rollup``) write a
change mark (the UTC date of the row's date field, ``SlaChange`` /
``RollupChange``) in the transaction of every write
that can change an hour's counts, whatever the path (services,
``QuerySet.update()``, the demo's COPY, raw SQL); ``refresh`` recomputes the
rolled-up hours of the marked days, rolls up the hours a computation needs,
and deletes the marks it read (by id: a mark committed meanwhile stays).
Refreshes are serialised by a transaction lock. The counts come from the
measures' own aggregates (and the dashboard fold's) over the source's own
rows: one definition, rolled up or live. Results are identical to the live
reading (tested; ``KPI_ROLLUPS = False`` turns the rollups off).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from datetime import time as dtime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    F,
    IntegerField,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from complaints.models import Complaint
from kpi.measures import (
    COMPLAINTS_ATTRIBUTED,
    COMPLAINTS_RECEIVED,
    COMPLAINTS_RESOLVED,
    MEASURES,
    REPLY_TARGET,
    REVISITS_DONE,
    REVISITS_DUE,
    SLA_TARGETS_DUE,
    SURVEYS_ANSWERED,
    Measure,
    Source,
    Window,
)
from kpi.models import (
    MeasureDay,
    MeasureHour,
    RollupChange,
    RollupDay,
    RollupHour,
    SlaChange,
    SlaDay,
    SlaHour,
)
from kpi.services.aggregates import insert_rows, measure_aggregates
from kpi.services.dashboard import FOLDS

HOUR = timedelta(hours=1)
LOCK_KEY = 0x4B5046534C41  # "KPFSLA": serialises refreshes (PostgreSQL)
CHUNK = 5000
STREAM_AFTER = timedelta(days=7)


def enabled() -> bool:
    return getattr(settings, "KPI_ROLLUPS", True)


def floor_hour(moment: datetime) -> datetime:
    """The start of the (UTC) hour holding ``moment``."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _aligned(moment: datetime) -> bool:
    return floor_hour(moment) == moment


def _hours(start: datetime, end: datetime) -> list[datetime]:
    count = int((end - start) / HOUR)
    return [start + n * HOUR for n in range(max(count, 0))]


def _runs(hours: list[datetime]) -> list[tuple[datetime, datetime]]:
    """Hours as [first, end) runs of consecutive hours."""
    return _merged([(hour, hour + HOUR) for hour in hours])


def _local_days(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The whole local days (current time zone) inside [start, end), as
    [start, end) instants."""
    tz = timezone.get_current_timezone()
    day = timezone.localtime(start, tz).date()
    days = []
    while True:
        first = timezone.make_aware(datetime.combine(day, dtime.min), tz)
        day += timedelta(days=1)
        last = timezone.make_aware(datetime.combine(day, dtime.min), tz)
        if last > end:
            return days
        if first >= start:
            days.append((first, last))


def _merged(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Sorted spans with the adjacent ones joined."""
    runs: list[tuple[datetime, datetime]] = []
    for first, last in sorted(spans):
        if runs and runs[-1][1] == first:
            runs[-1] = (runs[-1][0], last)
        else:
            runs.append((first, last))
    return runs


def _without(
    first: datetime, end: datetime, runs: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """[first, end) less the sorted, disjoint ``runs`` inside it."""
    rest, at = [], first
    for low, high in runs:
        if low > at:
            rest.append((at, low))
        at = max(at, high)
    if at < end:
        rest.append((at, end))
    return rest


def _batches(rows: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class RefreshSummary:
    hours: int = 0  # hours (re)computed
    stale: int = 0  # of which rolled-up hours made stale by a change
    rows: int = 0  # rollup rows written
    marks: int = 0  # change marks consumed
    days: int = 0  # local days summed into the daily rollup
    seconds: float = 0.0
    # The hours before this are rolled up (read them from the rollup); those
    # from it on are read live.
    cut: datetime | None = None

    def add(self, other: RefreshSummary) -> None:
        self.hours += other.hours
        self.stale += other.stale
        self.rows += other.rows
        self.marks += other.marks
        self.days += other.days
        self.seconds += other.seconds


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


class Rollup:
    """The hourly rollup of one source: its table (``model``, rows in
    ``columns`` order), its change marks, and how it turns the source's rows
    of some hours into rollup rows and reads them back in the shape of the
    source's grouped rows."""

    source: Source
    model: type
    columns: tuple[str, ...]
    # The daily rollup: the hour rows of a whole local day summed by
    # ``day_keys`` (``day_sums`` summed), in ``day_model``.
    day_model: type
    day_keys: tuple[str, ...]
    day_sums: tuple[str, ...]

    def serves(self, codes: set[str]) -> bool:
        raise NotImplementedError

    def table(self) -> QuerySet:
        return self.model.objects.all()

    def day_table(self) -> QuerySet:
        return self.day_model.objects.all()

    def days(self) -> QuerySet:
        """The local days summed into the daily rollup."""
        return RollupDay.objects.filter(source=self.source.code)

    def drop_days(self, first: datetime, last: datetime | None) -> list[tuple]:
        """Forget the summed days that overlap [first, last) (their hours are
        about to change); return their spans."""
        days = self.days().filter(end__gt=first)
        if last is not None:
            days = days.filter(start__lt=last)
        spans = list(days.values_list("start", "end"))
        if spans:
            starts = [start for start, _ in spans]
            for n in range(0, len(starts), CHUNK):
                self.day_table().filter(day__in=starts[n : n + CHUNK]).delete()
            days.delete()
        return spans

    def compact(self, spans: list[tuple[datetime, datetime]]) -> int:
        """Sum the hour rows of the local days ``spans`` (each wholly rolled
        up) not summed yet into the daily rollup; return how many. A year of
        days is counted first (an index-only scan): on most computations
        every day is summed already."""
        if not spans:
            return 0
        spans = sorted(set(spans))
        have = self.days().filter(start__gte=spans[0][0], start__lt=spans[-1][1])
        if len(_merged(spans)) == 1 and have.count() >= len(spans):
            return 0
        existing = set(have.values_list("start", flat=True))
        missing = [span for span in spans if span[0] not in existing]
        tz = timezone.get_current_timezone()
        sums = {f"s_{name}": Sum(name) for name in self.day_sums}
        for first, last in _merged(missing):
            rows = (
                self.table()
                .filter(hour__gte=first, hour__lt=last)
                .order_by()
                .values(*self.day_keys, r_day=TruncDay("hour", tzinfo=tz))
                .annotate(**sums)
            )
            out = (
                (
                    row["r_day"],
                    *(row[name] for name in self.day_keys),
                    *(row[name] for name in sums),
                )
                for row in rows.iterator(chunk_size=CHUNK)
            )
            for batch in _batches(out, CHUNK):
                insert_rows(
                    self.day_model, ("day", *self.day_keys, *self.day_sums), batch
                )
        RollupDay.objects.bulk_create(
            [
                RollupDay(source=self.source.code, start=first, end=last)
                for first, last in missing
            ],
            batch_size=2000,
        )
        return len(missing)

    def marks(self) -> QuerySet:
        raise NotImplementedError

    def group(self, window: Window) -> tuple[dict, dict]:
        """(the grouping keys besides the hour and the subject, the
        aggregates) of the source's rows."""
        raise NotImplementedError

    def to_rows(self, row: dict) -> Iterator[tuple]:
        """The rollup rows (``columns`` order) of one grouped row."""
        raise NotImplementedError

    def sums(self) -> tuple[dict, dict]:
        """(the extra keys, the sums) of a read."""
        raise NotImplementedError

    def finish(self, rows: list[dict], keys: dict) -> list[dict]:
        return rows

    def cut(self, now: datetime) -> datetime:
        """The hours before this may be rolled up at ``now``: those that have
        ended, whose rows' counts no longer change with the clock."""
        return floor_hour(now)

    def measured_at(self, end: datetime, now: datetime) -> datetime:
        """The ``now`` the hours up to ``end`` are counted at: any moment
        after them gives the same counts."""
        return end

    def hour_rows(
        self, first: datetime, end: datetime, now: datetime | None = None
    ) -> Iterator[tuple]:
        """The rollup rows of the hours [first, end), from the source's rows
        with the measures' (and the fold's) own aggregates, one grouped query.

        More than ``STREAM_AFTER`` of hours (a first build: a year of SLA
        clocks is ~400,000 rows at a million complaints) are read in chunks
        through a server-side cursor, so memory stays at one chunk (with
        ``DATABASE_DISABLE_SERVER_SIDE_CURSORS``, behind PgBouncer, Django
        fetches the whole result client-side: the bound then does not hold for
        a first build). PostgreSQL plans a cursor without parallel workers,
        which doubles a day's refresh (0.38 → 0.78 s at 1M), so shorter runs,
        the everyday refresh, are fetched at once (a week is ~8,000 rows)."""
        source = self.source
        now = self.measured_at(end, now or end)
        window = Window(start=first, end=end, now=now, year_start=first)
        extra, aggregates = self.group(window)
        rows = (
            source.queryset(window)
            .order_by()
            .values(
                r_hour=TruncHour(source.date_field, tzinfo=UTC),
                r_staff=F(source.staff),
                r_team=F(source.team),
                r_dept=F(source.department),
                **extra,
            )
            .annotate(**aggregates)
        )
        streamed = end - first > STREAM_AFTER
        for row in rows.iterator(chunk_size=CHUNK) if streamed else rows:
            yield from self.to_rows(row)

    def refresh(
        self, *, start: datetime, end: datetime, now: datetime | None = None
    ) -> RefreshSummary:
        """Make the rollup current for the hours in [start, end) before its
        cut at ``now`` (``start`` on the hour; the cut: the hours that ended,
        or that settled, ``cut()``): roll up those not rolled up yet,
        recompute every rolled-up hour of a day a change marked (wherever it
        lies), consume the marks. The summary's ``cut`` tells the reader
        where the live reading starts. One transaction; safe to run
        concurrently (serialised) and again."""
        started = time.perf_counter()
        summary = RefreshSummary()
        start = floor_hour(start)
        now = now or timezone.now()
        with transaction.atomic():
            _lock()
            summary.cut = cut = self.cut(now)
            through = min(end, cut)
            self.unroll(cut)
            marks = list(self.marks().values_list("pk", "utc_day"))
            rolled = RollupHour.objects.filter(source=self.source.code)
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
            done = rolled.filter(hour__gte=start, hour__lt=through)
            # Counted first (an index-only scan): a year is ~8,800 hours, and
            # fetching them all on every computation cost ~70 ms per rollup.
            if start < through and done.count() < (through - start) // HOUR:
                have = set(done.values_list("hour", flat=True))
                wanted = set(_hours(start, through)) - have
            todo = sorted(stale | wanted)
            dropped: list[tuple] = []
            for first, last in _runs(todo):
                dropped += self.drop_days(first, last)
                self.table().filter(hour__gte=first, hour__lt=last).delete()
                # Streamed: a year from empty is ~400,000 rows at a million
                # complaints; memory stays at one batch of them.
                for rows in _batches(self.hour_rows(first, last, now), CHUNK):
                    insert_rows(self.model, self.columns, rows)  # COPY on PostgreSQL
                    summary.rows += len(rows)
            RollupHour.objects.bulk_create(
                [
                    RollupHour(source=self.source.code, hour=hour)
                    for hour in sorted(wanted)
                ],
                batch_size=2000,
                ignore_conflicts=True,
            )
            ids = [pk for pk, _ in marks]
            for n in range(0, len(ids), CHUNK):
                self.marks().filter(pk__in=ids[n : n + CHUNK]).delete()
            # The whole days now rolled up: those of the hours asked for, and
            # those whose sums a recompute dropped (wherever they lie).
            summary.days = self.compact(
                _local_days(start, through)
                + [(first, last) for first, last in dropped if last <= cut]
            )
        summary.hours, summary.stale = len(todo), len(stale)
        summary.marks = len(marks)
        summary.seconds = time.perf_counter() - started
        return summary

    def unroll(self, cut: datetime) -> None:
        """Forget the rolled-up hours from ``cut`` on (none but for a source
        whose rows settle late)."""

    def read(
        self, ranges: dict[int, tuple[datetime, datetime]], keys: dict, fold_keys: dict
    ) -> list[dict]:
        """The rollup's rows of each period's hours (``{period_id: (start,
        end)}``) in the shape of the source's grouped rows: ``keys``
        (``g_staff`` …) and ``fold_keys`` as names, the measures' ``__num``/
        ``__den``/``__neg`` (and the fold's aggregates) summed, and
        ``g_period`` (the period of the row). The summed days that lie wholly
        in a period are read from the daily rollup, its other hours from the
        hourly one; a group may come back from both (the caller sums)."""
        if not ranges:
            return []
        names = {
            "g_staff": F("staff_id"),
            "g_team": F("team_id"),
            "g_dept": F("department_id"),
        }
        values = {name: names[name] for name in keys}
        extra, sums = self.sums()
        if set(fold_keys) - set(extra):
            raise ValueError(f"the {self.source.code} rollup has no keys {fold_keys}")
        values.update(extra)
        low = min(first for first, _ in ranges.values())
        high = max(end for _, end in ranges.values())
        summed = sorted(
            self.days()
            .filter(start__gte=low, end__lte=high)
            .values_list("start", "end")
        )
        hours: list[tuple[int, datetime, datetime]] = []
        days: list[tuple[int, datetime, datetime]] = []
        for pid, (first, end) in ranges.items():
            runs = _merged([(a, b) for a, b in summed if a >= first and b <= end])
            days += [(pid, a, b) for a, b in runs]
            hours += [(pid, a, b) for a, b in _without(first, end, runs)]
        rows = self._read(self.table(), "hour", hours, values, sums)
        rows += self._read(self.day_table(), "day", days, values, sums)
        return self.finish(rows, keys)

    @staticmethod
    def _read(table, field: str, parts, values: dict, sums: dict) -> list[dict]:
        """The grouped sums of ``table``'s rows whose ``field`` lies in one of
        ``parts`` ((period, start, end)), each placed in its period."""
        if not parts:
            return []
        spans = [
            (pid, Q(**{f"{field}__gte": first, f"{field}__lt": end}))
            for pid, first, end in parts
        ]
        where = Q()
        for _, span in spans:
            where |= span
        values = dict(values)
        periods = {pid for pid, _ in spans}
        if len(periods) > 1:
            values["g_period"] = Case(
                *[When(span, then=Value(pid)) for pid, span in spans],
                output_field=IntegerField(),
            )
        rows = list(table.filter(where).order_by().values(**values).annotate(**sums))
        if len(periods) == 1:
            only = next(iter(periods))
            for row in rows:
                row["g_period"] = only
        return rows


class SlaRollup(Rollup):
    """The SLA clocks that fell due: ``sla_compliance_rate`` and the
    dashboard's missed clocks by kind (its fold)."""

    source = SLA_TARGETS_DUE
    model = SlaHour
    measure = "sla_compliance_rate"
    columns = (
        "hour",
        "kind",
        "staff_id",
        "team_id",
        "department_id",
        "num",
        "den",
        "missed",
    )
    NUM, DEN, MISSED = f"{measure}__num", f"{measure}__den", "f_missed"
    day_model = SlaDay
    day_keys = ("kind", "staff_id", "team_id", "department_id")
    day_sums = ("num", "den", "missed")

    def serves(self, codes: set[str]) -> bool:
        on_source = {m.code for m in MEASURES.values() if m.source is self.source}
        return enabled() and (codes & on_source) <= {self.measure}

    def marks(self) -> QuerySet:
        return SlaChange.objects.all()

    def group(self, window: Window) -> tuple[dict, dict]:
        return {"r_kind": F("kind")}, {
            **measure_aggregates(MEASURES[self.measure], window),
            **FOLDS[self.source.code].aggregates,
        }

    def to_rows(self, row: dict) -> Iterator[tuple]:
        yield (
            row["r_hour"],
            row["r_kind"],
            row["r_staff"],
            row["r_team"],
            row["r_dept"],
            row[self.NUM] or 0,
            row[self.DEN] or 0,
            row[self.MISSED] or 0,
        )

    def sums(self) -> tuple[dict, dict]:
        return {"f_kind": F("kind")}, {
            self.NUM: Sum("num"),
            self.DEN: Sum("den"),
            self.MISSED: Sum("missed"),
        }


class MeasureRollup(Rollup):
    """A source whose figures depend on its rows alone: every measure on it,
    one ``MeasureHour`` row per group of rows and measure."""

    model = MeasureHour
    columns = (
        "source",
        "hour",
        "code",
        "staff_id",
        "team_id",
        "department_id",
        "num",
        "den",
        "neg",
    )
    day_model = MeasureDay
    day_keys = ("source", "code", "staff_id", "team_id", "department_id")
    day_sums = ("num", "den", "neg")

    def __init__(self, source: Source):
        self.source = source
        # Once, not per grouped row (a first build writes ~100,000 groups).
        self.measures: tuple[Measure, ...] = tuple(
            m for m in MEASURES.values() if m.source is source
        )

    def serves(self, codes: set[str]) -> bool:
        return enabled()

    def table(self) -> QuerySet:
        return MeasureHour.objects.filter(source=self.source.code)

    def day_table(self) -> QuerySet:
        return MeasureDay.objects.filter(source=self.source.code)

    def marks(self) -> QuerySet:
        return RollupChange.objects.filter(source=self.source.code)

    def group(self, window: Window) -> tuple[dict, dict]:
        aggregates: dict = {}
        for measure in self.measures:
            aggregates.update(measure_aggregates(measure, window))
        return {}, aggregates

    def to_rows(self, row: dict) -> Iterator[tuple]:
        # Every measure, zeros included: a group of rows makes its subjects
        # part of the snapshot whatever its counts, as when read live.
        for measure in self.measures:
            code = measure.code
            yield (
                self.source.code,
                row["r_hour"],
                code,
                row["r_staff"],
                row["r_team"],
                row["r_dept"],
                row.get(f"{code}__num") or 0,
                row.get(f"{code}__den") or 0,
                row.get(f"{code}__neg") or 0,
            )

    def sums(self) -> tuple[dict, dict]:
        return {"r_code": F("code")}, {
            "r_num": Sum("num"),
            "r_den": Sum("den"),
            "r_neg": Sum("neg"),
        }

    def finish(self, rows: list[dict], keys: dict) -> list[dict]:
        """One row per group and period, the measures side by side (the
        source's grouped rows' shape)."""
        merged: dict[tuple, dict] = {}
        for row in rows:
            key = (row["g_period"], *(row[name] for name in keys))
            out = merged.get(key)
            if out is None:
                out = merged[key] = {name: row[name] for name in keys}
                out["g_period"] = row["g_period"]
            code = row["r_code"]
            # summed: a group may come from the hourly and the daily rollup
            for part in ("num", "den", "neg"):
                name = f"{code}__{part}"
                out[name] = out.get(name, 0) + row[f"r_{part}"]
        return list(merged.values())


class SettlingRollup(MeasureRollup):
    """A source whose rows' counts change with the clock until they settle
    (the complaints received: "replied within 4 h" and "first response in
    time" become misses when the time passes, without any write). An hour is
    rolled up only once every row in it has settled; the cut is the earliest
    hour holding a row that has not (``unsettled``), or the hour ``lag``
    before now, whichever is earlier. Hours are counted at the refresh's
    ``now`` (after settling, any later moment gives the same counts), and a
    rolled-up hour that a write unsettles again (a complaint resumed from
    hold: its response clock runs again) is forgotten until it settles."""

    def __init__(self, source: Source, unsettled, lag: timedelta):
        super().__init__(source)
        self.unsettled = unsettled  # now -> the rows not settled at now
        self.lag = lag

    def cut(self, now: datetime) -> datetime:
        cut = floor_hour(now - self.lag)
        earliest = (
            self.unsettled(now)
            .order_by()
            .aggregate(first=Min(self.source.date_field))["first"]
        )
        return cut if earliest is None else min(cut, floor_hour(earliest))

    def measured_at(self, end: datetime, now: datetime) -> datetime:
        return now

    def unroll(self, cut: datetime) -> None:
        self.drop_days(cut, None)
        hours = RollupHour.objects.filter(source=self.source.code, hour__gte=cut)
        if hours.exists():
            self.table().filter(hour__gte=cut).delete()
            hours.delete()


def _received_unsettled(now: datetime) -> QuerySet:
    """Complaints whose first response is due and not given yet: they become
    misses of ``response_sla_rate`` when the due time passes."""
    return Complaint.objects.filter(
        first_response_at__isnull=True, first_response_due_at__gte=now
    ).exclude(status=Complaint.Status.REJECTED)


SLA = SlaRollup()
# The sources rolled up by measure: their figures depend on their rows alone
# (not on the moment of computation), and each change to what they read is
# marked by the triggers of migrations 0018 and 0020; a source added here
# needs its triggers.
MEASURE_ROLLUPS = {
    source.code: MeasureRollup(source)
    for source in (
        COMPLAINTS_RESOLVED,
        SURVEYS_ANSWERED,
        COMPLAINTS_ATTRIBUTED,
        REVISITS_DUE,
        # An hour hardly groups them (about one row per revisit, bench/README
        # scale run 7); a day sums a staff member's into one row per indicator.
        REVISITS_DONE,
    )
}
# An unreplied complaint becomes a miss of reply_4h_rate 4 hours after receipt.
MEASURE_ROLLUPS[COMPLAINTS_RECEIVED.code] = SettlingRollup(
    COMPLAINTS_RECEIVED, _received_unsettled, REPLY_TARGET
)
ROLLUPS = {SLA.source.code: SLA, **MEASURE_ROLLUPS}


def serving(source: Source, codes: set[str]) -> Rollup | None:
    """The rollup that can serve ``source``'s indicators ``codes``, if any."""
    rollup = ROLLUPS.get(source.code)
    return rollup if rollup is not None and rollup.serves(codes) else None


def refresh(
    *, start: datetime, end: datetime, now: datetime | None = None
) -> RefreshSummary:
    """``Rollup.refresh`` of every rollup (when turned on)."""
    summary = RefreshSummary()
    if enabled():
        for rollup in ROLLUPS.values():
            summary.add(rollup.refresh(start=start, end=end, now=now))
    return summary


def split(
    window: Window, cut: datetime | None = None
) -> tuple[tuple[datetime, datetime] | None, Window | None]:
    """A period's window as (its hours [start, end) read from a rollup, or
    None; the live remainder, or None): the hours before ``cut`` (default:
    those that ended by ``window.now``; a refresh's ``cut``) come from the
    rollup, the rest is read live. A window not on whole hours (a time zone
    with a half-hour offset) is read live."""
    if not (_aligned(window.start) and _aligned(window.end)):
        return None, window
    cut = floor_hour(window.now) if cut is None else cut
    if cut <= window.start:
        return None, window
    if window.end <= cut:
        return (window.start, window.end), None
    return (window.start, cut), replace(window, start=cut)
