"""The staff actions on a complaint: one registry for the API and the admin.

Each ``ComplaintAction`` names one lifecycle service and what a front end needs
to offer it: its label, the roles the service admits, the statuses it is offered
in (from the transition table), the API request body and the workflow panel
fields it reads. Both front ends are built from ``ACTIONS``:

- the API (``complaints.api.views``) has one POST endpoint per action,
  ``/api/v1/complaints/{reference}/<path>/``: request body ``api_input``, answer
  the complaint (``api_status``), gated by the model permission ``permission``;
- the admin's workflow panel (``complaints.admin.complaint``) offers the actions
  valid for the complaint's status and the user's role and permission, and calls
  the service with the panel fields named in ``panel``.

The two sides take input differently on purpose (usernames and codes on the wire;
choices with autocomplete and one shared text box in the panel), so each entry
declares both side by side; ``tests/complaints/test_actions.py`` checks that every
field reaches a parameter of the service. A new action is one entry here: its
service checks the rules, its endpoint and panel choice follow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from complaints import services
from complaints.api import serializers as s
from complaints.models import Complaint
from complaints.services import permissions
from complaints.services.common import FINAL_STATUSES, OPEN_STATUSES, TRANSITIONS
from config.errors import InvalidInput
from crm.models import Team, User
from crm.roles import Role

S = Complaint.Status
EVERY_STATUS = frozenset(S.values)


def leading_to(status: str) -> frozenset[str]:
    """The statuses the transition table lets a complaint leave for ``status``
    (leaving ``on_hold`` is ``resume``'s alone)."""
    return frozenset(
        source
        for source, targets in TRANSITIONS.items()
        if status in targets and source != S.ON_HOLD
    )


@dataclass(frozen=True)
class ComplaintAction:
    """One staff action on a complaint (see the module docstring)."""

    code: str  # the panel's choice value; stable
    label: str | Promise  # the panel's label (translated)
    service: Callable  # called as service(actor=, complaint=, **kwargs)
    roles: frozenset[str]  # the roles the service admits (permissions.*)
    statuses: frozenset[str]  # the statuses it is offered in
    api_input: type[serializers.Serializer]  # the API request body
    panel: Mapping[str, str]  # service keyword -> workflow panel field
    summary: str  # the API operation's summary (English, like the schema)
    path: str = ""  # the API URL segment; default: the code with hyphens
    api_status: int = 200  # 201 where the action adds a row (note, attachment)
    permission: str = "complaints.change_complaint"  # model permission needed
    versioned: bool = True  # the service takes the version the caller read
    # API input -> service keywords where the wire names something by code.
    api_kwargs: Callable[[dict], dict] | None = None

    def __post_init__(self):
        if not self.path:
            object.__setattr__(self, "path", self.code.replace("_", "-"))
        object.__setattr__(self, "panel", MappingProxyType(dict(self.panel)))

    @property
    def api_name(self) -> str:
        """The API viewset's method name (and operation id part)."""
        return self.path.replace("-", "_")

    def offered(self, user, complaint: Complaint) -> bool:
        """Whether the panel offers this action to ``user`` on ``complaint``
        (the service decides whether it succeeds)."""
        return (
            complaint.status in self.statuses
            and permissions.has_role(user, self.roles)
            and user.has_perm(self.permission)
        )

    def kwargs_from_api(self, data: dict) -> dict:
        values = dict(data)
        return self.api_kwargs(values) if self.api_kwargs else values

    def kwargs_from_panel(self, data: dict) -> dict:
        values = {keyword: data.get(name) for keyword, name in self.panel.items()}
        if self.versioned:
            values["version"] = data.get("version")
        return values


def _assign_api_input(values: dict) -> dict:
    """The API names the assignee by username and the team by code."""
    if "assignee" in values:
        user = User.objects.filter(username=values["assignee"], is_active=True).first()
        if user is None:
            raise InvalidInput(_("Unknown staff member."), field="assignee")
        values["assignee"] = user
    if "team" in values:
        team = Team.objects.filter(code=values["team"]).first()
        if team is None:
            raise InvalidInput(_("Unknown team."), field="team")
        values["team"] = team
    return values


TEXT = "text"  # the panel's one text box: note, reason, reply or summary

_ACTIONS = (
    ComplaintAction(
        code="start_analysis",
        label=gettext_lazy("Start analysis"),
        service=services.complaint_start_analysis,
        roles=permissions.WORKERS,
        statuses=leading_to(S.ANALYZING),
        api_input=s.NoteInputSerializer,
        panel={"note": TEXT},
        summary="received/reopened → analyzing",
    ),
    ComplaintAction(
        code="record_analysis",
        path="analysis",
        label=gettext_lazy("Record analysis"),
        service=services.complaint_record_analysis,
        roles=permissions.WORKERS,
        statuses=frozenset({S.ANALYZING}),
        api_input=s.AnalysisInputSerializer,
        panel={
            "cause_hypothesis": TEXT,
            "cause_type": "cause_type",
            "impact_scope": "impact_scope",
            "category": "category",
            "severity": "severity",
        },
        summary="Record the initial analysis",
    ),
    ComplaintAction(
        code="start_handling",
        label=gettext_lazy("Start handling"),
        service=services.complaint_start_handling,
        roles=permissions.WORKERS,
        statuses=leading_to(S.HANDLING),
        api_input=s.NoteInputSerializer,
        panel={"note": TEXT},
        summary="analyzing/replied/reopened → handling",
    ),
    ComplaintAction(
        code="reply",
        label=gettext_lazy("Reply to customer"),
        service=services.complaint_reply,
        roles=permissions.WORKERS,
        statuses=OPEN_STATUSES | {S.RESOLVED},
        api_input=s.ReplyInputSerializer,
        panel={"body": TEXT, "channel": "channel"},
        summary="Reply to the customer (handling → replied)",
    ),
    ComplaintAction(
        code="note",
        label=gettext_lazy("Add internal note"),
        service=services.complaint_add_note,
        roles=permissions.WORKERS,
        statuses=EVERY_STATUS,
        api_input=s.NoteBodyInputSerializer,
        panel={"body": TEXT},
        summary="Add an internal note (staff)",
        api_status=201,
        permission="complaints.add_complaintnote",
    ),
    ComplaintAction(
        code="hold",
        label=gettext_lazy("Put on hold (waiting for customer)"),
        service=services.complaint_hold,
        roles=permissions.WORKERS,
        statuses=leading_to(S.ON_HOLD),
        api_input=s.ReasonInputSerializer,
        panel={"reason": TEXT},
        summary="Put on hold (SLA clocks pause)",
    ),
    ComplaintAction(
        code="resume",
        label=gettext_lazy("Resume"),
        service=services.complaint_resume,
        roles=permissions.WORKERS,
        statuses=frozenset({S.ON_HOLD}),
        api_input=s.NoteInputSerializer,
        panel={"note": TEXT},
        summary="Resume from hold",
    ),
    ComplaintAction(
        code="resolve",
        label=gettext_lazy("Resolve"),
        service=services.complaint_resolve,
        roles=permissions.RESOLVERS,
        statuses=leading_to(S.RESOLVED),
        api_input=s.ResolveInputSerializer,
        panel={
            "resolution_type": "resolution_type",
            "resolution_summary": TEXT,
            "compensation_amount": "compensation_amount",
            "cause_type": "cause_type",
        },
        summary="replied → resolved",
    ),
    ComplaintAction(
        code="confirm",
        label=gettext_lazy("Customer confirmed"),
        service=services.complaint_confirm,
        roles=permissions.CONFIRMERS,
        statuses=frozenset({S.RESOLVED}),
        api_input=s.NoteInputSerializer,
        panel={"note": TEXT},
        summary="The customer confirmed the resolution",
    ),
    ComplaintAction(
        code="close",
        label=gettext_lazy("Close"),
        service=services.complaint_close,
        roles=permissions.RESOLVERS,
        statuses=leading_to(S.CLOSED),
        api_input=s.CloseInputSerializer,
        panel={"note": TEXT, "root_cause": "root_cause"},
        summary="resolved → closed",
    ),
    ComplaintAction(
        code="reopen",
        label=gettext_lazy("Reopen"),
        service=services.complaint_reopen,
        roles=permissions.LEADS,
        statuses=leading_to(S.REOPENED),
        api_input=s.ReasonInputSerializer,
        panel={"reason": TEXT},
        summary="resolved/closed → reopened",
    ),
    ComplaintAction(
        code="reject",
        label=gettext_lazy("Reject"),
        service=services.complaint_reject,
        roles=permissions.LEADS | {Role.COMPLAINT_HANDLER},
        statuses=leading_to(S.REJECTED),
        api_input=s.ReasonInputSerializer,
        panel={"reason": TEXT},
        summary="received/analyzing → rejected",
    ),
    ComplaintAction(
        code="assign",
        label=gettext_lazy("Assign"),
        service=services.complaint_assign,
        # Leads assign anyone in scope; front-line staff take an unassigned
        # complaint of their team for themselves.
        roles=permissions.WORKERS,
        statuses=OPEN_STATUSES | {S.RESOLVED},
        api_input=s.AssignInputSerializer,
        panel={"assignee": "assignee", "team": "team", "note": TEXT},
        summary="Assign to a staff member and/or team",
        api_kwargs=_assign_api_input,
    ),
    ComplaintAction(
        code="escalate",
        label=gettext_lazy("Escalate"),
        service=services.complaint_escalate,
        roles=permissions.LEADS,
        statuses=OPEN_STATUSES,
        api_input=s.ReasonInputSerializer,
        panel={"reason": TEXT, "to_user": "assignee"},
        summary="Escalate to the supervisor or manager",
    ),
    ComplaintAction(
        code="change_severity",
        path="severity",
        label=gettext_lazy("Change severity"),
        service=services.complaint_change_severity,
        roles=permissions.WORKERS,
        statuses=EVERY_STATUS - FINAL_STATUSES,
        api_input=s.SeverityInputSerializer,
        panel={"severity": "severity", "reason": TEXT},
        summary="Change the severity (SLA due times are recomputed)",
    ),
    ComplaintAction(
        code="override_due",
        label=gettext_lazy("Override SLA due time"),
        service=services.complaint_override_due,
        roles=permissions.MANAGERS,
        statuses=EVERY_STATUS - FINAL_STATUSES,
        api_input=s.OverrideDueInputSerializer,
        panel={"kind": "target", "due_at": "due_at", "reason": TEXT},
        summary="Set a running SLA clock's due time by hand (managers)",
    ),
    ComplaintAction(
        code="attach",
        label=gettext_lazy("Add attachment"),
        service=services.complaint_attach,
        roles=permissions.WORKERS,
        statuses=EVERY_STATUS,
        api_input=s.AttachInputSerializer,
        panel={"file": "file"},
        summary="Add an attachment (multipart/form-data)",
        api_status=201,
        permission="complaints.add_complaintattachment",
        versioned=False,
    ),
)

ACTIONS: Mapping[str, ComplaintAction] = MappingProxyType(
    {action.code: action for action in _ACTIONS}
)


def choices() -> list[tuple[str, str | Promise]]:
    """Every action as a form choice, in the registry's order."""
    return [(action.code, action.label) for action in ACTIONS.values()]


def offered_to(user, complaint: Complaint) -> list[ComplaintAction]:
    """The actions the panel offers ``user`` on ``complaint``."""
    return [action for action in ACTIONS.values() if action.offered(user, complaint)]


# The usual next step per status: the panel's default choice (when offered).
NEXT_STEP = {
    S.RECEIVED: ("start_analysis",),
    S.ANALYZING: ("record_analysis", "start_handling"),
    S.HANDLING: ("reply",),
    S.REPLIED: ("resolve", "start_handling"),
    S.RESOLVED: ("confirm", "close"),
    S.ON_HOLD: ("resume",),
    S.REOPENED: ("start_analysis", "start_handling"),
    S.CLOSED: ("reopen",),
}


def next_step(user, complaint: Complaint) -> ComplaintAction | None:
    """The action the panel proposes first: the usual next step of the
    complaint's status that ``user`` is offered (an analysis already recorded
    moves on to handling), else the first action offered, else None."""
    offered = {action.code: action for action in offered_to(user, complaint)}
    steps = list(NEXT_STEP.get(complaint.status, ()))
    if complaint.status == S.ANALYZING and complaint.analyzed_at is not None:
        steps.remove("record_analysis")
    for code in steps:
        if code in offered:
            return offered[code]
    return next(iter(offered.values()), None)


__all__ = [
    "ACTIONS",
    "NEXT_STEP",
    "ComplaintAction",
    "choices",
    "leading_to",
    "next_step",
    "offered_to",
]
