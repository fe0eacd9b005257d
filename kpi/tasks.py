"""Celery tasks of the kpi app: thin, named, safe to run twice."""

from celery import shared_task

from kpi import selectors
from kpi.services.audits import audits_open_due
from kpi.services.compute import kpi_compute_period, kpi_compute_recent_months
from kpi.services.reports import kpi_send_monthly_reports
from kpi.services.sampling import sampling_draw_due


@shared_task(name="kpi.compute_snapshots")
def compute_snapshots() -> list[str]:
    """Nightly: recompute the current and the previous month (replaces snapshots)."""
    return kpi_compute_recent_months(actor=None, months=2)


@shared_task(name="kpi.compute_period")
def compute_period(period_id: int) -> None:
    """Recompute one period by id (a missing period is simply skipped)."""
    period = selectors.period_get(pk=period_id)
    if period is not None:
        kpi_compute_period(actor=None, period=period)


@shared_task(name="kpi.send_monthly_reports")
def send_monthly_reports() -> int:
    """Monthly: last month's reporting pack to each manager, once per month."""
    return kpi_send_monthly_reports()


@shared_task(name="kpi.open_due_audits")
def open_due_audits() -> int:
    """Daily: open this quarter's / half-year's audit of every active plan (once)."""
    return audits_open_due()


@shared_task(name="kpi.draw_inspection_samples")
def draw_inspection_samples() -> int:
    """Daily: each active sampling plan's draw into the inspectors' queues (once)."""
    return sampling_draw_due()
