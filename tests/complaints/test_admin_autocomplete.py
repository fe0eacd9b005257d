"""Issue 3: the admin has autocomplete for customer and assignee."""

import pytest
from django.urls import reverse

from complaints.admin import ComplaintAdmin
from tests.factories.complaints import make_complaint

pytestmark = pytest.mark.django_db
LIST = reverse("admin:complaints_complaint_changelist")
AUTOCOMPLETE = reverse("admin:autocomplete")


def test_customer_is_an_autocomplete_field():
    assert "customer" in ComplaintAdmin.autocomplete_fields


def test_assignee_is_searched_as_you_type(org, client):
    complaint = make_complaint(actor=org.agent_a)
    client.force_login(org.supervisor_a)
    # the assign action and the workflow panel render an autocomplete select
    page = client.post(
        LIST, {"action": "assign_selected", "_selected_action": [complaint.pk]}
    ).content.decode()
    assert "admin-autocomplete" in page and "select2" in page
    panel = client.get(
        reverse("admin:complaints_complaint_workflow", args=[complaint.pk])
    ).content.decode()
    assert "admin-autocomplete" in panel

    # the autocomplete answers with staff in the supervisor's scope
    response = client.get(
        AUTOCOMPLETE,
        {
            "app_label": "complaints",
            "model_name": "complaint",
            "field_name": "assignee",
            "term": org.agent_a.username[:4],
        },
    )
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert str(org.agent_a.pk) in ids
    assert str(org.agent_b.pk) not in ids

    # choosing someone outside the scope is refused by the form
    client.post(
        LIST,
        {
            "action": "assign_selected",
            "_selected_action": [complaint.pk],
            "apply": "1",
            "assignee": org.agent_b.pk,
        },
    )
    complaint.refresh_from_db()
    assert complaint.assignee != org.agent_b


def _handlers_team(org):
    """A complaints team of department A with its handler (not the supervisor's
    team), as in the demo: supervisor01 runs the hotline, handler01 sits in the
    complaints team."""
    from tests.factories import TeamFactory, UserFactory

    team = TeamFactory(code="complaints-a", name="投诉处理组", department=org.dept_a)
    handler = UserFactory(
        username="handler01", name="韩处理", team=team, roles=["complaint_handler"]
    )
    return team, handler


def _search(client, term):
    response = client.get(
        AUTOCOMPLETE,
        {
            "app_label": "complaints",
            "model_name": "complaint",
            "field_name": "assignee",
            "term": term,
        },
    )
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def test_supervisor_finds_and_assigns_a_handler_of_another_team(org, client):
    # Given a handler in the department's complaints team
    team, handler = _handlers_team(org)
    complaint = make_complaint(actor=org.supervisor_a)
    client.force_login(org.supervisor_a)
    # The search finds the handler, and offers no account manager
    assert str(handler.pk) in _search(client, "handler")
    assert str(org.account_manager_a.pk) not in _search(client, "account")
    # and what it offers is accepted: the complaint goes to the handler
    response = client.post(
        LIST,
        {
            "action": "assign_selected",
            "_selected_action": [complaint.pk],
            "apply": "1",
            "assignee": handler.pk,
        },
        follow=True,
    )
    complaint.refresh_from_db()
    assert complaint.assignee == handler and complaint.team == team
    assert "选择一个有效的选项" not in response.content.decode()


def test_agent_hands_own_complaint_to_a_handler_in_the_panel(org, client):
    # Given agent A's own complaint and a handler of the department
    _team, handler = _handlers_team(org)
    complaint = make_complaint(actor=org.agent_a)
    assert complaint.assignee == org.agent_a
    client.force_login(org.agent_a)
    panel = client.get(
        reverse("admin:complaints_complaint_workflow", args=[complaint.pk])
    )
    # The panel offers the handler (not only the agent themselves)
    offered = set(panel.context["form"].fields["assignee"].queryset)
    assert {org.agent_a, handler} <= offered
    assert org.account_manager_a not in offered and org.agent_b not in offered
    # When the agent assigns it to the handler, it is the handler's
    client.post(
        reverse("admin:complaints_complaint_workflow", args=[complaint.pk]),
        {"action": "assign", "version": complaint.version, "assignee": handler.pk},
    )
    complaint.refresh_from_db()
    assert complaint.assignee == handler
