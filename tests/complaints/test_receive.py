"""complaint_receive: reference, SLA clocks, events, routing, validation."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from complaints.models import Complaint, ComplaintEvent, SlaTarget
from complaints.services import clock, complaint_receive
from config.errors import InvalidInput, NotPermitted
from tests.factories import CustomerFactory, PartnerFactory
from tests.factories.complaints import AssignmentRuleFactory, category, make_complaint

SH = ZoneInfo("Asia/Shanghai")


def local(*args):
    return datetime(*args, tzinfo=SH)


def test_receive_issues_reference_starts_clocks_and_writes_events(org):
    # given a Tuesday 10:00 in Shanghai (normal severity: standard business calendar)
    with clock.at(local(2026, 11, 24, 10, 0)):
        complaint = make_complaint(actor=org.agent_a)
    assert complaint.reference == "TS202611240001"
    assert complaint.status == Complaint.Status.RECEIVED
    assert complaint.sla_policy.code == "standard"
    # 30 business minutes; 2 h analysis ends 12:00 (lunch 12:00–13:30)
    assert complaint.first_response_due_at == local(2026, 11, 24, 10, 30)
    assert complaint.analysis_due_at == local(2026, 11, 24, 12, 0)
    kinds = set(complaint.sla_targets.values_list("kind", flat=True))
    assert kinds == {"first_response", "analysis", "reply", "resolution"}
    events = list(complaint.events.values_list("kind", flat=True))
    assert events[0] == ComplaintEvent.Kind.CREATED
    assert events.count(ComplaintEvent.Kind.SLA_STARTED) == 4
    assert complaint.events.get(kind="created").customer_visible is True
    # team falls back to the registering agent's team
    assert complaint.team == org.team_a and complaint.department == org.dept_a


def test_references_count_up_per_day(db):
    with clock.at(local(2026, 11, 24, 10, 0)):
        refs = [make_complaint().reference for _ in range(3)]
    with clock.at(local(2026, 11, 25, 9, 0)):
        refs.append(make_complaint().reference)
    assert refs == [
        "TS202611240001",
        "TS202611240002",
        "TS202611240003",
        "TS202611250001",
    ]


def test_urgent_complaints_use_the_24x7_policy(db):
    with clock.at(local(2026, 11, 28, 23, 0)):  # Saturday night
        complaint = make_complaint(severity="urgent")
    assert complaint.sla_policy.code == "urgent"
    assert complaint.first_response_due_at == local(2026, 11, 28, 23, 10)


def test_assignment_rule_routes_to_least_loaded_agent(org):
    AssignmentRuleFactory(category=category("attitude"), team=org.team_b)
    first = make_complaint(category="attitude")
    second = make_complaint(category="attitude")
    assert first.team == org.team_b and second.team == org.team_b
    assert {first.assignee, second.assignee} == {
        org.agent_b,
        org.complaint_handler_b,
    }
    assert first.events.filter(kind="assigned").exists()


def test_partner_intake_without_actor(db):
    partner = PartnerFactory()
    complaint = make_complaint(actor=None, source_partner=partner, channel="api")
    assert complaint.source_partner == partner
    assert complaint.created_by is None


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"category": "nope"}, "category"),
        ({"category": "lost"}, "category"),
        ({"subcategory": "rude_courier"}, "subcategory"),
        ({"severity": "mild"}, "severity"),
        ({"subject": " "}, "subject"),
        ({"description": ""}, "description"),
        ({"received_at": local(2100, 1, 1)}, "received_at"),
    ],
)
def test_bad_input_is_refused_with_the_field(db, override, field):
    with pytest.raises(InvalidInput) as exc:
        make_complaint(**override)
    assert exc.value.field == field
    assert not Complaint.objects.exists()


def test_roles_without_complaint_intake_cannot_receive(org):
    with pytest.raises(NotPermitted):
        make_complaint(actor=org.trainer_a)


def test_received_at_in_the_past_starts_clocks_then(db):
    with clock.at(local(2026, 11, 24, 15, 0)):
        complaint = complaint_receive(
            actor=None,
            customer=CustomerFactory(),
            channel="letter",
            category="process",
            subcategory="refund_slow",
            subject="退款迟迟未到账",
            description="申请退款两周仍未到账。",
            received_at=local(2026, 11, 23, 9, 0),
        )
    target = complaint.sla_targets.get(kind=SlaTarget.Kind.FIRST_RESPONSE)
    assert target.started_at == local(2026, 11, 23, 9, 0)
    assert complaint.first_response_due_at == local(2026, 11, 23, 9, 30)
    assert complaint.subcategory.code == "refund_slow"
