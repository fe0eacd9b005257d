"""Every lifecycle action from every status: legal ones move, illegal ones are
refused with IllegalTransition and change nothing."""

import pytest

from complaints import services as s
from complaints.models import Complaint
from config.errors import IllegalTransition
from tests.factories.complaints import make_complaint, walk

ACTIONS = {
    "start_analysis": lambda a, c: s.complaint_start_analysis(actor=a, complaint=c),
    "start_handling": lambda a, c: s.complaint_start_handling(actor=a, complaint=c),
    "reply": lambda a, c: s.complaint_reply(
        actor=a, complaint=c, body="您好，感谢反馈，已处理，稍后回访。"
    ),
    "hold": lambda a, c: s.complaint_hold(actor=a, complaint=c, reason="等待客户"),
    "resume": lambda a, c: s.complaint_resume(actor=a, complaint=c),
    "resolve": lambda a, c: s.complaint_resolve(
        actor=a, complaint=c, resolution_type="apology"
    ),
    "confirm": lambda a, c: s.complaint_confirm(actor=a, complaint=c),
    "close": lambda a, c: s.complaint_close(actor=a, complaint=c, root_cause="未培训"),
    "reopen": lambda a, c: s.complaint_reopen(actor=a, complaint=c, reason="不满意"),
    "reject": lambda a, c: s.complaint_reject(actor=a, complaint=c, reason="重复"),
}

# status -> {action: resulting status}; every other action is illegal there.
LEGAL = {
    "received": {
        "start_analysis": "analyzing",
        "hold": "on_hold",
        "reject": "rejected",
        "reply": "received",
    },
    "analyzing": {
        "start_handling": "handling",
        "hold": "on_hold",
        "reject": "rejected",
        "reply": "analyzing",
    },
    "handling": {"reply": "replied", "hold": "on_hold"},
    "replied": {
        "resolve": "resolved",
        "start_handling": "handling",
        "hold": "on_hold",
        "reply": "replied",
    },
    "on_hold": {"resume": "received", "reply": "on_hold"},
    "resolved": {
        "close": "closed",
        "reopen": "reopened",
        "confirm": "resolved",
        "reply": "resolved",
    },
    "closed": {"reopen": "reopened"},
    "reopened": {
        "start_analysis": "analyzing",
        "start_handling": "handling",
        "hold": "on_hold",
        "reply": "reopened",
    },
    "rejected": {},
}


@pytest.mark.parametrize("status", list(LEGAL))
def test_transition_table(org, status):
    """From ``status``, every action: legal ones move (with a status event),
    illegal ones raise IllegalTransition and change nothing."""
    for action, call in ACTIONS.items():
        expected = LEGAL[status].get(action)
        complaint = walk(make_complaint(actor=org.agent_a), status, actor=org.admin)
        assert complaint.status == status
        version = complaint.version
        events = complaint.events.count()
        if expected is None:
            with pytest.raises(IllegalTransition):
                call(org.admin, complaint)
            fresh = Complaint.objects.get(pk=complaint.pk)
            assert (fresh.status, fresh.version) == (status, version), action
            assert fresh.events.count() == events, action
            continue
        result = call(org.admin, complaint)
        fresh = Complaint.objects.get(pk=complaint.pk)
        assert fresh.status == expected, action
        assert fresh.version > version, action
        assert fresh.events.count() > events, action
        if expected != status:
            event = fresh.events.filter(kind="status_changed").last()
            assert (event.from_status, event.to_status) == (status, expected)
            assert event.actor == org.admin
            assert result.status == expected


def test_caller_instance_follows_the_change(org):
    complaint = make_complaint(actor=org.agent_a)
    s.complaint_start_analysis(actor=org.agent_a, complaint=complaint)
    assert complaint.status == "analyzing"
    assert complaint.version == 2
    assert complaint.assignee == org.agent_a


def test_handling_needs_the_analysis_recorded(org):
    from config.errors import InvalidInput

    complaint = s.complaint_start_analysis(
        actor=org.admin, complaint=make_complaint(actor=org.agent_a)
    )
    with pytest.raises(InvalidInput):
        s.complaint_start_handling(actor=org.admin, complaint=complaint)


def test_resume_returns_to_the_status_before_hold(org):
    complaint = walk(make_complaint(actor=org.agent_a), "handling", actor=org.admin)
    complaint = s.complaint_hold(actor=org.admin, complaint=complaint, reason="等待")
    complaint = s.complaint_resume(actor=org.admin, complaint=complaint)
    assert complaint.status == "handling"
    assert complaint.status_before_hold == ""


def test_reject_needs_a_reason(org):
    from config.errors import InvalidInput

    complaint = make_complaint(actor=org.agent_a)
    with pytest.raises(InvalidInput) as exc:
        s.complaint_reject(actor=org.admin, complaint=complaint, reason=" ")
    assert exc.value.field == "reason"


def test_customer_visible_timeline(org):
    complaint = walk(make_complaint(actor=org.agent_a), "resolved", actor=org.admin)
    s.complaint_add_note(actor=org.admin, complaint=complaint, body="内部：司机已约谈")
    visible = list(
        complaint.events.filter(customer_visible=True).values_list("kind", flat=True)
    )
    hidden = set(
        complaint.events.filter(customer_visible=False).values_list("kind", flat=True)
    )
    assert visible[0] == "created"
    assert "replied" in visible
    assert {"note", "sla_started", "sla_met", "assigned"} <= hidden
    assert "note" not in visible


def test_followups_run_at_the_right_points(org, monkeypatch):
    from complaints.services import followups

    calls = []
    for name in (
        "on_complaint_created",
        "on_status_changed",
        "on_complaint_replied",
        "on_complaint_resolved",
    ):
        monkeypatch.setattr(
            followups,
            name,
            lambda name=name, **kw: calls.append(
                (name, kw["complaint"].status, kw.get("to_status"))
            ),
        )
    complaint = walk(make_complaint(actor=org.agent_a), "resolved", actor=org.admin)
    names = [c[0] for c in calls]
    assert names[0] == "on_complaint_created"
    assert names.count("on_complaint_replied") == 1
    assert names[-1] == "on_complaint_resolved"
    # status follow-ups see the stored new status
    changes = [c for c in calls if c[0] == "on_status_changed"]
    assert [c[2] for c in changes] == ["analyzing", "handling", "replied", "resolved"]
    assert all(status == to for _n, status, to in changes)
    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.status == "resolved"
