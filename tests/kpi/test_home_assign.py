"""The supervisor's one-click assignment on the home (``home-assign``): the
offered colleagues, the service's decision, the messages and who may post."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from complaints import selectors
from complaints.models import ComplaintEvent
from complaints.services import complaint_assign
from tests.factories import UserFactory
from tests.factories.complaints import make_complaint

pytestmark = pytest.mark.django_db


def _unassigned(org, actor=None):
    c = make_complaint(actor=actor or org.supervisor_a)
    assert c.assignee_id is None  # given: in the team's queue
    return c


def _post(client, user, complaint, assignee, **extra):
    client.force_login(user)
    body = {"assignee": assignee.pk if assignee else "", **extra}
    return client.post(reverse("home-assign", args=[complaint.pk]), body)


def _messages(response) -> list[tuple[str, str]]:
    return [(m.tags, str(m)) for m in get_messages(response.wsgi_request)]


def test_supervisor_assigns_in_one_click_and_returns_home(client, org):
    c = _unassigned(org)
    response = _post(client, org.supervisor_a, c, org.agent_a, version=c.version)
    assert response.status_code == 302 and response["Location"] == "/"
    c.refresh_from_db()
    assert c.assignee == org.agent_a and c.team == org.team_a
    event = c.events.filter(kind=ComplaintEvent.Kind.ASSIGNED).latest("pk")
    assert event.actor == org.supervisor_a
    assert event.data["assignee"] == org.agent_a.pk
    name = org.agent_a.get_full_name() or org.agent_a.username
    assert _messages(response) == [("success", f"投诉 {c.reference} 已分派给 {name}。")]


def test_the_home_offers_agents_and_handlers_of_the_team(client, org):
    c = _unassigned(org)
    other_team_agent = UserFactory(
        username="agent_a2",
        team=org.team_b,
        department=org.dept_a,
        roles=["agent"],
    )
    client.force_login(org.supervisor_a)
    response = client.get("/")
    offered = {u.pk for u in response.context["assignees"]}
    # agents and handlers of team A; not supervisors, managers, other roles, nor
    # an agent of another team, nor department B
    assert offered == {org.agent_a.pk, org.complaint_handler_a.pk}
    assert other_team_agent.pk not in offered
    html = response.content.decode()
    assert reverse("home-assign", args=[c.pk]) in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "分派给…" in html


def test_supervisor_is_offered_the_department_handlers_of_other_teams(org):
    handler = UserFactory(
        username="handler_a2",
        team=None,
        department=org.dept_a,
        roles=["complaint_handler"],
    )
    offered = set(
        selectors.desk_assignees(user=org.supervisor_a).values_list("pk", flat=True)
    )
    assert offered == {org.agent_a.pk, org.complaint_handler_a.pk, handler.pk}


def test_supervisor_hands_on_to_a_handler(client, org):
    c = make_complaint(actor=org.supervisor_a)
    complaint_assign(actor=org.supervisor_a, complaint=c, assignee=org.agent_a)
    c.refresh_from_db()
    response = _post(
        client, org.supervisor_a, c, org.complaint_handler_a, version=c.version
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.assignee == org.complaint_handler_a


def test_someone_not_offered_is_refused_with_a_message(client, org):
    c = _unassigned(org)
    response = _post(client, org.supervisor_a, c, org.manager_a)
    assert response.status_code == 302 and response["Location"] == "/"
    c.refresh_from_db()
    assert c.assignee_id is None
    assert _messages(response) == [
        ("error", f"投诉 {c.reference}：请从列表中选择要分派的同事。")
    ]


def test_an_empty_choice_is_refused_with_a_message(client, org):
    c = _unassigned(org)
    response = _post(client, org.supervisor_a, c, None)
    assert response.status_code == 302
    assert [t for t, _m in _messages(response)] == ["error"]
    c.refresh_from_db()
    assert c.assignee_id is None


def test_a_stale_page_is_refused_by_the_service(client, org):
    c = _unassigned(org)
    stale = c.version
    complaint_assign(actor=org.supervisor_a, complaint=c, assignee=org.agent_a)
    response = _post(
        client, org.supervisor_a, c, org.complaint_handler_a, version=stale
    )
    assert response.status_code == 302 and response["Location"] == "/"
    c.refresh_from_db()
    assert c.assignee == org.agent_a  # unchanged
    [(tag, text)] = _messages(response)
    assert tag == "error" and text.startswith(f"投诉 {c.reference} 未分派：")


def test_supervisor_of_another_team_gets_404(client, org):
    c = _unassigned(org)
    response = _post(client, org.supervisor_b, c, org.agent_b)
    assert response.status_code == 404
    c.refresh_from_db()
    assert c.assignee_id is None


@pytest.mark.parametrize("role", ["agent_a", "complaint_handler_a", "qa_inspector_a"])
def test_roles_that_do_not_assign_get_403(client, org, role):
    c = _unassigned(org)
    response = _post(client, getattr(org, role), c, org.agent_a)
    assert response.status_code == 403
    c.refresh_from_db()
    assert c.assignee_id is None


def test_anonymous_is_sent_to_the_login(client, org):
    c = _unassigned(org)
    response = client.post(
        reverse("home-assign", args=[c.pk]), {"assignee": org.agent_a.pk}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    c.refresh_from_db()
    assert c.assignee_id is None


def test_get_is_not_allowed(client, org):
    c = _unassigned(org)
    client.force_login(org.supervisor_a)
    assert client.get(reverse("home-assign", args=[c.pk])).status_code == 405


def test_the_post_needs_the_csrf_token(org):
    from django.test import Client

    c = _unassigned(org)
    client = Client(enforce_csrf_checks=True)
    response = _post(client, org.supervisor_a, c, org.agent_a)
    assert response.status_code == 403
    c.refresh_from_db()
    assert c.assignee_id is None


def test_home_queue_query_count_is_pinned(client, org, django_assert_num_queries):
    for _ in range(3):
        _unassigned(org)
    client.force_login(org.supervisor_a)
    client.get("/")  # warm the session and content types
    with django_assert_num_queries(12) as ctx:
        client.get("/")
    for _ in range(5):
        _unassigned(org)
        UserFactory(team=org.team_a, roles=["agent"])
    with django_assert_num_queries(len(ctx.captured_queries)):
        response = client.get("/")
    assert len(response.context["queue"]["unassigned"]) == 8
    assert len(response.context["assignees"]) == 7


def test_managers_are_offered_their_department_and_admins_everyone(org):
    def offered(user):
        return set(selectors.desk_assignees(user=user).values_list("pk", flat=True))

    side_a = {org.agent_a.pk, org.complaint_handler_a.pk}
    side_b = {org.agent_b.pk, org.complaint_handler_b.pk}
    assert offered(org.manager_a) == side_a
    assert offered(org.admin) == side_a | side_b


def test_a_manager_assigns_from_the_home(client, org):
    c = _unassigned(org)
    response = _post(client, org.manager_a, c, org.complaint_handler_a)
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.assignee == org.complaint_handler_a


@pytest.mark.parametrize("value", ["abc", "999999", "1 OR 1=1"])
def test_garbage_is_refused_with_a_message_not_a_500(client, org, value):
    c = _unassigned(org)
    client.force_login(org.supervisor_a)
    response = client.post(
        reverse("home-assign", args=[c.pk]), {"assignee": value, "version": "x"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert _messages(response) == [
        ("error", f"投诉 {c.reference}：请从列表中选择要分派的同事。")
    ]
    c.refresh_from_db()
    assert c.assignee_id is None
