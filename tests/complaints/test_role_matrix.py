"""Each lifecycle action per role (team A complaint; front-line actors are its
assignee): allowed ones succeed, the rest raise NotPermitted and change nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import services as s
from complaints.models import Complaint
from config.errors import NotPermitted
from tests.factories.complaints import make_complaint, walk

ROLES = [
    "agent",
    "complaint_handler",
    "supervisor",
    "manager",
    "account_manager",
    "relations_specialist",
    "qa_inspector",
    "trainer",
]
WORKERS = {"agent", "complaint_handler", "supervisor", "manager"}
RESOLVERS = {"complaint_handler", "supervisor", "manager"}
LEADS = {"supervisor", "manager"}

# action: (status to start from, call, roles allowed)
ACTIONS = {
    "start_analysis": (
        "received",
        lambda a, c: s.complaint_start_analysis(actor=a, complaint=c),
        WORKERS,
    ),
    "reply": (
        "received",
        lambda a, c: s.complaint_reply(actor=a, complaint=c, body="您好"),
        WORKERS,
    ),
    "hold": (
        "received",
        lambda a, c: s.complaint_hold(actor=a, complaint=c, reason="等待"),
        WORKERS,
    ),
    "resolve": (
        "replied",
        lambda a, c: s.complaint_resolve(
            actor=a, complaint=c, resolution_type="apology"
        ),
        RESOLVERS,
    ),
    "close": (
        "resolved",
        lambda a, c: s.complaint_close(actor=a, complaint=c, root_cause="未培训"),
        RESOLVERS,
    ),
    "confirm": (
        "resolved",
        lambda a, c: s.complaint_confirm(actor=a, complaint=c),
        WORKERS | {"relations_specialist"},
    ),
    "reopen": (
        "resolved",
        lambda a, c: s.complaint_reopen(actor=a, complaint=c, reason="不满意"),
        LEADS,
    ),
    "reject": (
        "received",
        lambda a, c: s.complaint_reject(actor=a, complaint=c, reason="重复"),
        RESOLVERS,
    ),
    "escalate": (
        "received",
        lambda a, c: s.complaint_escalate(actor=a, complaint=c, reason="升级"),
        LEADS,
    ),
    "override_due": (
        "received",
        lambda a, c: s.complaint_override_due(
            actor=a,
            complaint=c,
            kind="reply",
            due_at=timezone.now() + timedelta(days=9),
            reason="客户同意",
        ),
        {"manager"},
    ),
}


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(org, role):
    """One role, every action (one org per role keeps the suite fast)."""
    actor = getattr(org, f"{role}_a")
    outcomes = {}
    for action, (status, call, _allowed) in ACTIONS.items():
        complaint = make_complaint(actor=org.agent_a)
        assignee = actor if role in {"agent", "complaint_handler"} else org.agent_a
        complaint = s.complaint_assign(
            actor=org.supervisor_a, complaint=complaint, assignee=assignee
        )
        complaint = walk(complaint, status, actor=org.admin)
        version = complaint.version
        try:
            call(actor, complaint)
        except NotPermitted:
            outcomes[action] = False
            assert Complaint.objects.get(pk=complaint.pk).version == version
        else:
            outcomes[action] = True
            assert Complaint.objects.get(pk=complaint.pk).version > version
    expected = {action: role in spec[2] for action, spec in ACTIONS.items()}
    assert outcomes == expected
