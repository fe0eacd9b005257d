"""``manage.py kpi_rollups``: (re)build the daily KPI rollups of a range of days.

After a deployment that adds the rollups, or a bulk import or correction of
old rows (the nightly job rewrites only its recent months), rebuild the days
concerned, then recompute the periods to refresh their snapshots:

    manage.py kpi_rollups --year 2026
    manage.py kpi_rollups --from 2026-03-01 --to 2026-04-01

Each source and month is rewritten in its own transaction (safe to interrupt
and run again; a concurrent rebuild of the same days waits for this one).
"""

from __future__ import annotations

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kpi.measures import SOURCES
from kpi.periods import _add_months
from kpi.services.rollups import rebuild_ranges


class Command(BaseCommand):
    help = "Rebuild the daily KPI rollups of a range of local days."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="every day of this year")
        parser.add_argument(
            "--from", dest="start", type=date.fromisoformat, help="first day"
        )
        parser.add_argument(
            "--to", dest="end", type=date.fromisoformat, help="day after the last"
        )

    def handle(self, *args, year=None, start=None, end=None, **options):
        if year is not None:
            start, end = date(year, 1, 1), date(year + 1, 1, 1)
        elif start is None or end is None:
            today = timezone.localdate()
            start, end = date(today.year, 1, 1), date(today.year + 1, 1, 1)
        if end <= start:
            raise CommandError("--to must be after --from")
        now = timezone.now()
        month = start.replace(day=1)
        total = 0
        while month < end:
            low, high = max(start, month), min(end, _add_months(month, 1))
            started = time.perf_counter()
            rows = sum(rebuild_ranges([(s, low, high) for s in SOURCES], now).values())
            total += rows
            self.stdout.write(
                f"{low:%Y-%m}: {rows:,} rollup rows "
                f"({time.perf_counter() - started:.1f}s)"
            )
            month = _add_months(month, 1)
        self.stdout.write(f"{total:,} rollup rows for {start} – {end}")
