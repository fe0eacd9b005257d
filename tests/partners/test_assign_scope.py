"""Assigning checks the assignee and team against the actor's scope before it
writes anything (issue 11, Medium 9).

Before the fix a supervisor could hand a complaint to another department's
agent: it was saved, and the answer was a 404 (the complaint had left the
supervisor's scope). Now the service refuses with the field named, for the API
and the admin alike, and the complaint, its events and its version stay as they
were.
"""

import pytest
from rest_framework.test import APIClient

from complaints.models import Complaint, ComplaintEvent
from complaints.services import complaint_assign
from config.errors import InvalidInput
from crm.models import Notification
from tests.factories.complaints import make_complaint

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"


def assign(user, complaint, body):
    client = APIClient()
    client.force_authenticate(user=user)
    return client.post(f"{URL}{complaint.reference}/assign/", body, format="json")


def state(complaint):
    row = Complaint.objects.get(pk=complaint.pk)
    return (
        row.assignee_id,
        row.team_id,
        row.department_id,
        row.version,
        ComplaintEvent.objects.filter(complaint=row).count(),
        Notification.objects.count(),
    )


@pytest.mark.parametrize(
    ("actor", "body", "field"),
    [
        ("supervisor_a", {"assignee": "agent_b"}, "assignee"),
        ("manager_a", {"assignee": "complaint_handler_b"}, "assignee"),
        ("supervisor_a", {"team": "team-b"}, "team"),
        ("manager_a", {"assignee": "agent_a", "team": "team-b"}, "team"),
    ],
)
def test_an_assignee_or_team_outside_the_scope_is_a_400_and_nothing_changes(
    org, actor, body, field
):
    complaint = make_complaint(actor=org.agent_a)
    before = state(complaint)

    response = assign(getattr(org, actor), complaint, body)

    assert response.status_code == 400, response.json()
    assert list(response.json()["errors"]) == [field]
    assert state(complaint) == before


def test_an_assignee_inside_the_scope_is_assigned(org):
    complaint = make_complaint(actor=org.agent_a)

    response = assign(org.supervisor_a, complaint, {"assignee": "complaint_handler_a"})

    assert response.status_code == 200, response.json()
    complaint.refresh_from_db()
    assert complaint.assignee == org.complaint_handler_a
    assert complaint.team == org.team_a


def test_an_admin_may_assign_across_departments(org):
    complaint = make_complaint(actor=org.agent_a)

    response = assign(org.admin, complaint, {"assignee": "agent_b"})

    assert response.status_code == 200, response.json()
    complaint.refresh_from_db()
    assert (complaint.assignee, complaint.team) == (org.agent_b, org.team_b)


def test_the_service_refuses_it_too_so_the_admin_action_does(org):
    complaint = make_complaint(actor=org.agent_a)
    before = state(complaint)

    with pytest.raises(InvalidInput) as exc:
        complaint_assign(
            actor=org.supervisor_a, complaint=complaint, assignee=org.agent_b
        )

    assert exc.value.field == "assignee"
    assert state(complaint) == before


def test_an_agent_may_still_take_an_unassigned_complaint_of_their_team(org):
    complaint = make_complaint(actor=org.agent_a)
    Complaint.objects.filter(pk=complaint.pk).update(assignee=None)

    response = assign(org.agent_a, complaint, {"assignee": "agent_a"})

    assert response.status_code == 200, response.json()
    assert Complaint.objects.get(pk=complaint.pk).assignee == org.agent_a
