"""Daily KPI rollups: every indicator's additive parts per local day and
attribution, from which months, quarters and years are summed.

Every measure of ``kpi.measures`` is additive by day: a period's partial
(numerator, denominator, nps detractors; see ``compute.Partial``) is the sum of
the partials of its days, each row placed on the local date of its source's
``date_field`` — the same bounds the live query buckets by. The filters that
depend on the moment of measurement (``due_end``, "overdue by now", CAPAs due
before today) are row filters evaluated when a day is rolled up; a day is
rolled again while it may still change. Year-to-date sources (training hours)
read the days from 1 January to the period's end. Per-head sums (training hours
of a team) are divided by the headcount after summing, as live.

Building one source over a range of days is one grouped query (the live
query's, grouped by day too); reading a period is one ``SUM … GROUP BY`` over
the rollups (several periods of one kind in one pass, bucketed by day).

Which days are rebuilt (``refresh_rollups``): a recompute of a period rewrites
all its days (``rebuild``); the nightly job rewrites the days of its recent
months and builds any day never rolled, and reads the rest of the quarter and
year from the stored days.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from kpi.measures import MEASURES, SOURCES, Source, Window
from kpi.models import DailyRollup, KpiPeriod, RolledDay
from kpi.services.partials import Partial, _aggregates, _insert

ROLLUP_COLUMNS = (
    "day",
    "indicator",
    "staff_id",
    "team_id",
    "department_id",
    "numerator",
    "denominator",
    "negative",
)
PLACES = Decimal("0.0001")


def _measures(source: Source):
    return [m for m in MEASURES.values() if m.source is source]


def through_staff(source: Source) -> bool:
    """True when the source attributes a row's team and department through its
    staff member (``staff__team``): stored empty, read from the staff member."""
    return source.team.startswith(source.staff + "__")


def _aware(day: date) -> datetime:
    return timezone.make_aware(
        datetime.combine(day, dtime.min), timezone.get_current_timezone()
    )


def day_window(start: date, end: date, now: datetime) -> Window:
    """The window of the local days [start, end) (year-to-date sources too)."""
    low, high = _aware(start), _aware(end)
    return Window(
        start=low, end=high, now=now, year_start=low, start_date=start, end_date=end
    )


def needed_range(source: Source, period: KpiPeriod) -> tuple[date, date]:
    """The days whose rollups make ``period``'s figure of ``source``."""
    start = date(period.start.year, 1, 1) if source.cumulative else period.start
    return start, period.end


def _day(source: Source):
    if source.date_type == "date":
        return F(source.date_field)
    return TruncDate(source.date_field, tzinfo=timezone.get_current_timezone())


def _dec(value) -> Decimal:
    return Decimal(value or 0).quantize(PLACES)


def _rows(source: Source, start: date, end: date, now: datetime) -> list[tuple]:
    """The rollup rows of ``source`` for the days [start, end): one grouped query.

    A (measure, group) whose parts are all zero is left out, unless every
    measure of the group is zero: one zero row then keeps the group (a staff
    member with rows but no figure is still a subject, as live)."""
    measures = _measures(source)
    window = day_window(start, end, now)
    aggregates = {}
    for measure in measures:
        aggregates.update(_aggregates(measure, window))
    keys = {"g_day": _day(source), "g_staff": F(source.staff)}
    derived = through_staff(source)
    if not derived:
        keys["g_team"] = F(source.team)
        keys["g_dept"] = F(source.department)
    rows = []
    for row in source.queryset(window).order_by().values(**keys).annotate(**aggregates):
        day = row["g_day"]
        if day is None:
            continue
        team, dept = (None, None) if derived else (row["g_team"], row["g_dept"])
        group = []
        for measure in measures:
            code = measure.code
            parts = (
                _dec(row.get(f"{code}__num")),
                _dec(row.get(f"{code}__den")),
                _dec(row.get(f"{code}__neg")),
            )
            group.append((day, code, row["g_staff"], team, dept, *parts))
        kept = [g for g in group if any(g[5:])]
        rows += kept or group[:1]
    return rows


def _days(start: date, end: date):
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)


def rebuild_source(source: Source, start: date, end: date, now: datetime) -> int:
    """Rewrite ``source``'s rollups of the days [start, end); returns the rows."""
    return rebuild_ranges([(source, start, end)], now)[source.code]


def rebuild_ranges(
    jobs: list[tuple[Source, date, date]], now: datetime
) -> dict[str, int]:
    """Rewrite the rollups of each (source, first day, day after the last);
    ``{source: rows written}``.

    In one transaction: the days' ``RolledDay`` rows are created if missing and
    locked first (in one order), so two concurrent rebuilds of the same days
    queue — exactly one set of rows per day; then the old rows go in one
    delete and each source's new rows are written as soon as grouped (COPY on
    PostgreSQL)."""
    written = {source.code: 0 for source, _a, _b in jobs}
    if not jobs:
        return written
    cover, gone = Q(), Q()
    for source, start, end in jobs:
        cover |= Q(source=source.code, day__gte=start, day__lt=end)
        codes = [m.code for m in _measures(source)]
        gone |= Q(indicator__in=codes, day__gte=start, day__lt=end)
    with transaction.atomic():
        RolledDay.objects.bulk_create(
            [
                RolledDay(source=source.code, day=day, computed_at=now)
                for source, start, end in jobs
                for day in _days(start, end)
            ],
            ignore_conflicts=True,
            batch_size=2000,
        )
        list(
            RolledDay.objects.select_for_update()
            .filter(cover)
            .order_by("source", "day")
            .values_list("pk", flat=True)
        )
        DailyRollup.objects.filter(gone).delete()
        for source, start, end in jobs:
            rows = _rows(source, start, end, now)
            _insert(DailyRollup, ROLLUP_COLUMNS, rows)
            written[source.code] += len(rows)
        RolledDay.objects.filter(cover).update(computed_at=now)
    return written


def _ranges(days: set[date]) -> list[tuple[date, date]]:
    """Sorted days as contiguous [start, end) ranges."""
    ranges: list[list[date]] = []
    for day in sorted(days):
        if ranges and ranges[-1][1] == day:
            ranges[-1][1] = day + timedelta(days=1)
        else:
            ranges.append([day, day + timedelta(days=1)])
    return [(a, b) for a, b in ranges]


def refresh_rollups(
    periods: list[KpiPeriod],
    *,
    now: datetime,
    sources: list[Source] | None = None,
    rebuild: bool = True,
    fresh_from: date | None = None,
) -> dict[str, int]:
    """Bring the rollups the ``periods`` read up to date; ``{source: rows}``.

    ``rebuild``: every day of the periods is rewritten (a recompute). Otherwise
    only the days from ``fresh_from`` on (default: the first day of last month),
    which may still change, and days never rolled; earlier days are read as
    stored, unless rolled before they were over."""
    if fresh_from is None:
        first = timezone.localdate(now).replace(day=1)
        fresh_from = (first - timedelta(days=1)).replace(day=1)
    jobs = []
    for source in sources or SOURCES:
        needed: set[date] = set()
        for period in periods:
            needed.update(_days(*needed_range(source, period)))
        if not needed:
            continue
        if rebuild:
            todo = needed
        else:
            # a day rolled before it was over (a future day of a recomputed
            # year) is not settled either
            have = {
                day
                for day, at in RolledDay.objects.filter(
                    source=source.code, day__gte=min(needed), day__lte=max(needed)
                ).values_list("day", "computed_at")
                if at >= _aware(day + timedelta(days=1))
            }
            todo = {d for d in needed if d >= fresh_from or d not in have}
        jobs += [(source, start, end) for start, end in _ranges(todo)]
    return rebuild_ranges(jobs, now)


def rollup_partials(
    periods: list[KpiPeriod], codes: set[str]
) -> dict[int, dict[str, dict[tuple, Partial]]]:
    """``{period_id: {code: {(staff_id, team_id, department_id): Partial}}}``
    summed from the rollups, like ``compute.grouped_partials`` from the sources.

    One query per kind of period for the day-bucketed sources (a year's months
    in one pass), one per period for the year-to-date ones."""
    wanted = {m.source.code for c, m in MEASURES.items() if c in codes}
    plain = [c for c, m in MEASURES.items() if m.source.code in wanted]
    cumulative = [c for c in plain if MEASURES[c].source.cumulative]
    plain = [c for c in plain if c not in cumulative]
    partials = {p.pk: defaultdict(dict) for p in periods}
    rows = []
    by_kind = defaultdict(list)
    for period in periods:
        by_kind[period.kind].append(period)
    for batch in by_kind.values():
        if plain:
            rows += _summed(batch, plain, year_to_date=False)
    if cumulative:
        for period in periods:
            rows += _summed([period], cumulative, year_to_date=True)
    teams = _staff_attribution(
        {r["staff_id"] for r in rows if r["staff_id"] is not None}
    )
    for row in rows:
        code = row["indicator"]
        source = MEASURES[code].source
        staff = row["staff_id"]
        if through_staff(source):
            team, dept = teams.get(staff, (None, None))
        else:
            team, dept = row["team_id"], row["department_id"]
        key = (staff, team, dept)
        part = Partial(
            num=row["num"] or Decimal(0),
            den=row["den"] or Decimal(0),
            neg=row["neg"] or Decimal(0),
        )
        by_code = partials[row["g_period"]]
        if code not in codes:
            # a zero row kept for its group: the group is seen by the source's
            # active measures (live: every measure has a partial per group)
            code = next(
                c for c, m in MEASURES.items() if m.source is source and c in codes
            )
            by_code[code].setdefault(key, Partial())
            continue
        target = by_code[code].setdefault(key, Partial())
        target.add(part)
    return partials


def _summed(periods: list[KpiPeriod], codes: list[str], *, year_to_date: bool):
    """Rollups of ``codes`` summed per (period, code, attribution)."""
    if year_to_date:
        (period,) = periods
        start = date(period.start.year, 1, 1)
        bucket = Value(period.pk, output_field=IntegerField())
        span = (start, period.end)
    else:
        bucket = Case(
            *[When(day__gte=p.start, day__lt=p.end, then=Value(p.pk)) for p in periods],
            output_field=IntegerField(),
        )
        span = (min(p.start for p in periods), max(p.end for p in periods))
    rows = (
        DailyRollup.objects.filter(
            day__gte=span[0], day__lt=span[1], indicator__in=codes
        )
        .order_by()
        .values("indicator", "staff_id", "team_id", "department_id", g_period=bucket)
        .annotate(num=Sum("numerator"), den=Sum("denominator"), neg=Sum("negative"))
    )
    return [r for r in rows if r["g_period"] is not None]


def _staff_attribution(staff_ids: set[int]) -> dict[int, tuple]:
    """``{user_id: (team_id, department_id)}`` now (one query)."""
    if not staff_ids:
        return {}
    return {
        pk: (team, dept)
        for pk, team, dept in get_user_model()
        .objects.filter(pk__in=staff_ids)
        .values_list("pk", "team_id", "department_id")
    }


def rebuild_rollups(
    *, start: date, end: date, now: datetime | None = None
) -> dict[str, int]:
    """Rewrite every source's rollups of the days [start, end) (the
    ``kpi_rollups`` command); ``{source: rows}``."""
    now = now or timezone.now()
    return rebuild_ranges([(source, start, end) for source in SOURCES], now)


__all__ = [
    "day_window",
    "needed_range",
    "rebuild_ranges",
    "rebuild_rollups",
    "rebuild_source",
    "refresh_rollups",
    "rollup_partials",
    "through_staff",
]
