"""Celery tasks of complaints: thin, named, safe to run twice."""

from celery import shared_task

# Published by the messages to customers; registered from here with the rest.
from complaints.services.message_delivery import deliver_customer_messages  # noqa: F401


@shared_task(name="complaints.sla_sweep")
def sla_sweep() -> dict[str, int]:
    """Mark SLA warnings and breaches (beat: every minute)."""
    from complaints.services.sweep import sla_sweep as sweep

    return sweep()


@shared_task(name="complaints.sla_policy_recompute")
def sla_policy_recompute(policy_id: int, actor_id: int | None = None) -> int:
    """Apply an edited SLA policy to the open complaints under it (by id)."""
    from complaints.services.policies import sla_policy_recompute as recompute
    from crm.models import User

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return recompute(policy_id=policy_id, actor=actor)


@shared_task(name="complaints.poll_inbound_email")
def poll_inbound_email() -> dict[str, int]:
    """Read customer mail from the Maildir folder and IMAP (beat: every minute)."""
    from complaints.services.inbound_sources import inbound_poll

    return inbound_poll()


@shared_task(name="complaints.auto_close")
def auto_close() -> int:
    """Close resolved complaints nobody confirmed or disputed (beat: hourly)."""
    from complaints.services.closing import complaints_auto_close

    return complaints_auto_close()


@shared_task(name="complaints.capa_overdue_sweep")
def capa_overdue_sweep() -> dict[str, int]:
    """Remind CAPA owners on the due date, escalate overdue ones (beat: hourly)."""
    from complaints.services.capa_sweep import capa_overdue_sweep as sweep

    return sweep()


@shared_task(name="complaints.capa_spike_sweep")
def capa_spike_sweep() -> int:
    """Draft a CAPA per complaint spike of a subcategory (beat: every 10 min)."""
    from complaints.services.capa_spike import capa_spike_sweep as sweep

    return sweep()


@shared_task(name="complaints.article_review_reminders")
def article_review_reminders() -> int:
    """Notify owners of knowledge articles past their review date, once per
    date (beat: daily)."""
    from complaints.services.knowledge import article_review_reminders as remind

    return remind()
