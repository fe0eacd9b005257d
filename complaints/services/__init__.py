"""Every write of the complaints app (house style: services own state changes).

Import services from here: ``from complaints.services import complaint_resolve``.

The lifecycle after intake is one module per step (assignment, analysis, handling,
holds, deadlines, resolution, closing). Each service is one transaction: lock the
row (``select_for_update``) and check the caller's ``version`` (optimistic locking:
a stale form gets ``VersionConflict``), check the actor's role and scope, check
the status against the transition table, change, write the events, move the SLA
clocks, bump the version, call the follow-ups. Illegal requests raise
``config.errors`` domain errors and change nothing.
"""

from complaints.services.analysis import (
    complaint_record_analysis,
    complaint_start_analysis,
)
from complaints.services.assignment import complaint_assign, complaint_escalate
from complaints.services.attachments import complaint_attach
from complaints.services.capa import (
    capa_attach_evidence,
    capa_cancel,
    capa_complete,
    capa_create,
    capa_link_complaints,
    capa_start,
    capa_update,
    capa_verify,
)
from complaints.services.closing import (
    complaint_archive,
    complaint_auto_close,
    complaint_close,
    complaint_reject,
    complaint_reopen,
)
from complaints.services.common import TRANSITIONS
from complaints.services.deadlines import (
    complaint_change_severity,
    complaint_override_due,
)
from complaints.services.handling import (
    complaint_add_note,
    complaint_record_contact,
    complaint_reply,
    complaint_start_handling,
)
from complaints.services.holds import complaint_hold, complaint_resume
from complaints.services.inbound import inbound_email_receive, inbound_email_retry
from complaints.services.intake import complaint_receive
from complaints.services.knowledge import (
    article_create,
    article_review_reminders,
    article_update,
    article_use,
)
from complaints.services.policy_updates import sla_policy_update
from complaints.services.resolution import (
    complaint_confirm,
    complaint_resolve,
    survey_record_answer,
)
from complaints.services.revisit_problems import (
    revisit_complete_confirmation,
    revisit_complete_with_complaint,
)
from complaints.services.submission import complaint_submit
from complaints.services.surveys import survey_answer_by_token

__all__ = [
    "TRANSITIONS",
    "article_create",
    "article_review_reminders",
    "article_update",
    "article_use",
    "capa_attach_evidence",
    "capa_cancel",
    "capa_complete",
    "capa_create",
    "capa_link_complaints",
    "capa_start",
    "capa_update",
    "capa_verify",
    "complaint_add_note",
    "complaint_archive",
    "complaint_attach",
    "complaint_auto_close",
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
    "complaint_submit",
    "inbound_email_receive",
    "inbound_email_retry",
    "revisit_complete_confirmation",
    "revisit_complete_with_complaint",
    "sla_policy_update",
    "survey_answer_by_token",
    "survey_record_answer",
]
