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
    complaint = make_complaint(actor=org.agent_a)
    client.force_login(org.supervisor_a)
    html = client.get(LIST, {"assignee": "none"}).content.decode()
    assert complaint.reference in html
    html = client.get(LIST, {"assignee": str(org.agent_b.pk)}).content.decode()
    assert complaint.reference not in html
