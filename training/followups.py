"""What training does when a complaint moves: the attitude rule and coaching.

Registered with complaints' follow-up registry in ``TrainingConfig.ready()``
(complaints does not import training, which sits above it). Runs inside the
complaint service's transaction.
"""

from __future__ import annotations

from complaints.categories import ATTITUDE
from training.services.assignments import (
    assignment_check_attitude_complaints,
    assignment_coaching_for_complaint,
)


def attitude_rule(*, complaint, **_moment) -> None:
    """Repeated attitude complaints attributed to one staff member assign the
    etiquette course (``assignment_check_attitude_complaints``, idempotent)."""
    if complaint.attributed_staff_id is None or complaint.category.code != ATTITUDE:
        return
    assignment_check_attitude_complaints(staff=complaint.attributed_staff)


def coaching_rule(*, complaint, to_status, **_moment) -> None:
    """分类改进: a complaint closed with a staff-error cause coaches the staff
    member it is attributed to (``assignment_coaching_for_complaint``, once)."""
    from complaints.models import Complaint

    if (
        to_status == Complaint.Status.CLOSED
        and complaint.cause_type == Complaint.CauseType.STAFF_ERROR
    ):
        assignment_coaching_for_complaint(complaint=complaint)
