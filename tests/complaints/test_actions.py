"""The registry of complaint actions (complaints.actions) is what both the API
and the admin's workflow panel offer: the same actions, each calling an existing
service with parameters it has, for the roles the service admits."""

import inspect
from unittest import mock

import pytest
from django.urls import reverse

from complaints import services
from complaints.actions import ACTIONS, leading_to
from complaints.admin_forms import WorkflowForm
from complaints.api.views import ComplaintViewSet
from complaints.models import Complaint
from complaints.services import permissions
from complaints.services.common import TRANSITIONS
from tests.factories.complaints import make_complaint, walk

S = Complaint.Status
NOT_ACTIONS = {"events", "feedback"}  # the other detail endpoints of the viewset


def _api_actions():
    return {
        a.url_path: a
        for a in ComplaintViewSet.get_extra_actions()
        if a.__name__ not in NOT_ACTIONS
    }


def test_api_and_admin_offer_the_same_actions():
    api = _api_actions()
    panel = dict(WorkflowForm.base_fields["action"].choices)

    assert set(api) == {action.path for action in ACTIONS.values()}
    assert set(panel) == set(ACTIONS)
    for action in ACTIONS.values():
        endpoint = api[action.path]
        assert endpoint.__name__ == action.api_name
        assert set(endpoint.mapping) == {"post"}
        assert ComplaintViewSet.required_perms[action.api_name] == action.permission
        assert panel[action.code] == action.label


@pytest.mark.parametrize("code", list(ACTIONS))
def test_each_action_calls_an_existing_service_with_its_parameters(code):
    action = ACTIONS[code]
    name = action.service.__name__
    assert getattr(services, name) is action.service, name
    params = inspect.signature(action.service).parameters
    assert {"actor", "complaint"} <= set(params)
    # every API field and every panel field reaches a parameter of the service
    assert set(action.api_input().fields) <= set(params), code
    assert set(action.panel) <= set(params), code
    assert set(action.panel.values()) <= set(WorkflowForm.base_fields), code
    assert action.versioned == ("version" in params)


class _Checked(Exception):
    pass


@pytest.mark.django_db
@pytest.mark.parametrize("code", list(ACTIONS))
def test_each_action_admits_the_roles_its_service_checks(org, code):
    """The roles a service passes to ``require_role`` (any branch) are the
    action's roles."""
    action = ACTIONS[code]
    checked = set()

    def spy(actor, roles):
        checked.update(roles)
        raise _Checked

    # A front-line actor and a lead: assign checks different roles for each.
    for actor in (org.agent_a, org.supervisor_a):
        complaint = make_complaint(actor=org.agent_a)
        if complaint.assignee_id is not None:  # routing assigned it: unassign
            complaint = services.complaint_assign(
                actor=org.admin, complaint=complaint, team=org.team_a
            )
            complaint.assignee = None
        kwargs = {
            name: None
            for name, p in inspect.signature(action.service).parameters.items()
            if p.default is inspect.Parameter.empty
            and name not in {"actor", "complaint"}
        }
        if code == "assign":
            kwargs["assignee"] = actor
        with (
            mock.patch.object(permissions, "require_role", spy),
            pytest.raises(_Checked),
        ):
            action.service(actor=actor, complaint=complaint, **kwargs)
    assert frozenset(checked) == action.roles


def test_transition_actions_are_offered_where_the_table_allows():
    assert ACTIONS["start_analysis"].statuses == {S.RECEIVED, S.REOPENED}
    assert ACTIONS["start_handling"].statuses == {S.ANALYZING, S.REPLIED, S.REOPENED}
    assert ACTIONS["resume"].statuses == {S.ON_HOLD}
    assert ACTIONS["reopen"].statuses == {S.RESOLVED, S.CLOSED}
    for target in (S.ANALYZING, S.HANDLING, S.ON_HOLD, S.REJECTED, S.CLOSED):
        for source in leading_to(target):
            assert target in TRANSITIONS[source]


def _offered(client, complaint) -> list[str]:
    page = client.get(
        reverse("admin:complaints_complaint_workflow", args=[complaint.pk])
    )
    assert page.status_code == 200
    widget = page.context["form"].fields["action"].widget
    return [code for code, _label in widget.choices]


@pytest.mark.django_db
def test_panel_offers_the_actions_of_the_status_and_role(org, client):
    complaint = make_complaint(actor=org.agent_a)
    client.force_login(org.supervisor_a)
    assert _offered(client, complaint) == [
        "start_analysis",
        "reply",
        "note",
        "hold",
        "reject",
        "assign",
        "escalate",
        "change_severity",
        "attach",
    ]

    resolved = walk(make_complaint(actor=org.agent_a), "resolved", actor=org.admin)
    client.force_login(org.agent_a)
    offered = _offered(client, resolved)
    assert offered == [
        "reply",
        "note",
        "confirm",
        "assign",
        "change_severity",
        "attach",
    ]
    assert "close" not in offered and "reopen" not in offered  # not the agent's

    client.force_login(org.manager_a)
    assert {"close", "reopen", "override_due"} <= set(_offered(client, resolved))


@pytest.mark.django_db
def test_a_rejected_complaint_still_takes_notes_and_attachments(org, client):
    rejected = make_complaint(actor=org.agent_a)
    services.complaint_reject(actor=org.supervisor_a, complaint=rejected, reason="重复")
    client.force_login(org.agent_a)
    page = client.get(
        reverse("admin:complaints_complaint_workflow", args=[rejected.pk])
    )
    assert page.context["form"].fields["action"].widget.choices == [
        ("note", ACTIONS["note"].label),
        ("attach", ACTIONS["attach"].label),
    ]


@pytest.mark.django_db
def test_panel_assigns_to_a_team_like_the_api(org, client):
    complaint = make_complaint(actor=org.supervisor_a)
    client.force_login(org.supervisor_a)
    response = client.post(
        reverse("admin:complaints_complaint_workflow", args=[complaint.pk]),
        {
            "action": "assign",
            "version": complaint.version,
            "assignee": org.agent_a.pk,
            "team": org.team_a.pk,
            "text": "请跟进",
        },
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.assignee == org.agent_a and complaint.team == org.team_a
    event = complaint.events.filter(kind="assigned").latest("pk")
    assert event.note == "请跟进" and event.actor == org.supervisor_a
