"""Business-time arithmetic over a ``BusinessCalendar`` (or 24×7).

A ``Schedule`` is built once from a calendar (one query for its dated days) and
then answers, in pure Python, "what instant is N business minutes after t" and
"how many business minutes between a and b". Working intervals are local times
of the calendar's time zone; results are aware datetimes.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

# A search that finds no working time in this many days is a broken calendar.
MAX_DAYS = 800


def _parse_intervals(raw) -> list[tuple[time, time]]:
    intervals = []
    for start, end in raw or []:
        s = time.fromisoformat(start)
        e = time.fromisoformat(end) if end not in ("24:00", "24:00:00") else time.max
        if e > s:
            intervals.append((s, e))
    return sorted(intervals)


def validate_hours(raw) -> list[tuple[time, time]]:
    """Parse a list of ["HH:MM", "HH:MM"] pairs; raise ValueError when malformed."""
    if not isinstance(raw, list):
        raise ValueError("a list of [start, end] pairs is expected")
    for pair in raw:
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            raise ValueError("each interval is [start, end]")
    return _parse_intervals(raw)


class Schedule:
    """Working intervals of a calendar; ``calendar=None`` means 24×7."""

    def __init__(self, calendar=None, *, days: dict[date, str] | None = None):
        self.is_24x7 = calendar is None
        if self.is_24x7:
            return
        self.tz = ZoneInfo(calendar.timezone or "Asia/Shanghai")
        self.week = {
            wd: _parse_intervals((calendar.week_hours or {}).get(str(wd)))
            for wd in range(7)
        }
        self.workday = _parse_intervals(calendar.workday_hours) or next(
            (iv for iv in (self.week[wd] for wd in range(5)) if iv), []
        )
        if days is None:
            days = dict(calendar.days.values_list("date", "kind"))
        self.days = days
        self._cache: dict[date, list[tuple[datetime, datetime]]] = {}

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        kind = self.days.get(day)
        if kind == "holiday":
            local = []
        elif kind == "workday":
            local = self.workday
        else:
            local = self.week[day.weekday()]
        result = []
        for s, e in local:
            start = datetime.combine(day, s, tzinfo=self.tz)
            end = (
                datetime.combine(day + timedelta(days=1), time.min, tzinfo=self.tz)
                if e == time.max
                else datetime.combine(day, e, tzinfo=self.tz)
            )
            result.append((start, end))
        self._cache[day] = result
        return result

    def add(self, start: datetime, minutes: float) -> datetime:
        """The instant ``minutes`` of business time after ``start``."""
        if self.is_24x7 or minutes <= 0:
            return start + timedelta(minutes=max(minutes, 0))
        remaining = timedelta(minutes=minutes)
        local = timezone.localtime(start, self.tz)
        day = local.date()
        cursor = local
        for _ in range(MAX_DAYS):
            for s, e in self.intervals(day):
                if e <= cursor:
                    continue
                begin = max(s, cursor)
                available = e - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
                cursor = e
            day += timedelta(days=1)
        raise ValueError("calendar has no working time in the search window")

    def minutes_between(self, start: datetime, end: datetime) -> int:
        """Whole business minutes from ``start`` to ``end`` (0 if end <= start)."""
        if end <= start:
            return 0
        if self.is_24x7:
            return int((end - start).total_seconds() // 60)
        local_start = timezone.localtime(start, self.tz)
        local_end = timezone.localtime(end, self.tz)
        total = timedelta(0)
        day = local_start.date()
        last = local_end.date()
        while day <= last:
            for s, e in self.intervals(day):
                begin = max(s, local_start)
                finish = min(e, local_end)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return int(total.total_seconds() // 60)


def schedule_for_policy(policy) -> Schedule:
    """The schedule a policy counts in: 24×7, its calendar or the default one."""
    from complaints.models import BusinessCalendar

    if policy is None or policy.is_24x7:
        return Schedule(None)
    calendar = policy.calendar
    if calendar is None:
        calendar = BusinessCalendar.objects.filter(is_default=True).first()
    if calendar is None:
        return Schedule(None)
    return Schedule(calendar)
