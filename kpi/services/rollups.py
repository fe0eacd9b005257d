"""Daily rollup of the SLA clocks that fell due (``kpi.SlaDay``).

``sla_compliance_rate`` and the dashboard's missed clocks by kind read every
clock that fell due in the period joined to its complaint (the attribution and
the rejection live there): a month is ~200,000 clocks at a million complaints,
a year ~4.5 million. The rollup keeps, per local day, the same grouped counts
(assignee, team, department and kind → counted, met in time, missed), so a
period reads a few hundred rows a day and only the current day live.

Exactness: a day before the computation's local date holds only clocks whose
due time has passed, so its counts depend on the rows alone, never on the
moment of computation. Database triggers (migration ``kpi.0017_sla_rollup``)
write a ``SlaChange`` mark in the transaction of every write that can change a
day's counts, whatever the path (services, ``QuerySet.update()``, the demo's
COPY, raw SQL); ``refresh`` recomputes the marked days that were rolled up,
rolls up the days a computation needs, and deletes the marks it read (by id:
a mark committed meanwhile stays). Refreshes are serialised by a transaction
lock. The counts come from the measure's own aggregates and the fold's own
filter over ``SLA_TARGETS_DUE``'s rows: one definition, rolled up or live.
Results are identical to the live reading (tested, ``KPI_ROLLUPS = False``
turns the rollup off).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from kpi.measures import MEASURES, SLA_TARGETS_DUE, Window
from kpi.models import RollupDay, SlaChange, SlaDay

SOURCE = SLA_TARGETS_DUE
# The measures on the source that the rollup serves, and its columns: the
# measure's numerator and denominator, the fold's missed clocks.
MEASURE = "sla_compliance_rate"
NUM, DEN, MISSED = f"{MEASURE}__num", f"{MEASURE}__den", "f_missed"
LOCK_KEY = 0x4B5046534C41  # "KPFSLA": serialises refreshes (PostgreSQL)
DELETE_CHUNK = 5000


def enabled() -> bool:
    return getattr(settings, "KPI_ROLLUPS", True)


def serves(codes: set[str]) -> bool:
    """True when the rollup holds every active measure of the source."""
    on_source = {m.code for m in MEASURES.values() if m.source is SOURCE}
    return enabled() and (codes & on_source) <= {MEASURE}


def _tz():
    return timezone.get_default_timezone()


def midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, dtime.min), _tz())


def horizon(now: datetime) -> date:
    """Days before this local date can be rolled up (all their clocks are
    due); this day and later ones are read live."""
    return timezone.localdate(now, _tz())


def _local_days(utc_day: date) -> set[date]:
    """The local days that the UTC day ``utc_day`` overlaps."""
    start = datetime.combine(utc_day, dtime.min, tzinfo=UTC)
    first = timezone.localdate(start, _tz())
    last = timezone.localdate(start + timedelta(days=1, microseconds=-1), _tz())
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Sorted days as [first, end) runs of consecutive days."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] == day:
            runs[-1] = (runs[-1][0], day + timedelta(days=1))
        else:
            runs.append((day, day + timedelta(days=1)))
    return runs


@dataclass
class RefreshSummary:
    days: int = 0  # days (re)computed
    stale: int = 0  # of which rolled-up days made stale by a change
    rows: int = 0  # rollup rows written
    marks: int = 0  # change marks consumed
    seconds: float = 0.0


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _day_rows(first: date, end: date) -> list[SlaDay]:
    """The rollup rows of local days [first, end), from the source's rows with
    the measure's and the fold's own aggregates."""
    from kpi.services.compute import _aggregates
    from kpi.services.dashboard import FOLDS

    start, stop = midnight(first), midnight(end)
    window = Window(start=start, end=stop, now=stop, year_start=start)
    aggregates = {
        **_aggregates(MEASURES[MEASURE], window),
        **FOLDS[SOURCE.code].aggregates,
    }
    rows = (
        SOURCE.queryset(window)
        .order_by()
        .values(
            r_day=TruncDate("due_at", tzinfo=_tz()),
            r_kind=F("kind"),
            r_staff=F(SOURCE.staff),
            r_team=F(SOURCE.team),
            r_dept=F(SOURCE.department),
        )
        .annotate(**aggregates)
    )
    return [
        SlaDay(
            day=row["r_day"],
            kind=row["r_kind"],
            staff_id=row["r_staff"],
            team_id=row["r_team"],
            department_id=row["r_dept"],
            num=row[NUM] or 0,
            den=row[DEN] or 0,
            missed=row[MISSED] or 0,
        )
        for row in rows
    ]


def refresh(*, start: date, end: date, now: datetime | None = None) -> RefreshSummary:
    """Make the rollup current for the local days [start, end) before
    ``horizon(now)``: roll up those not rolled up yet, recompute every
    rolled-up day a change marked (wherever it lies), consume the marks.
    One transaction; safe to run concurrently (serialised) and again."""
    started = time.perf_counter()
    summary = RefreshSummary()
    through = min(end, horizon(now or timezone.now()))
    with transaction.atomic():
        _lock()
        marks = list(SlaChange.objects.values_list("pk", "utc_day"))
        marked: set[date] = set()
        for utc_day in {d for _, d in marks}:
            marked |= _local_days(utc_day)
        rolled = RollupDay.objects.filter(source=SOURCE.code)
        stale = (
            set(rolled.filter(day__in=marked).values_list("day", flat=True))
            if marked
            else set()
        )
        wanted: set[date] = set()
        if start < through:
            have = set(
                rolled.filter(day__gte=start, day__lt=through).values_list(
                    "day", flat=True
                )
            )
            wanted = {
                start + timedelta(days=n) for n in range((through - start).days)
            } - have
        todo = sorted(stale | wanted)
        if todo:
            SlaDay.objects.filter(day__in=todo).delete()
            rows: list[SlaDay] = []
            for first, last in _runs(todo):
                rows += _day_rows(first, last)
            SlaDay.objects.bulk_create(rows, batch_size=2000)
            RollupDay.objects.bulk_create(
                [RollupDay(source=SOURCE.code, day=day) for day in sorted(wanted)],
                batch_size=2000,
                ignore_conflicts=True,
            )
            summary.rows = len(rows)
        ids = [pk for pk, _ in marks]
        for n in range(0, len(ids), DELETE_CHUNK):
            SlaChange.objects.filter(pk__in=ids[n : n + DELETE_CHUNK]).delete()
    summary.days, summary.stale, summary.marks = len(todo), len(stale), len(marks)
    summary.seconds = time.perf_counter() - started
    return summary


def split(window: Window) -> tuple[tuple[date, date] | None, Window | None]:
    """A period's window as (rolled-up local days [first, end), or None; the
    live remainder, or None): days before ``horizon(window.now)`` come from
    the rollup."""
    cut = horizon(window.now)
    first, end = window.start_date, window.end_date
    if (
        first is None
        or end is None
        or cut <= first
        or window.start != midnight(first)  # not a period of local days
        or window.end != midnight(end)
    ):
        return None, window
    if end <= cut:
        return (first, end), None
    return (first, cut), replace(window, start=max(window.start, midnight(cut)))


def rolled_rows(
    days: dict[int, tuple[date, date]], keys: dict, fold_keys: dict
) -> list[dict]:
    """The rollup's rows of each period's days (``{period_id: (first, end)}``)
    in the shape of the source's grouped rows: ``keys`` (``g_staff`` …) and
    ``fold_keys`` (``f_kind``) as names, the measure's ``__num``/``__den`` and
    the fold's ``f_missed`` summed, and ``g_period`` (the period of the row)."""
    if not days:
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
    low = min(first for first, _ in days.values())
    high = max(end for _, end in days.values())
    only = next(iter(days)) if len(days) == 1 else None
    if only is None:
        values["g_period"] = Case(
            *[
                When(Q(day__gte=first, day__lt=end), then=Value(pid))
                for pid, (first, end) in days.items()
            ],
            output_field=IntegerField(),
        )
    rows = list(
        SlaDay.objects.filter(day__gte=low, day__lt=high)
        .order_by()
        .values(**values)
        .annotate(**{NUM: Sum("num"), DEN: Sum("den"), MISSED: Sum("missed")})
    )
    if only is not None:
        for row in rows:
            row["g_period"] = only
    return rows
