"""Calendar arithmetic of KPI periods (months, quarters, years in local time)."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from django.utils import timezone

from kpi.models import KpiPeriod

_KEY = re.compile(r"^(?P<y>[0-9]{4})(?:-(?:(?P<m>[0-9]{2})|Q(?P<q>[1-4])))?$")

# The years a period may fall in: the service's working life, far inside what
# ``datetime.date`` and the database hold (year 0 or 9999-12, whose end is in
# year 10000, would crash the date arithmetic).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def bounds(kind: str, day: date) -> tuple[str, date, date]:
    """``(key, start, end)`` of the period of ``kind`` containing ``day``."""
    if kind == KpiPeriod.Kind.MONTH:
        start = day.replace(day=1)
        end = _add_months(start, 1)
        return f"{start:%Y-%m}", start, end
    if kind == KpiPeriod.Kind.QUARTER:
        quarter = (day.month - 1) // 3
        start = date(day.year, quarter * 3 + 1, 1)
        return f"{day.year}-Q{quarter + 1}", start, _add_months(start, 3)
    if kind == KpiPeriod.Kind.YEAR:
        return str(day.year), date(day.year, 1, 1), date(day.year + 1, 1, 1)
    raise ValueError(f"unknown period kind {kind!r}")


def parse_key(key: str) -> tuple[str, date] | None:
    """``"2026-11"`` → (month, 2026-11-01); ``"2026-Q4"``, ``"2026"`` alike.

    None for anything else, including years outside FIRST_YEAR–LAST_YEAR.
    """
    match = _KEY.fullmatch(key or "")
    if not match:
        return None
    year = int(match["y"])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    if match["m"]:
        month = int(match["m"])
        if not 1 <= month <= 12:
            return None
        return KpiPeriod.Kind.MONTH, date(year, month, 1)
    if match["q"]:
        return KpiPeriod.Kind.QUARTER, date(year, (int(match["q"]) - 1) * 3 + 1, 1)
    return KpiPeriod.Kind.YEAR, date(year, 1, 1)


def period_for(kind: str, day: date) -> KpiPeriod:
    """The period row of ``kind`` containing ``day`` (created when missing)."""
    key, start, end = bounds(kind, day)
    period, _created = KpiPeriod.objects.get_or_create(
        kind=kind, start=start, defaults={"key": key, "end": end}
    )
    return period


def last_months(day: date, count: int) -> list[tuple[str, date, date]]:
    """The ``count`` months ending with the month of ``day``, oldest first."""
    first = day.replace(day=1)
    return [
        bounds(KpiPeriod.Kind.MONTH, _add_months(first, -offset))
        for offset in range(count - 1, -1, -1)
    ]


def aware_range(period: KpiPeriod) -> tuple[datetime, datetime]:
    """The period as aware datetimes: local midnight of start and of end."""
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(period.start, time.min), tz),
        timezone.make_aware(datetime.combine(period.end, time.min), tz),
    )


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
