"""The shipped SLA policies hold DESIGN §1's defaults exactly: first response
10 min (urgent) / 30 min (others), initial analysis 2 h, reply 48 h after
receipt, customer confirmation 24 h after resolution.

Choice (documented in docs/complaints.md): first response and analysis count
business time of the default calendar (24×7 for urgent); the 48 h reply and the
24 h confirmation are customer promises in elapsed hours ("最长不超过48小时"), so
they count wall-clock hours on every shipped policy — the confirmation due time
then equals crm's confirmation revisit (resolved + 24 h).
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from complaints import services as s
from complaints.models import SlaPolicy, SlaTarget
from complaints.services import clock
from tests.factories.complaints import make_complaint, walk

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def t(*args):
    return datetime(*args, tzinfo=SH)


def test_shipped_policy_values():
    policies = {p.code: p for p in SlaPolicy.objects.all()}
    assert policies["urgent"].severity == "urgent"
    assert policies["urgent"].first_response_minutes == 10
    for code in ("high", "standard"):
        assert policies[code].first_response_minutes == 30
    for policy in policies.values():
        assert policy.analysis_minutes == 120
        assert policy.reply_minutes == 48 * 60
        assert policy.confirmation_minutes == 24 * 60
        assert policy.warn_percent == 80
        if not policy.is_24x7:
            assert set(policy.elapsed_targets) == {"reply", "confirmation"}


@pytest.mark.parametrize(
    "severity, received, first_response, analysis, reply",
    [
        # Tuesday 10:00, business calendar 09:00–12:00, 13:30–18:00
        (
            "normal",
            t(2026, 11, 24, 10, 0),
            t(2026, 11, 24, 10, 30),
            t(2026, 11, 24, 12, 0),
            t(2026, 11, 26, 10, 0),
        ),
        (
            "high",
            t(2026, 11, 24, 11, 45),
            t(2026, 11, 24, 13, 45),  # lunch break skipped
            t(2026, 11, 24, 15, 15),
            t(2026, 11, 26, 11, 45),
        ),
        # Friday 17:50: first response and analysis run into Monday; the 48 h
        # reply is due Sunday 17:50 (elapsed hours).
        (
            "low",
            t(2026, 11, 27, 17, 50),
            t(2026, 11, 30, 9, 20),
            t(2026, 11, 30, 10, 50),
            t(2026, 11, 29, 17, 50),
        ),
        # urgent: 24×7
        (
            "urgent",
            t(2026, 11, 28, 23, 55),
            t(2026, 11, 29, 0, 5),
            t(2026, 11, 29, 1, 55),
            t(2026, 11, 30, 23, 55),
        ),
    ],
)
def test_due_times_of_a_new_complaint(
    org, severity, received, first_response, analysis, reply
):
    with clock.at(received):
        complaint = make_complaint(actor=org.agent_a, severity=severity)
    assert complaint.first_response_due_at == first_response
    assert complaint.analysis_due_at == analysis
    assert complaint.reply_due_at == reply
    assert complaint.reply_due_at - complaint.received_at == timedelta(hours=48)


def test_confirmation_due_24_hours_after_resolution(org):
    with clock.at(t(2026, 11, 27, 16, 0)):  # Friday afternoon
        complaint = make_complaint(actor=org.agent_a)
        complaint = walk(complaint, "resolved", actor=org.supervisor_a)
    assert complaint.confirmation_due_at == t(2026, 11, 28, 16, 0)
    confirmation = SlaTarget.objects.get(complaint=complaint, kind="confirmation")
    assert confirmation.due_at == complaint.resolved_at + timedelta(hours=24)


def test_hold_moves_an_elapsed_target_by_elapsed_time(org):
    with clock.at(t(2026, 11, 24, 10, 0)):
        complaint = make_complaint(actor=org.agent_a)
    with clock.at(t(2026, 11, 24, 11, 0)):
        complaint = s.complaint_hold(
            actor=org.agent_a, complaint=complaint, reason="等待客户提供单号"
        )
    with clock.at(t(2026, 11, 25, 11, 0)):  # 24 elapsed hours on hold
        complaint = s.complaint_resume(actor=org.agent_a, complaint=complaint)
    assert complaint.reply_due_at == t(2026, 11, 27, 10, 0)
    # the analysis clock moved by business time only (7.5 h of a working day)
    assert complaint.analysis_due_at == t(2026, 11, 25, 12, 0)


def test_overridden_due_time_survives_hold_resume_and_severity_change(org):
    with clock.at(t(2026, 11, 24, 10, 0)):
        complaint = make_complaint(actor=org.agent_a)
    with clock.at(t(2026, 11, 24, 10, 5)):
        complaint = s.complaint_override_due(
            actor=org.manager_a,
            complaint=complaint,
            kind="reply",
            due_at=t(2026, 12, 4, 18, 0),
            reason="客户出差，约定下周答复",
        )
    with clock.at(t(2026, 11, 24, 11, 0)):
        complaint = s.complaint_hold(
            actor=org.agent_a, complaint=complaint, reason="等待客户"
        )
    with clock.at(t(2026, 11, 25, 11, 0)):
        complaint = s.complaint_resume(actor=org.agent_a, complaint=complaint)
        complaint = s.complaint_change_severity(
            actor=org.agent_a, complaint=complaint, severity="high", reason="升级"
        )
    reply = SlaTarget.objects.get(complaint=complaint, kind="reply")
    assert reply.is_overridden
    assert reply.due_at == complaint.reply_due_at == t(2026, 12, 4, 18, 0)
    event = complaint.events.get(kind="sla_due_overridden")
    assert event.actor == org.manager_a and event.data["target"] == "reply"
