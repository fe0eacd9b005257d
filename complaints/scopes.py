"""Row scopes of the complaints models (registered with ``crm.scoping``).

A complaint belongs to its department and team; its assignee and the customer's
account manager "own" it; the staff member who registered it keeps reading it
wherever the routing sent it (a reader, not a worker); a partner sees what it submitted. Agents and handlers
also see unassigned complaints of their team. QA inspectors and relations
specialists read their whole department's complaints. Child rows (events,
replies, notes, attachments, SLA targets, surveys) follow their complaint, CAPA
events their CAPA. Configuration (categories, calendars, policies and their
change log, rules) is visible to all staff.
"""

from __future__ import annotations

from crm.roles import STAFF_ROLES, Role
from crm.scoping import ScopePaths, register_scopes

COMPLAINT_DEPARTMENT_ROLES = frozenset(
    {Role.MANAGER, Role.QA_INSPECTOR, Role.RELATIONS_SPECIALIST}
)


def _complaint_paths(prefix: str = "") -> ScopePaths:
    return ScopePaths(
        department=f"{prefix}department",
        team=f"{prefix}team",
        owners=(f"{prefix}assignee", f"{prefix}customer__owner"),
        readers=(f"{prefix}created_by",),
        partner=f"{prefix}source_partner",
        assignee=f"{prefix}assignee",
        department_roles=COMPLAINT_DEPARTMENT_ROLES,
    )


def _capa_paths(prefix: str = "") -> ScopePaths:
    return ScopePaths(
        department=f"{prefix}department",
        team=f"{prefix}team",
        owners=(f"{prefix}owner", f"{prefix}created_by"),
        department_roles=frozenset({Role.MANAGER, Role.QA_INSPECTOR}),
    )


CONFIG = ScopePaths(everyone=frozenset(STAFF_ROLES))
# The knowledge base: its writers and the front line who read it.
KNOWLEDGE = ScopePaths(
    everyone=frozenset(
        {
            Role.ADMIN,
            Role.MANAGER,
            Role.SUPERVISOR,
            Role.AGENT,
            Role.COMPLAINT_HANDLER,
        }
    )
)


def register() -> None:
    register_scopes(
        {
            "complaints.Complaint": _complaint_paths(),
            "complaints.ComplaintEvent": _complaint_paths("complaint__"),
            "complaints.ComplaintReply": _complaint_paths("complaint__"),
            "complaints.ComplaintNote": _complaint_paths("complaint__"),
            "complaints.ComplaintAttachment": _complaint_paths("complaint__"),
            "complaints.SlaTarget": _complaint_paths("complaint__"),
            "complaints.SatisfactionSurvey": _complaint_paths("complaint__"),
            # Administrators only (crm.roles gives no other role a permission).
            "complaints.InboundEmail": _complaint_paths("complaint__"),
            "complaints.CustomerMessage": _complaint_paths("complaint__"),
            "complaints.CorrectiveAction": _capa_paths(),
            "complaints.CapaEvent": _capa_paths("capa__"),
            "complaints.CapaEvidence": _capa_paths("capa__"),
            "complaints.Category": CONFIG,
            "complaints.SlaPolicy": CONFIG,
            "complaints.SlaPolicyChange": CONFIG,
            "complaints.BusinessCalendar": CONFIG,
            "complaints.CalendarDay": CONFIG,
            "complaints.AssignmentRule": CONFIG,
            "complaints.MessageTemplate": CONFIG,
            "complaints.Phrase": CONFIG,
            # The roles that read or write articles; non-editors read the
            # published ones only (complaints.selectors.article_list).
            "complaints.Article": KNOWLEDGE,
            "complaints.ArticleVersion": CONFIG,
            "complaints.ArticleUse": _complaint_paths("complaint__"),
        }
    )
