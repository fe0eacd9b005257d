"""SLA clocks through the lifecycle: met, paused/resumed, recomputed,
overridden, warned and breached exactly once, reopen metrics."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints import services as s
from complaints.models import Complaint, ComplaintEvent, SatisfactionSurvey, SlaTarget
from complaints.services import clock
from complaints.services.sweep import sla_sweep
from crm.models import Notification
from tests.factories.complaints import make_complaint, walk

SH = ZoneInfo("Asia/Shanghai")


def t(*args):
    return datetime(*args, tzinfo=SH)


def target(complaint, kind, cycle=1):
    return SlaTarget.objects.get(complaint=complaint, kind=kind, cycle=cycle)


@pytest.fixture
def received(org):
    """A normal complaint received Tuesday 2026-11-24 10:00, assigned to agent A."""
    with clock.at(t(2026, 11, 24, 10, 0)):
        complaint = make_complaint(actor=org.agent_a)
        return s.complaint_start_analysis(actor=org.agent_a, complaint=complaint)


def test_first_reply_meets_first_response_in_business_minutes(org, received):
    with clock.at(t(2026, 11, 24, 10, 20)):
        complaint = s.complaint_reply(
            actor=org.agent_a, complaint=received, body="您好，已收到您的投诉。"
        )
    assert complaint.first_response_at == t(2026, 11, 24, 10, 20)
    assert complaint.first_response_minutes == 20
    fr = target(complaint, "first_response")
    assert fr.met_at == t(2026, 11, 24, 10, 20) and fr.met_on_time
    met = complaint.events.get(kind="sla_met", data__target="first_response")
    assert met.data["on_time"] is True
    # an acknowledgement while analysing is not the solution reply
    assert complaint.status == "analyzing" and complaint.replied_at is None


def test_internal_note_is_not_a_first_response(org, received):
    s.complaint_add_note(actor=org.agent_a, complaint=received, body="已联系网点")
    received.refresh_from_db()
    assert received.first_response_at is None
    assert target(received, "first_response").met_at is None


def test_late_first_response_records_the_breach_once(org, received):
    with clock.at(t(2026, 11, 24, 11, 0)):
        complaint = s.complaint_reply(
            actor=org.agent_a, complaint=received, body="您好"
        )
    fr = target(complaint, "first_response")
    assert not fr.met_on_time
    assert fr.breached_at is not None
    assert complaint.events.filter(kind="sla_breached").count() == 1
    # the sweep later does not breach it again
    sla_sweep(now=t(2026, 11, 24, 11, 1))
    assert (
        complaint.events.filter(
            kind="sla_breached", data__target="first_response"
        ).count()
        == 1
    )


def test_hold_pauses_and_resume_moves_due_times_by_paused_business_time(org, received):
    # first response due 10:30; put on hold at 10:10 with 20 minutes left
    with clock.at(t(2026, 11, 24, 10, 10)):
        complaint = s.complaint_hold(
            actor=org.agent_a, complaint=received, reason="等待客户提供单号"
        )
    assert target(complaint, "first_response").paused_at == t(2026, 11, 24, 10, 10)
    assert complaint.events.filter(kind="sla_paused").count() == 1
    # paused clocks are not warned or breached
    assert sla_sweep(now=t(2026, 11, 24, 17, 0)) == {"warned": 0, "breached": 0}
    # resume next morning 10:00: 440 business minutes paused → due 10:20
    with clock.at(t(2026, 11, 25, 10, 0)):
        complaint = s.complaint_resume(actor=org.agent_a, complaint=complaint)
    fr = target(complaint, "first_response")
    assert fr.paused_minutes == 440
    assert fr.due_at == t(2026, 11, 25, 10, 20)
    assert complaint.first_response_due_at == t(2026, 11, 25, 10, 20)
    assert complaint.status == "analyzing"
    resumed = complaint.events.get(kind="sla_resumed")
    assert resumed.data["targets"]["first_response"]["paused_minutes"] == 440


def test_severity_change_recomputes_running_clocks_except_overridden(org, received):
    with clock.at(t(2026, 11, 24, 10, 5)):
        s.complaint_override_due(
            actor=org.manager_a,
            complaint=received,
            kind="resolution",
            due_at=t(2026, 12, 31, 18, 0),
            reason="客户同意延期处理",
        )
        complaint = s.complaint_change_severity(
            actor=org.agent_a, complaint=received, severity="urgent", reason="涉及媒体"
        )
    assert complaint.sla_policy.code == "urgent"
    # urgent: 10 minutes 24×7 from received
    assert complaint.first_response_due_at == t(2026, 11, 24, 10, 10)
    assert target(complaint, "first_response").target_minutes == 10
    # the overridden resolution due time stays
    assert complaint.resolution_due_at == t(2026, 12, 31, 18, 0)
    kinds = set(complaint.events.values_list("kind", flat=True))
    assert {"severity_changed", "sla_recomputed", "sla_due_overridden"} <= kinds


def test_only_managers_override_due_times(org, received):
    from config.errors import NotPermitted

    with pytest.raises(NotPermitted):
        s.complaint_override_due(
            actor=org.supervisor_a,
            complaint=received,
            kind="reply",
            due_at=t(2026, 12, 1, 9, 0),
            reason="延期",
        )


def test_sweep_warns_once_breaches_once_and_escalates(org, received):
    # warning point of first response: 80 % of 30 min = 10:24
    assert sla_sweep(now=t(2026, 11, 24, 10, 23)) == {"warned": 0, "breached": 0}
    assert sla_sweep(now=t(2026, 11, 24, 10, 25)) == {"warned": 1, "breached": 0}
    assert sla_sweep(now=t(2026, 11, 24, 10, 26)) == {"warned": 0, "breached": 0}
    fr = target(received, "first_response")
    assert fr.warned_at == t(2026, 11, 24, 10, 25)
    assert Notification.objects.filter(
        recipient=org.agent_a, key=f"sla:{fr.pk}:warned"
    ).exists()
    # breach at 10:31, twice in a row
    assert sla_sweep(now=t(2026, 11, 24, 10, 31)) == {"warned": 0, "breached": 1}
    assert sla_sweep(now=t(2026, 11, 24, 10, 32)) == {"warned": 0, "breached": 0}
    fr.refresh_from_db()
    assert fr.breached_at == t(2026, 11, 24, 10, 31)
    events = ComplaintEvent.objects.filter(complaint=received)
    assert events.filter(kind="sla_warned").count() == 1
    assert events.filter(kind="sla_breached").count() == 1
    assert events.filter(kind="escalated").count() == 1
    complaint = Complaint.objects.get(pk=received.pk)
    assert complaint.escalation_level == 1
    assert Notification.objects.filter(
        recipient=org.supervisor_a, key=f"sla:{fr.pk}:escalated"
    ).exists()
    assert Notification.objects.filter(key__startswith="sla:").count() == 3


def test_reopen_keeps_first_resolution_and_starts_a_new_cycle(org):
    with clock.at(t(2026, 11, 24, 10, 0)):
        complaint = make_complaint(actor=org.agent_a)
    with clock.at(t(2026, 11, 24, 15, 0)):
        complaint = walk(complaint, "resolved", actor=org.supervisor_a)
    assert complaint.first_resolved_at == t(2026, 11, 24, 15, 0)
    assert complaint.resolution_minutes == 120 + 90  # 10–12 and 13:30–15
    assert target(complaint, "resolution").met_at == t(2026, 11, 24, 15, 0)
    assert target(complaint, "confirmation").due_at is not None
    assert SatisfactionSurvey.objects.filter(complaint=complaint, cycle=1).exists()

    with clock.at(t(2026, 11, 25, 9, 0)):
        complaint = s.complaint_reopen(
            actor=org.supervisor_a, complaint=complaint, reason="客户不认可"
        )
    assert complaint.reopened_count == 1
    assert complaint.resolved_at is None
    assert complaint.first_resolved_at == t(2026, 11, 24, 15, 0)
    new = target(complaint, "resolution", cycle=2)
    assert new.started_at == t(2026, 11, 25, 9, 0)
    assert complaint.resolution_due_at == new.due_at
    # the unconfirmed confirmation clock of cycle 1 is cancelled, not breached
    assert target(complaint, "confirmation").cancelled_at is not None

    with clock.at(t(2026, 11, 25, 11, 0)):
        complaint = s.complaint_start_handling(
            actor=org.supervisor_a, complaint=complaint
        )
        complaint = s.complaint_reply(
            actor=org.supervisor_a,
            complaint=complaint,
            body="感谢反馈，已补发，我们会跟进确认。",
        )
        complaint = s.complaint_resolve(
            actor=org.supervisor_a, complaint=complaint, resolution_type="replacement"
        )
    assert complaint.resolved_at == t(2026, 11, 25, 11, 0)
    assert complaint.first_resolved_at == t(2026, 11, 24, 15, 0)
    assert complaint.resolution_minutes == 210
    assert target(complaint, "resolution", cycle=2).met_at == t(2026, 11, 25, 11, 0)
    assert SatisfactionSurvey.objects.filter(complaint=complaint, cycle=2).exists()


def test_confirm_meets_the_confirmation_clock(org):
    complaint = walk(make_complaint(actor=org.agent_a), "resolved", actor=org.admin)
    complaint = s.complaint_confirm(
        actor=org.relations_specialist_a, complaint=complaint
    )
    assert complaint.confirmed_at is not None
    assert target(complaint, "confirmation").met_at == complaint.confirmed_at
    # idempotent
    again = s.complaint_confirm(actor=org.admin, complaint=complaint)
    assert again.version == complaint.version


def test_survey_answer_once(org):
    from config.errors import Conflict, InvalidInput

    complaint = walk(make_complaint(actor=org.agent_a), "resolved", actor=org.admin)
    with pytest.raises(InvalidInput):
        s.survey_record_answer(actor=None, complaint=complaint, csat=6)
    survey = s.survey_record_answer(
        actor=None, complaint=complaint, csat=5, nps=9, comment="处理很快"
    )
    assert (survey.csat, survey.nps, survey.channel) == (5, 9, "api")
    assert survey.answered_at is not None
    assert complaint.events.filter(kind="feedback_received", customer_visible=True)
    with pytest.raises(Conflict):
        s.survey_record_answer(actor=None, complaint=complaint, csat=4)


def test_rejected_complaint_cancels_its_clocks(org):
    complaint = walk(make_complaint(actor=org.agent_a), "rejected", actor=org.admin)
    assert not complaint.sla_targets.filter(cancelled_at__isnull=True).exists()
    assert sla_sweep(now=t(2030, 1, 1, 10, 0)) == {"warned": 0, "breached": 0}


def test_sweep_notifies_team_supervisor_when_unassigned(org):
    with clock.at(t(2026, 11, 24, 10, 0)):
        complaint = make_complaint(actor=org.supervisor_a)
    assert complaint.assignee is None
    sla_sweep(now=t(2026, 11, 24, 10, 25))
    fr = target(complaint, "first_response")
    assert Notification.objects.filter(
        recipient=org.supervisor_a, key=f"sla:{fr.pk}:warned"
    ).exists()


def test_escalation_goes_to_the_manager_when_the_supervisor_is_assignee(org):
    org.dept_a.manager = org.manager_a
    org.dept_a.save(update_fields=["manager"])
    complaint = make_complaint(actor=org.agent_a)
    complaint = s.complaint_assign(
        actor=org.supervisor_a, complaint=complaint, assignee=org.supervisor_a
    )
    complaint = s.complaint_escalate(
        actor=org.supervisor_a, complaint=complaint, reason="需经理介入"
    )
    assert complaint.events.get(kind="escalated").data["to"] == org.manager_a.pk
    assert org.manager_a.notifications.filter(kind="complaint_escalated").exists()


def test_category_change_in_analysis_repicks_the_policy(org):
    from tests.factories.complaints import SlaPolicyFactory, category

    SlaPolicyFactory(
        code="attitude-fast",
        category=category("attitude"),
        first_response_minutes=15,
        analysis_minutes=60,
    )
    with clock.at(t(2026, 11, 24, 10, 0)):
        complaint = make_complaint(actor=org.agent_a)
        complaint = s.complaint_start_analysis(actor=org.agent_a, complaint=complaint)
    with clock.at(t(2026, 11, 24, 10, 5)):
        complaint = s.complaint_record_analysis(
            actor=org.agent_a,
            complaint=complaint,
            category="attitude",
            cause_hypothesis="客服人员语气生硬",
            cause_type="staff_error",
            attributed_staff=org.agent_a,
        )
    assert complaint.sla_policy.code == "attitude-fast"
    # the analysis clock was met at 10:05, so only running clocks moved
    assert complaint.first_response_due_at == t(2026, 11, 24, 10, 15)
    assert target(complaint, "analysis").met_at == t(2026, 11, 24, 10, 5)
    assert complaint.attributed_staff == org.agent_a


def test_archive_only_final_complaints(org):
    from config.errors import IllegalTransition

    open_one = make_complaint(actor=org.agent_a)
    with pytest.raises(IllegalTransition):
        s.complaint_archive(actor=org.manager_a, complaint=open_one)
    done = walk(make_complaint(actor=org.agent_a), "closed", actor=org.admin)
    done = s.complaint_archive(actor=org.manager_a, complaint=done)
    assert done.is_archived


def _swept(now):
    with CaptureQueriesContext(connection) as queries:
        result = sla_sweep(now=now)
    return result, len(queries)


def test_sweep_cost_does_not_grow_with_the_clocks_it_marks(org):
    """Marking is set-based: two complaints' warnings and breaches cost the same
    queries as eight complaints' (one chunk)."""
    with clock.at(t(2026, 11, 24, 10, 0)):
        few = [make_complaint(actor=org.agent_a) for _ in range(2)]
    result, few_queries = _swept(t(2026, 11, 24, 10, 45))
    assert result == {"warned": 2, "breached": 2}
    SlaTarget.objects.filter(complaint__in=few).update(cancelled_at=clock.now())
    with clock.at(t(2026, 11, 25, 10, 0)):
        many = [make_complaint(actor=org.agent_a) for _ in range(8)]
    result, many_queries = _swept(t(2026, 11, 25, 10, 45))
    assert result == {"warned": 8, "breached": 8}
    assert many_queries == few_queries
    for complaint in many:
        complaint.refresh_from_db()
        assert complaint.escalation_level == 1 and complaint.sla_breached
    assert Notification.objects.filter(key__endswith=":escalated").count() == 10


def test_sweep_in_chunks_marks_each_clock_once_and_escalates_per_breach(
    org, monkeypatch
):
    """Chunks of 3 over 5 complaints, one of them with two clocks breaching in
    the same run: every clock warned and breached once, one escalation (event,
    level, notification) per breach, and a second run marks nothing."""
    from complaints.services import sweep

    monkeypatch.setattr(sweep, "CHUNK", 3)
    with clock.at(t(2026, 11, 24, 10, 0)):
        complaints = [make_complaint(actor=org.agent_a) for _ in range(5)]
    two = complaints[0]
    analysis = target(two, "analysis")
    SlaTarget.objects.filter(pk=analysis.pk).update(
        warn_at=t(2026, 11, 24, 10, 20), due_at=t(2026, 11, 24, 10, 40)
    )
    now = t(2026, 11, 24, 10, 45)
    assert sla_sweep(now=now) == {"warned": 6, "breached": 6}
    assert sla_sweep(now=now) == {"warned": 0, "breached": 0}
    for complaint in complaints:
        complaint.refresh_from_db()
        clocks = 2 if complaint.pk == two.pk else 1
        events = ComplaintEvent.objects.filter(complaint=complaint)
        assert events.filter(kind="sla_warned").count() == clocks
        assert events.filter(kind="sla_breached").count() == clocks
        assert events.filter(kind="escalated").count() == clocks
        assert complaint.escalation_level == clocks
        assert complaint.sla_breached and not complaint.sla_warned
        assert complaint.version > 1
    levels = sorted(
        e.data["level"]
        for e in ComplaintEvent.objects.filter(complaint=two, kind="escalated")
    )
    assert levels == [1, 2]
    assert Notification.objects.filter(key__endswith=":breached").count() == 6
    assert (
        Notification.objects.filter(
            key__endswith=":escalated", recipient=org.supervisor_a
        ).count()
        == 6
    )


def test_a_clock_that_cannot_be_marked_holds_back_nothing_else(
    org, monkeypatch, caplog
):
    """A chunk that fails is redone clock by clock: the others are marked, the
    failing one is logged and left for the next run (which marks it)."""
    from complaints.services import sweep

    with clock.at(t(2026, 11, 24, 10, 0)):
        complaints = [make_complaint(actor=org.agent_a) for _ in range(3)]
    bad = target(complaints[1], "first_response").pk
    notice = sweep._notice

    def failing(target_, complaint, *, what):
        if target_.pk == bad:
            raise ValueError("cannot render this notice")
        return notice(target_, complaint, what=what)

    monkeypatch.setattr(sweep, "_notice", failing)
    now = t(2026, 11, 24, 10, 45)
    with caplog.at_level("ERROR", logger="complaints.services.sweep"):
        assert sla_sweep(now=now) == {"warned": 2, "breached": 2}
    assert f"clock {bad} not marked" in caplog.text
    assert SlaTarget.objects.get(pk=bad).warned_at is None
    monkeypatch.setattr(sweep, "_notice", notice)
    assert sla_sweep(now=now) == {"warned": 1, "breached": 1}
    for complaint in complaints:
        events = ComplaintEvent.objects.filter(complaint=complaint)
        assert events.filter(kind="sla_breached").count() == 1
