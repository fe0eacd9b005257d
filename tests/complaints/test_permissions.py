"""Who may do what (DESIGN §2): role plus scope, checked in the services."""

from decimal import Decimal

import pytest

from complaints import services as s
from complaints.models import Complaint
from config.errors import NotPermitted, VersionConflict
from crm import scoping
from tests.factories import CustomerFactory, UserFactory
from tests.factories.complaints import make_complaint, walk


@pytest.fixture
def unassigned_a(org):
    """An unassigned complaint of team A (registered by its supervisor: an agent
    who registers one keeps it)."""
    return make_complaint(actor=org.supervisor_a)


def test_agent_picks_up_unassigned_complaint_of_own_team(org, unassigned_a):
    complaint = s.complaint_start_analysis(actor=org.agent_a, complaint=unassigned_a)
    assert complaint.assignee == org.agent_a
    assert complaint.events.filter(kind="assigned").exists()


@pytest.mark.parametrize(
    "who", ["agent_b", "complaint_handler_b", "supervisor_b", "manager_b"]
)
def test_other_team_or_department_cannot_work_it(org, unassigned_a, who):
    with pytest.raises(NotPermitted):
        s.complaint_start_analysis(actor=getattr(org, who), complaint=unassigned_a)


@pytest.mark.parametrize(
    "who",
    ["qa_inspector_a", "trainer_a", "account_manager_a", "relations_specialist_a"],
)
def test_non_working_roles_cannot_work_complaints(org, unassigned_a, who):
    with pytest.raises(NotPermitted):
        s.complaint_reply(actor=getattr(org, who), complaint=unassigned_a, body="您好")


def test_agent_cannot_work_a_colleagues_complaint(org, unassigned_a):
    s.complaint_assign(
        actor=org.supervisor_a, complaint=unassigned_a, assignee=org.complaint_handler_a
    )
    with pytest.raises(NotPermitted):
        s.complaint_start_analysis(actor=org.agent_a, complaint=unassigned_a)
    # the assignee can
    s.complaint_start_analysis(actor=org.complaint_handler_a, complaint=unassigned_a)


def test_agent_cannot_resolve_handler_can_up_to_the_limit(org, unassigned_a):
    s.complaint_assign(
        actor=org.supervisor_a, complaint=unassigned_a, assignee=org.agent_a
    )
    complaint = walk(unassigned_a, "replied", actor=org.agent_a)
    with pytest.raises(NotPermitted):
        s.complaint_resolve(
            actor=org.agent_a, complaint=complaint, resolution_type="apology"
        )
    s.complaint_assign(
        actor=org.supervisor_a, complaint=complaint, assignee=org.complaint_handler_a
    )
    with pytest.raises(NotPermitted) as exc:
        s.complaint_resolve(
            actor=org.complaint_handler_a,
            complaint=complaint,
            resolution_type="compensation",
            compensation_amount="800",
        )
    assert exc.value.code == "compensation_limit"
    complaint = s.complaint_resolve(
        actor=org.complaint_handler_a,
        complaint=complaint,
        resolution_type="compensation",
        compensation_amount="300",
    )
    assert complaint.compensation_amount == Decimal("300.00")


def test_supervisor_limit_and_manager_unlimited(org, unassigned_a):
    complaint = walk(unassigned_a, "replied", actor=org.supervisor_a)
    with pytest.raises(NotPermitted):
        s.complaint_resolve(
            actor=org.supervisor_a,
            complaint=complaint,
            resolution_type="refund",
            compensation_amount=Decimal("6000"),
        )
    complaint = s.complaint_resolve(
        actor=org.manager_a,
        complaint=complaint,
        resolution_type="refund",
        compensation_amount=Decimal("6000"),
    )
    assert complaint.status == "resolved"


def test_compensation_limit_is_a_setting(org, unassigned_a, settings):
    settings.KEFU_COMPENSATION_LIMIT_HANDLER = 1000
    s.complaint_assign(
        actor=org.supervisor_a, complaint=unassigned_a, assignee=org.complaint_handler_a
    )
    complaint = walk(unassigned_a, "replied", actor=org.complaint_handler_a)
    complaint = s.complaint_resolve(
        actor=org.complaint_handler_a,
        complaint=complaint,
        resolution_type="compensation",
        compensation_amount=800,
    )
    assert complaint.status == "resolved"


@pytest.mark.parametrize("who", ["agent_a", "complaint_handler_a"])
def test_front_line_cannot_reopen_escalate_or_assign_others(org, who):
    actor = getattr(org, who)
    complaint = walk(make_complaint(actor=org.agent_a), "resolved", actor=org.admin)
    with pytest.raises(NotPermitted):
        s.complaint_reopen(actor=actor, complaint=complaint, reason="不满意")
    other = make_complaint(actor=org.supervisor_a)
    with pytest.raises(NotPermitted):
        s.complaint_escalate(actor=actor, complaint=other, reason="升级")
    # (handing it to a handler or supervisor is allowed; to a fellow agent not)
    fellow = UserFactory(username="fellow_agent", team=org.team_a, roles=["agent"])
    with pytest.raises(NotPermitted):
        s.complaint_assign(actor=actor, complaint=other, assignee=fellow)


def test_front_line_may_take_an_unassigned_complaint(org, unassigned_a):
    complaint = s.complaint_assign(
        actor=org.agent_a, complaint=unassigned_a, assignee=org.agent_a
    )
    assert complaint.assignee == org.agent_a


def test_supervisor_assigns_escalates_reopens_in_own_team(org, unassigned_a):
    complaint = s.complaint_assign(
        actor=org.supervisor_a, complaint=unassigned_a, assignee=org.agent_a
    )
    assert complaint.assignee == org.agent_a
    assert org.agent_a.notifications.filter(kind="complaint_assigned").exists()
    complaint = s.complaint_escalate(
        actor=org.supervisor_a, complaint=complaint, reason="客户情绪激动"
    )
    assert complaint.escalation_level == 1
    # the supervisor is not the assignee: the escalation goes to them
    event = complaint.events.get(kind="escalated")
    assert event.data["to"] == org.supervisor_a.pk
    complaint = walk(complaint, "resolved", actor=org.supervisor_a)
    complaint = s.complaint_reopen(
        actor=org.supervisor_a, complaint=complaint, reason="客户不满意"
    )
    assert complaint.status == "reopened"


def test_supervisor_of_another_team_cannot_assign(org, unassigned_a):
    with pytest.raises(NotPermitted):
        s.complaint_assign(
            actor=org.supervisor_b, complaint=unassigned_a, assignee=org.agent_b
        )


def test_cannot_assign_to_a_non_working_role(org, unassigned_a):
    from config.errors import InvalidInput

    with pytest.raises(InvalidInput):
        s.complaint_assign(
            actor=org.supervisor_a, complaint=unassigned_a, assignee=org.trainer_a
        )


def test_stale_version_is_refused_and_changes_nothing(org, unassigned_a):
    stale = unassigned_a.version
    s.complaint_start_analysis(actor=org.agent_a, complaint=unassigned_a)
    with pytest.raises(VersionConflict):
        s.complaint_hold(
            actor=org.agent_a, complaint=unassigned_a, reason="等待", version=stale
        )
    fresh = Complaint.objects.get(pk=unassigned_a.pk)
    assert fresh.status == "analyzing"
    assert not fresh.events.filter(kind="sla_paused").exists()
    # with the current version it works
    s.complaint_hold(
        actor=org.agent_a, complaint=fresh, reason="等待", version=fresh.version
    )


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("admin", {"a_loose", "a_mine", "b", "a_owned"}),
        # a_owned has no team, its department is the customer's (A)
        ("manager_a", {"a_loose", "a_mine", "a_owned"}),
        ("supervisor_a", {"a_loose", "a_mine"}),
        ("agent_a", {"a_loose", "a_mine"}),
        ("complaint_handler_a", {"a_loose"}),
        ("qa_inspector_a", {"a_loose", "a_mine", "a_owned"}),
        ("account_manager_a", {"a_owned"}),
        ("agent_b", {"b"}),
        ("trainer_a", set()),
    ],
)
def test_scoping_of_complaints(org, who, sees):
    rows = {
        "a_loose": make_complaint(actor=org.supervisor_a),
        "a_mine": make_complaint(actor=org.supervisor_a),
        "b": make_complaint(actor=org.agent_b),
        "a_owned": make_complaint(
            customer=CustomerFactory(owner=org.account_manager_a)
        ),
    }
    s.complaint_assign(
        actor=org.supervisor_a, complaint=rows["a_mine"], assignee=org.agent_a
    )
    names = {c.pk: n for n, c in rows.items()}
    visible = scoping.visible_to(getattr(org, who), Complaint.objects.all())
    got = {names[pk] for pk in visible.values_list("pk", flat=True)}
    # a_owned has no team/department: only its account manager (and admin) see it
    if who == "admin":
        sees = sees | {"a_owned"}
    assert got == sees


def test_agent_who_registers_without_a_rule_owns_the_complaint(org):
    # Given no assignment rule, when agent A registers a complaint
    complaint = make_complaint(actor=org.agent_a)
    # Then it is theirs, in their team, and they may start on it
    assert complaint.assignee == org.agent_a and complaint.team == org.team_a
    s.complaint_start_analysis(actor=org.agent_a, complaint=complaint)


def test_registrant_reads_but_does_not_work_a_complaint_routed_away(org):
    # Given a rule giving phone complaints to a colleague's team
    from crm import scoping
    from tests.factories import TeamFactory, UserFactory
    from tests.factories.complaints import AssignmentRuleFactory

    hotline = TeamFactory(code="hotline", department=org.dept_a)
    colleague = UserFactory(username="hotline_agent", team=hotline, roles=["agent"])
    AssignmentRuleFactory(team=hotline, channel="phone")
    # When agent A registers one
    complaint = make_complaint(actor=org.agent_a)
    # Then it is routed, agent A still reads it but may not work on it
    assert complaint.assignee == colleague
    assert scoping.can_view(org.agent_a, complaint)
    with pytest.raises(NotPermitted):
        s.complaint_start_analysis(actor=org.agent_a, complaint=complaint)
    s.complaint_start_analysis(actor=colleague, complaint=complaint)
