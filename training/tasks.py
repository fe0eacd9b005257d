"""Celery tasks of the training app: thin, named, safe to run twice."""

from celery import shared_task

from crm.models import User
from training import services


@shared_task(name="training.certification_sweep")
def certification_sweep() -> dict:
    """Daily (beat): expire certifications, remind holders once per window."""
    return services.certification_sweep()


@shared_task(name="training.attitude_check")
def attitude_check(staff_id: int) -> int | None:
    """Run the attitude-complaint rule for one staff member (enqueue on commit
    when a complaint is attributed to them). Returns the new assignment's id."""
    try:
        staff = User.objects.get(pk=staff_id)
    except User.DoesNotExist:
        return None
    assignment = services.assignment_check_attitude_complaints(staff=staff)
    return assignment.pk if assignment else None
