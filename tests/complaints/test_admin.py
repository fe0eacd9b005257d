"""Complaints admin: Chinese list with SLA state, scoping, constant query
count, intake and workflow through the services, no deletion."""

import pytest
from django.urls import reverse

from complaints.models import Complaint
from tests.factories import CustomerFactory
from tests.factories.complaints import make_complaint, walk

LIST = reverse("admin:complaints_complaint_changelist")


def change_url(c):
    return reverse("admin:complaints_complaint_change", args=[c.pk])


def workflow_url(c):
    return reverse("admin:complaints_complaint_workflow", args=[c.pk])


def test_changelist_query_count_does_not_grow(
    org, client, django_assert_max_num_queries
):
    client.force_login(org.supervisor_a)
    for _ in range(3):
        make_complaint(actor=org.agent_a)
    with django_assert_max_num_queries(20) as small:
        response = client.get(LIST)
    assert response.status_code == 200
    for _ in range(20):
        make_complaint(actor=org.agent_a)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(LIST)
    html = response.content.decode()
    assert html.count("TS2") >= 23
    assert "投诉" in html  # Chinese labels


def test_changelist_is_scoped(org, client):
    mine = make_complaint(actor=org.agent_a)
    theirs = make_complaint(actor=org.agent_b)
    client.force_login(org.agent_a)
    html = client.get(LIST).content.decode()
    assert mine.reference in html
    assert theirs.reference not in html
    assert client.get(change_url(theirs)).status_code == 302  # not found → redirect


def test_search_by_reference_and_customer_phone(org, client):
    customer = CustomerFactory(phone="+8613912345678", department=org.dept_a)
    hit = make_complaint(actor=org.agent_a, customer=customer)
    miss = make_complaint(actor=org.agent_a)
    client.force_login(org.supervisor_a)
    html = client.get(LIST, {"q": hit.reference}).content.decode()
    assert hit.reference in html and miss.reference not in html
    html = client.get(LIST, {"q": "139 1234 5678"}).content.decode()
    assert hit.reference in html and miss.reference not in html


def test_filters_render(org, client):
    make_complaint(actor=org.agent_a)
    client.force_login(org.manager_a)
    for params in (
        {"status__exact": "received"},
        {"category": "service_quality"},
        {"sla_breached": "yes"},
        {"sla_breached": "no"},
        {"archived": "all"},
        {"severity__exact": "normal"},
    ):
        assert client.get(LIST, params).status_code == 200


def test_change_form_is_read_only_with_timeline(org, client):
    complaint = make_complaint(actor=org.agent_a)
    client.force_login(org.supervisor_a)
    html = client.get(change_url(complaint)).content.decode()
    assert 'name="status"' not in html
    assert workflow_url(complaint) in html
    assert "SLA" in html


def test_add_through_the_service(org, client):
    from complaints.models import Category

    customer = CustomerFactory(department=org.dept_a)
    client.force_login(org.agent_a)
    response = client.post(
        reverse("admin:complaints_complaint_add"),
        {
            "customer": customer.pk,
            "channel": "phone",
            "category": Category.objects.get(code="attitude").pk,
            "severity": "high",
            "subject": "快递员态度恶劣",
            "description": "快递员电话中辱骂客户。",
        },
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.reference.startswith("TS")
    assert complaint.created_by == org.agent_a
    assert complaint.events.filter(kind="created").exists()
    assert complaint.sla_targets.count() == 4


def test_workflow_panel_calls_services_and_shows_domain_errors(org, client):
    complaint = make_complaint(actor=org.agent_a)
    client.force_login(org.agent_a)
    # an illegal action is refused with a message, nothing changes
    response = client.post(
        workflow_url(complaint),
        {"action": "close", "version": complaint.version},
        follow=True,
    )
    assert response.status_code == 200
    assert Complaint.objects.get(pk=complaint.pk).status == "received"
    assert any(m.level_tag == "error" for m in response.context["messages"])
    # a legal one goes through
    response = client.post(
        workflow_url(complaint),
        {"action": "start_analysis", "version": complaint.version},
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == "analyzing"
    # a stale version is a conflict
    response = client.post(
        workflow_url(complaint),
        {"action": "hold", "text": "等待", "version": complaint.version - 1},
        follow=True,
    )
    assert Complaint.objects.get(pk=complaint.pk).status == "analyzing"
    assert "其他人" in response.content.decode() or any(
        m.level_tag == "error" for m in response.context["messages"]
    )


def test_list_actions_call_services(org, client):
    done = walk(make_complaint(actor=org.agent_a), "resolved", actor=org.admin)
    # a staff error in service quality: closing needs the root cause recorded
    Complaint.objects.filter(pk=done.pk).update(root_cause="派送员未经培训上岗")
    open_one = make_complaint(actor=org.agent_a)
    client.force_login(org.supervisor_a)
    response = client.post(
        LIST,
        {"action": "close_selected", "_selected_action": [done.pk, open_one.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert Complaint.objects.get(pk=done.pk).status == "closed"
    assert Complaint.objects.get(pk=open_one.pk).status == "received"
    # assignment asks for the assignee first, then assigns
    response = client.post(
        LIST, {"action": "assign_selected", "_selected_action": [open_one.pk]}
    )
    assert response.status_code == 200 and "assignee" in response.content.decode()
    client.post(
        LIST,
        {
            "action": "assign_selected",
            "_selected_action": [open_one.pk],
            "apply": "1",
            "assignee": org.agent_a.pk,
        },
    )
    assert Complaint.objects.get(pk=open_one.pk).assignee == org.agent_a


@pytest.mark.parametrize("who", ["admin", "manager_a"])
def test_complaints_cannot_be_deleted(org, client, who):
    complaint = make_complaint(actor=org.agent_a)
    client.force_login(getattr(org, who))
    url = reverse("admin:complaints_complaint_delete", args=[complaint.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Complaint.objects.filter(pk=complaint.pk).exists()


def test_configuration_pages(org, client):
    client.force_login(org.manager_a)
    for name in ("slapolicy", "businesscalendar", "category", "correctiveaction"):
        url = reverse(f"admin:complaints_{name}_changelist")
        assert client.get(url).status_code == 200, name
    from complaints.models import BusinessCalendar

    cal = BusinessCalendar.objects.get(is_default=True)
    html = client.get(
        reverse("admin:complaints_businesscalendar_change", args=[cal.pk])
    ).content.decode()
    assert "调休" in html


def test_selectors_scope_and_timeline(org):
    from complaints import selectors

    mine = make_complaint(actor=org.agent_a)
    other = make_complaint(actor=org.agent_b)
    assert list(selectors.complaint_list(user=org.agent_a)) == [mine]
    visible = selectors.complaint_timeline(
        user=org.agent_b, complaint=other, customer_visible_only=True
    )
    assert [e.kind for e in visible] == ["created"]
    # another department's timeline: nothing
    assert not selectors.complaint_timeline(user=org.agent_a, complaint=other)


def test_assignee_filter(org, client):
    complaint = make_complaint(actor=org.supervisor_a)
    client.force_login(org.supervisor_a)
    html = client.get(LIST, {"assignee": "none"}).content.decode()
    assert complaint.reference in html
    html = client.get(LIST, {"assignee": str(org.agent_b.pk)}).content.decode()
    assert complaint.reference not in html


def _phone_complaint_form(customer):
    from complaints.models import Category

    return {
        "customer": customer.pk,
        "channel": "phone",
        "category": Category.objects.get(code="service_quality").pk,
        "severity": "normal",
        "subject": "快件延误",
        "description": "客户来电反映快件延误三天。",
    }


def test_agent_who_registers_a_complaint_owns_it_and_lands_on_it(org, client):
    # Given a rule that auto-assigns phone complaints within the agent's own team
    from tests.factories import UserFactory
    from tests.factories.complaints import AssignmentRuleFactory

    AssignmentRuleFactory(team=org.team_a, channel="phone")
    UserFactory(username="idle_agent", team=org.team_a, roles=["agent"])
    customer = CustomerFactory(department=org.dept_a)
    client.force_login(org.agent_a)
    # When agent_a registers a phone complaint
    response = client.post(
        reverse("admin:complaints_complaint_add"),
        _phone_complaint_form(customer),
        follow=True,
    )
    # Then agent_a owns it and sees its page, with a message saying so
    complaint = Complaint.objects.get()
    assert complaint.assignee == org.agent_a and complaint.team == org.team_a
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == change_url(complaint)
    texts = [str(m) for m in response.context["messages"]]
    assert any(complaint.reference in t and "分派给您" in t for t in texts), texts


def test_complaint_routed_to_another_team_stays_visible_to_its_registrant(org, client):
    # Given a rule that routes phone complaints to another team of the department
    from tests.factories import TeamFactory, UserFactory
    from tests.factories.complaints import AssignmentRuleFactory

    hotline = TeamFactory(code="hotline", name="热线组", department=org.dept_a)
    other = UserFactory(username="hotline_agent", team=hotline, roles=["agent"])
    AssignmentRuleFactory(team=hotline, channel="phone")
    customer = CustomerFactory(department=org.dept_a)
    client.force_login(org.agent_a)
    # When agent_a registers a phone complaint
    response = client.post(
        reverse("admin:complaints_complaint_add"),
        _phone_complaint_form(customer),
        follow=True,
    )
    # Then it goes by the rule, agent_a is told where, and lands on it
    complaint = Complaint.objects.get()
    assert complaint.assignee == other and complaint.team == hotline
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == change_url(complaint)
    assert complaint.reference in response.content.decode()
    texts = [str(m) for m in response.context["messages"]]
    assert any(str(other) in t and "热线组" in t for t in texts), texts
    # and finds it by reference in the changelist search
    html = client.get(LIST, {"q": complaint.reference}).content.decode()
    assert change_url(complaint) in html


def test_panel_proposes_the_next_step_and_says_what_it_did(org, client):
    # Given agent A's own complaint, received
    complaint = make_complaint(actor=org.agent_a)
    client.force_login(org.agent_a)
    # The panel proposes "start analysis", and only actions of its status
    form = client.get(workflow_url(complaint)).context["form"]
    assert form.initial["action"] == "start_analysis"
    offered = {code for code, _label in form.fields["action"].widget.choices}
    assert "resolve" not in offered and "close" not in offered
    # After the step: still on the panel, the next step proposed, with a
    # specific message
    response = client.post(
        workflow_url(complaint),
        {"action": "start_analysis", "version": complaint.version},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == (
        workflow_url(complaint) + "?action=record_analysis"
    )
    assert response.context["form"].initial["action"] == "record_analysis"
    texts = [str(m) for m in response.context["messages"]]
    assert any(complaint.reference in t and "分析中" in t for t in texts), texts
    # In analysis, the proposal moves on: record the analysis, then handling
    complaint.refresh_from_db()
    form = client.get(workflow_url(complaint)).context["form"]
    assert form.initial["action"] == "record_analysis"
    offered = {code for code, _label in form.fields["action"].widget.choices}
    assert "start_analysis" not in offered
    client.post(
        workflow_url(complaint),
        {"action": "record_analysis", "version": complaint.version, "text": "原因"},
    )
    complaint.refresh_from_db()
    assert complaint.analyzed_at is not None
    form = client.get(workflow_url(complaint)).context["form"]
    assert form.initial["action"] == "start_handling"


def test_timeline_says_which_clock_and_to_whom(org, client):
    from complaints.services import complaint_assign

    complaint = make_complaint(actor=org.supervisor_a)
    complaint_assign(actor=org.supervisor_a, complaint=complaint, assignee=org.agent_a)
    client.force_login(org.supervisor_a)
    html = client.get(change_url(complaint)).content.decode()
    # Each "SLA clock started" row names its clock; the assignment its assignee
    for clock in ("首次响应", "分析", "答复", "解决"):
        assert f"{clock}，截止" in html or clock in html
    assert html.count("，截止 ") >= 4
    assert f"分派给 {org.agent_a}（班组 {org.team_a}）" in html


def test_changelist_shows_open_work_by_next_sla_due(org, client):
    from datetime import timedelta

    from django.utils import timezone

    # Given an open complaint due later, one due sooner, and a closed one
    later = make_complaint(actor=org.supervisor_a)
    sooner = make_complaint(actor=org.supervisor_a)
    Complaint.objects.filter(pk=sooner.pk).update(
        first_response_due_at=timezone.now() + timedelta(minutes=5)
    )
    Complaint.objects.filter(pk=later.pk).update(
        first_response_due_at=timezone.now() + timedelta(hours=5)
    )
    closed = walk(make_complaint(actor=org.supervisor_a), "closed", actor=org.admin)
    client.force_login(org.supervisor_a)
    # The list opens on open complaints, the next due first
    rows = list(client.get(LIST).context["cl"].result_list)
    assert rows[:2] == [sooner, later] and closed not in rows
    # The SLA column sorts (descending: the later first)
    response = client.get(LIST)
    sla_column = [
        i for i, h in enumerate(response.context["cl"].list_display) if h == "sla_state"
    ][0]
    rows = list(client.get(LIST, {"o": f"-{sla_column}"}).context["cl"].result_list)
    assert rows.index(later) < rows.index(sooner)
    # "all" and a single status still show closed ones
    for status in ("all", "closed"):
        rows = client.get(LIST, {"status__exact": status}).context["cl"].result_list
        assert closed in list(rows)
    # Breached open complaints only, by default
    from complaints.models import SlaTarget
    from complaints.services.sla import sla_state_sync

    SlaTarget.objects.filter(complaint__in=[closed, later]).update(
        breached_at=timezone.now()
    )
    for marked in (closed, later):  # what the sweep does with its mark
        sla_state_sync(marked)
    rows = list(client.get(LIST, {"sla_breached": "yes"}).context["cl"].result_list)
    assert rows == [later]


def test_panel_knows_each_actions_own_fields(org, client):
    complaint = make_complaint(actor=org.agent_a)
    client.force_login(org.agent_a)
    response = client.get(workflow_url(complaint))
    fields = response.context["action_fields"]
    assert fields["start_analysis"] == ["text"]
    assert "cause_type" in fields["record_analysis"]
    html = response.content.decode()
    assert 'id="action-fields"' in html and 'data-field="cause_type"' in html
