"""Cross-app follow-ups are explicit: a service that changes the status hands the
change to ``followups`` itself, after saving, in its own transaction; saving
alone (``common.save``) never runs a follow-up.

Observed through the rows the other apps write: a partner's webhook outbox rows
(one per event the partner subscribed to) and the CRM confirmation revisit.
"""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints import services as s
from complaints.services import clock
from complaints.services.common import StatusChange, lock, save, transition
from crm.models import Revisit
from partners.models import WebhookDelivery
from tests.factories.complaints import make_complaint, walk
from tests.factories.crm import PartnerFactory
from tests.factories.partners import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

STATUS = "complaint.status_changed"


@pytest.fixture
def partner(db):
    """A partner whose endpoint subscribed to every webhook event."""
    partner = PartnerFactory()
    WebhookEndpointFactory(partner=partner)
    return partner


def _partner_complaint(partner, status, *, actor):
    complaint = make_complaint(actor=None, source_partner=partner, channel="api")
    return walk(complaint, status, actor=actor)


def _webhooks_after(pk: int) -> list[tuple]:
    """(event, previous status, status) of the outbox rows written after ``pk``."""
    return [
        (
            row.event,
            row.payload["data"].get("previous_status"),
            row.payload["data"]["status"],
        )
        for row in WebhookDelivery.objects.filter(pk__gt=pk).order_by("pk")
    ]


def _last_pk(model) -> int:
    last = model.objects.order_by("-pk").first()
    return last.pk if last else 0


def _upload():
    return SimpleUploadedFile("照片.jpg", b"\xff\xd8\xff" + b"0" * 100, "image/jpeg")


# (name, status to start from, the call, webhook rows it writes, revisits it plans)
CASES = [
    (
        "start_analysis",
        "received",
        lambda o, c: s.complaint_start_analysis(actor=o.admin, complaint=c),
        [(STATUS, "received", "analyzing")],
        0,
    ),
    (
        "start_handling",
        "analyzing",
        lambda o, c: s.complaint_start_handling(actor=o.admin, complaint=c),
        [(STATUS, "analyzing", "handling")],
        0,
    ),
    (
        "reply_while_handling",
        "handling",
        lambda o, c: s.complaint_reply(
            actor=o.admin, complaint=c, body="感谢反馈，已处理，稍后回访。"
        ),
        [(STATUS, "handling", "replied"), ("complaint.replied", None, "replied")],
        0,
    ),
    (
        "reply_without_status_change",
        "analyzing",
        lambda o, c: s.complaint_reply(actor=o.admin, complaint=c, body="已收到"),
        [("complaint.replied", None, "analyzing")],
        0,
    ),
    (
        "hold",
        "received",
        lambda o, c: s.complaint_hold(actor=o.admin, complaint=c, reason="等待客户"),
        [(STATUS, "received", "on_hold")],
        0,
    ),
    (
        "resume",
        "on_hold",
        lambda o, c: s.complaint_resume(actor=o.admin, complaint=c),
        [(STATUS, "on_hold", "received")],
        0,
    ),
    (
        "resolve",
        "replied",
        lambda o, c: s.complaint_resolve(
            actor=o.admin, complaint=c, resolution_type="apology"
        ),
        [(STATUS, "replied", "resolved"), ("complaint.resolved", None, "resolved")],
        1,
    ),
    (
        "close",
        "resolved",
        lambda o, c: s.complaint_close(actor=o.admin, complaint=c, root_cause="未培训"),
        [(STATUS, "resolved", "closed")],
        0,
    ),
    (
        "reopen",
        "resolved",
        lambda o, c: s.complaint_reopen(actor=o.admin, complaint=c, reason="不满意"),
        [(STATUS, "resolved", "reopened")],
        0,
    ),
    (
        "reject",
        "received",
        lambda o, c: s.complaint_reject(actor=o.admin, complaint=c, reason="重复"),
        [(STATUS, "received", "rejected")],
        0,
    ),
    # Services that save without a transition have no follow-ups.
    (
        "assign",
        "received",
        lambda o, c: s.complaint_assign(actor=o.admin, complaint=c, assignee=o.agent_a),
        [],
        0,
    ),
    (
        "escalate",
        "received",
        lambda o, c: s.complaint_escalate(actor=o.admin, complaint=c, reason="加急"),
        [],
        0,
    ),
    (
        "record_analysis",
        "analyzing",
        lambda o, c: s.complaint_record_analysis(
            actor=o.admin,
            complaint=c,
            cause_hypothesis="再次核实",
            category="attitude",
            severity="high",
            attributed_staff=o.agent_a,
        ),
        [],
        0,
    ),
    (
        "record_contact",
        "received",
        lambda o, c: s.complaint_record_contact(actor=o.admin, complaint=c),
        [],
        0,
    ),
    (
        "add_note",
        "received",
        lambda o, c: s.complaint_add_note(actor=o.admin, complaint=c, body="内部"),
        [],
        0,
    ),
    (
        "change_severity",
        "received",
        lambda o, c: s.complaint_change_severity(
            actor=o.admin, complaint=c, severity="urgent"
        ),
        [],
        0,
    ),
    (
        "override_due",
        "received",
        lambda o, c: s.complaint_override_due(
            actor=o.admin,
            complaint=c,
            kind="resolution",
            due_at=clock.now() + timedelta(days=9),
            reason="客户同意延期",
        ),
        [],
        0,
    ),
    (
        "confirm",
        "resolved",
        lambda o, c: s.complaint_confirm(actor=o.admin, complaint=c),
        [],
        0,
    ),
    (
        "survey_answer",
        "resolved",
        lambda o, c: s.survey_record_answer(actor=o.admin, complaint=c, csat=4),
        [],
        0,
    ),
    (
        "archive",
        "closed",
        lambda o, c: s.complaint_archive(actor=o.admin, complaint=c),
        [],
        0,
    ),
    (
        "attach",
        "received",
        lambda o, c: s.complaint_attach(actor=o.admin, complaint=c, file=_upload()),
        [],
        0,
    ),
]


@pytest.mark.parametrize(
    ("status", "call", "webhooks", "revisits"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_service_triggers_exactly_its_follow_ups(
    org, partner, settings, tmp_path, status, call, webhooks, revisits
):
    settings.MEDIA_ROOT = tmp_path
    # Given a partner's complaint at ``status``
    complaint = _partner_complaint(partner, status, actor=org.admin)
    last_webhook = _last_pk(WebhookDelivery)
    revisits_before = Revisit.objects.count()

    # When the service runs
    call(org, complaint)

    # Then exactly its follow-ups wrote rows, in order
    assert _webhooks_after(last_webhook) == webhooks
    assert Revisit.objects.count() - revisits_before == revisits


def test_saving_without_a_transition_runs_no_follow_up(org, partner):
    # Given a partner's complaint
    complaint = _partner_complaint(partner, "received", actor=org.admin)
    last_webhook = _last_pk(WebhookDelivery)

    # When its row is changed and saved without a transition
    locked = lock(complaint)
    locked.order_number = "SF1234567890"
    save(locked, ["order_number"], original=complaint)

    # Then it is saved and nothing else happened
    assert complaint.order_number == "SF1234567890"
    assert _webhooks_after(last_webhook) == []


def test_save_never_runs_the_follow_ups_of_a_transition(org, partner):
    # Given a transition made in memory
    complaint = _partner_complaint(partner, "received", actor=org.admin)
    last_webhook = _last_pk(WebhookDelivery)
    locked = lock(complaint)
    change = transition(locked, "analyzing", actor=org.admin)

    # When it is saved
    save(locked, ["status"], original=complaint)

    # Then the transition says what changed, the status is stored, and no
    # follow-up ran: handing the change to ``followups`` is the service's job
    assert change == StatusChange(
        actor=org.admin, from_status="received", to_status="analyzing"
    )
    assert complaint.status == "analyzing"
    assert _webhooks_after(last_webhook) == []


# --- Training's attitude rule runs when attribution or category changes ---------


@pytest.fixture
def etiquette(db):
    from tests.factories.training import CourseFactory
    from training.models import Course

    return CourseFactory(code="ETQ-101", topic=Course.Topic.ETIQUETTE)


@pytest.fixture
def rule_calls(monkeypatch):
    """Spy on training's attitude rule (still running it): the staff it checks."""
    import training.followups

    real = training.followups.assignment_check_attitude_complaints
    calls = []

    def spy(*, staff, **kwargs):
        calls.append(staff)
        return real(staff=staff, **kwargs)

    monkeypatch.setattr(training.followups, "assignment_check_attitude_complaints", spy)
    return calls


def _etiquette_assignments(staff):
    from training.models import TrainingAssignment

    return TrainingAssignment.objects.filter(
        staff=staff, reason=TrainingAssignment.Reason.COMPLAINT_PATTERN
    )


def _analyzing(org, **intake):
    complaint = make_complaint(actor=org.complaint_handler_a, **intake)
    return s.complaint_start_analysis(
        actor=org.complaint_handler_a, complaint=complaint
    )


def _record(org, complaint, **analysis):
    return s.complaint_record_analysis(
        actor=org.complaint_handler_a,
        complaint=complaint,
        cause_hypothesis="快递员态度问题",
        **analysis,
    )


def test_recording_the_attribution_runs_the_rule_without_a_status_change(
    org, etiquette, rule_calls
):
    # Given one attitude complaint already attributed to the courier (threshold 2)
    make_complaint(
        actor=org.complaint_handler_a, category="attitude", attributed_staff=org.agent_a
    )
    assert not _etiquette_assignments(org.agent_a).exists()
    # and a second attitude complaint, not attributed yet, in analysis
    complaint = _analyzing(org, category="attitude")
    rule_calls.clear()

    # When the analysis attributes it to the courier
    complaint = _record(org, complaint, attributed_staff=org.agent_a)

    # Then the etiquette course is assigned at once, the status unchanged
    assert complaint.status == "analyzing"
    assert rule_calls == [org.agent_a]
    [assignment] = _etiquette_assignments(org.agent_a)
    assert assignment.course == etiquette


def test_changing_only_the_category_to_attitude_runs_the_rule(
    org, etiquette, rule_calls
):
    # Given one attitude complaint about the courier, and a second complaint about
    # them filed as a service-quality complaint
    make_complaint(
        actor=org.complaint_handler_a, category="attitude", attributed_staff=org.agent_a
    )
    complaint = _analyzing(org, attributed_staff=org.agent_a)
    assert not _etiquette_assignments(org.agent_a).exists()
    rule_calls.clear()

    # When the analysis re-files it as an attitude complaint (attribution untouched)
    complaint = _record(org, complaint, category="attitude")

    # Then the rule ran on the change and the course is assigned
    assert complaint.attributed_staff == org.agent_a
    assert rule_calls == [org.agent_a]
    assert _etiquette_assignments(org.agent_a).count() == 1


def test_intake_with_attribution_and_attitude_category_runs_the_rule(
    org, etiquette, rule_calls
):
    # Given one attitude complaint about the courier
    make_complaint(
        actor=org.complaint_handler_a, category="attitude", attributed_staff=org.agent_a
    )
    assert rule_calls == [org.agent_a]

    # When a second one is received, attributed to them
    make_complaint(
        actor=org.complaint_handler_a, category="attitude", attributed_staff=org.agent_a
    )

    # Then the rule ran at intake and assigned the course
    assert rule_calls == [org.agent_a, org.agent_a]
    assert _etiquette_assignments(org.agent_a).count() == 1


def test_intake_without_attribution_does_not_run_the_rule(org, etiquette, rule_calls):
    make_complaint(actor=org.complaint_handler_a, category="attitude")
    assert rule_calls == []


def test_analysis_that_changes_neither_attribution_nor_category_does_not_run_it(
    org, etiquette, rule_calls
):
    # Given an attributed attitude complaint in analysis
    complaint = _analyzing(org, category="attitude", attributed_staff=org.agent_a)
    rule_calls.clear()

    # When the analysis is recorded naming the same staff member and category
    _record(org, complaint, category="attitude", attributed_staff=org.agent_a)

    # Then the rule did not run again
    assert rule_calls == []


def test_status_changes_of_an_attributed_complaint_do_not_run_the_rule(org, rule_calls):
    from tests.factories.training import CourseFactory
    from training.models import Course

    # Given two attitude complaints about the courier, received before any
    # etiquette course existed (so the rule assigned nothing then)
    make_complaint(
        actor=org.complaint_handler_a, category="attitude", attributed_staff=org.agent_a
    )
    complaint = make_complaint(
        actor=org.complaint_handler_a, category="attitude", attributed_staff=org.agent_a
    )
    CourseFactory(code="ETQ-101", topic=Course.Topic.ETIQUETTE)
    rule_calls.clear()

    # When the second one moves through its whole lifecycle
    complaint = walk(complaint, "resolved", actor=org.admin)
    complaint = s.complaint_reopen(actor=org.admin, complaint=complaint, reason="不满")
    complaint = s.complaint_hold(actor=org.admin, complaint=complaint, reason="等待")
    complaint = s.complaint_resume(actor=org.admin, complaint=complaint)

    # Then no status change ran the rule (only attribution changes do)
    assert rule_calls == []
    assert not _etiquette_assignments(org.agent_a).exists()
