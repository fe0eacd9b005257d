"""Write services of the training app (one per state change).

Every service takes keyword-only arguments with the acting staff member first
(``actor``; ``None`` for the scheduler), runs in one transaction, locks the rows
it changes and is safe to call twice. The staff training record readers live in
``training.selectors`` and are re-exported here for the cross-app contract.
"""

from training.selectors import training_record_for, training_records
from training.services.assessments import (
    ASSESSMENT_PLAN,
    add_months,
    assessment_record_result,
    assessment_schedule,
    assessment_update,
    assessments_schedule_for_session,
)
from training.services.assignments import (
    assignment_check_attitude_complaints,
    assignment_complete,
    assignment_create,
    assignment_update,
)
from training.services.certifications import (
    certification_issue,
    certification_renew,
    certification_revoke,
    certification_sweep,
    certification_update,
)
from training.services.sessions import (
    AttendanceEntry,
    enrollment_create,
    session_cancel,
    session_complete,
    session_record_attendance,
)

__all__ = [
    "ASSESSMENT_PLAN",
    "AttendanceEntry",
    "add_months",
    "assessment_record_result",
    "assessment_schedule",
    "assessment_update",
    "assessments_schedule_for_session",
    "assignment_check_attitude_complaints",
    "assignment_complete",
    "assignment_create",
    "assignment_update",
    "certification_issue",
    "certification_renew",
    "certification_revoke",
    "certification_sweep",
    "certification_update",
    "enrollment_create",
    "session_cancel",
    "session_complete",
    "session_record_attendance",
    "training_record_for",
    "training_records",
]
