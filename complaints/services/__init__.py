"""Every write of the complaints app (house style: services own state changes).

Import services from here: ``from complaints.services import complaint_resolve``.
"""

from complaints.services.attachments import complaint_attach
from complaints.services.capa import (
    capa_complete,
    capa_create,
    capa_link_complaints,
    capa_start,
    capa_verify,
)
from complaints.services.common import TRANSITIONS
from complaints.services.intake import complaint_receive
from complaints.services.lifecycle import (
    complaint_add_note,
    complaint_archive,
    complaint_assign,
    complaint_change_severity,
    complaint_close,
    complaint_confirm,
    complaint_escalate,
    complaint_hold,
    complaint_override_due,
    complaint_record_analysis,
    complaint_record_contact,
    complaint_reject,
    complaint_reopen,
    complaint_reply,
    complaint_resolve,
    complaint_resume,
    complaint_start_analysis,
    complaint_start_handling,
    survey_record_answer,
)
from complaints.services.revisit_problems import revisit_complete_with_complaint

__all__ = [
    "TRANSITIONS",
    "capa_complete",
    "capa_create",
    "capa_link_complaints",
    "capa_start",
    "capa_verify",
    "complaint_add_note",
    "complaint_archive",
    "complaint_attach",
    "complaint_assign",
    "complaint_change_severity",
    "complaint_close",
    "complaint_confirm",
    "complaint_escalate",
    "complaint_hold",
    "complaint_override_due",
    "complaint_receive",
    "complaint_record_analysis",
    "complaint_record_contact",
    "complaint_reject",
    "complaint_reopen",
    "complaint_reply",
    "complaint_resolve",
    "complaint_resume",
    "complaint_start_analysis",
    "complaint_start_handling",
    "revisit_complete_with_complaint",
    "survey_record_answer",
]
