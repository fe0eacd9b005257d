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
        lambda o, c: s.complaint_reply(actor=o.admin, complaint=c, body="已处理"),
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
        lambda o, c: s.complaint_close(actor=o.admin, complaint=c),
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
