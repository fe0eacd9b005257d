"""Complaints: the lifecycle record, its events, SLA clocks, calendars and CAPA.

State changes go through ``complaints.services`` only (house style rule 1); the
models hold data and constraints, no business logic.

One module per subject; every name stays importable from ``complaints.models``
(migrations reference ``complaints.models.attachment_path``):

- ``taxonomy``: Category, Channel, Severity
- ``sla``: BusinessCalendar, CalendarDay, SlaPolicy, SlaTarget
- ``intake``: AssignmentRule, ReferenceCounter
- ``complaint``: Complaint, ComplaintReply, ComplaintNote, ComplaintAttachment
- ``events``: ComplaintEvent (append-only), ImmutableRowError
- ``survey``: SatisfactionSurvey
- ``inbound``: InboundEmail (received mail, quarantine)
- ``messages``: CustomerMessage (outbox to the customer), MessageTemplate
- ``phrases``: Phrase (standard phrases for replies, 服务用语)
- ``knowledge``: Article, ArticleVersion, ArticleUse (the knowledge base, 知识库)
- ``capa``: CorrectiveAction, CapaEvent (append-only)
- ``policy_changes``: SlaPolicyChange (append-only)
- ``append_only``: the base of append-only audit rows
"""

from complaints.models.append_only import AppendOnlyModel, AppendOnlyQuerySet
from complaints.models.capa import CapaEvent, CapaEvidence, CorrectiveAction
from complaints.models.complaint import (
    AgentLoad,
    Complaint,
    ComplaintAttachment,
    ComplaintNote,
    ComplaintReply,
    attachment_path,
)
from complaints.models.events import (
    ComplaintEvent,
    ComplaintEventQuerySet,
    ImmutableRowError,
)
from complaints.models.inbound import InboundEmail
from complaints.models.intake import AssignmentRule, ReferenceCounter
from complaints.models.knowledge import Article, ArticleUse, ArticleVersion
from complaints.models.messages import (
    CustomerMessage,
    MessageChannel,
    MessageKind,
    MessageTemplate,
)
from complaints.models.phrases import Phrase
from complaints.models.policy_changes import SlaPolicyChange
from complaints.models.sla import BusinessCalendar, CalendarDay, SlaPolicy, SlaTarget
from complaints.models.survey import SatisfactionSurvey
from complaints.models.taxonomy import Category, Channel, Severity

__all__ = [
    "AgentLoad",
    "Article",
    "ArticleUse",
    "ArticleVersion",
    "AppendOnlyModel",
    "AppendOnlyQuerySet",
    "AssignmentRule",
    "BusinessCalendar",
    "CalendarDay",
    "CapaEvent",
    "CapaEvidence",
    "Category",
    "Channel",
    "Complaint",
    "ComplaintAttachment",
    "ComplaintEvent",
    "ComplaintEventQuerySet",
    "ComplaintNote",
    "ComplaintReply",
    "CustomerMessage",
    "MessageChannel",
    "MessageKind",
    "MessageTemplate",
    "CorrectiveAction",
    "ImmutableRowError",
    "InboundEmail",
    "Phrase",
    "ReferenceCounter",
    "SatisfactionSurvey",
    "Severity",
    "SlaPolicy",
    "SlaPolicyChange",
    "SlaTarget",
    "attachment_path",
]
