"""Admin of complaints (Chinese by default), one module per subject.

Importing the submodules registers their admins:

- ``complaint``: ComplaintAdmin (list, intake form, workflow panel, list actions)
  with its ``inlines`` and list ``filters``
- ``categories``: categories and assignment rules
- ``sla``: business calendars, calendar days, SLA policies
- ``capa``: corrective actions
- ``surveys``: satisfaction surveys
- ``inbound``: received e-mail and its quarantine (read-only)
- ``messages``: messages to customers (outbox, read-only) and their templates
- ``knowledge``: the knowledge base (articles, earlier versions, use on complaints)
"""

from complaints.admin.capa import CorrectiveActionAdmin
from complaints.admin.categories import AssignmentRuleAdmin, CategoryAdmin
from complaints.admin.complaint import ComplaintAdmin
from complaints.admin.inbound import InboundEmailAdmin
from complaints.admin.knowledge import ArticleAdmin
from complaints.admin.messages import CustomerMessageAdmin, MessageTemplateAdmin
from complaints.admin.phrases import PhraseAdmin
from complaints.admin.sla import BusinessCalendarAdmin, CalendarDayAdmin, SlaPolicyAdmin
from complaints.admin.surveys import SatisfactionSurveyAdmin

__all__ = [
    "ArticleAdmin",
    "AssignmentRuleAdmin",
    "BusinessCalendarAdmin",
    "CalendarDayAdmin",
    "CategoryAdmin",
    "ComplaintAdmin",
    "CorrectiveActionAdmin",
    "CustomerMessageAdmin",
    "InboundEmailAdmin",
    "MessageTemplateAdmin",
    "PhraseAdmin",
    "SatisfactionSurveyAdmin",
    "SlaPolicyAdmin",
]

# crm's revisit admin plus "problem found → new complaint" (registered on import).
from complaints import admin_revisits  # noqa: F401
