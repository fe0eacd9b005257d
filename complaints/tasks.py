"""Celery tasks of complaints: thin, named, safe to run twice."""

from celery import shared_task


@shared_task(name="complaints.sla_sweep")
def sla_sweep() -> dict[str, int]:
    """Mark SLA warnings and breaches (beat: every minute)."""
    from complaints.services.sweep import sla_sweep as sweep

    return sweep()
