"""Staff-only transition endpoints: they call the services; 409 on illegal
transitions and version conflicts; partners cannot use them."""

import pytest

from complaints.models import ComplaintEvent
from config.api.scopes import Scope
from tests.factories.complaints import make_complaint
from tests.factories.crm import CustomerFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"


def post(client, complaint, action, body=None):
    return client.post(
        f"{URL}{complaint.reference}/{action}/", body or {}, format="json"
    )


def test_supervisor_walks_a_complaint_to_closed(org, staff_client):
    complaint = make_complaint(actor=org.agent_a)
    client = staff_client(org.supervisor_a)

    steps = [
        ("start-analysis", {"note": "开始分析"}, "analyzing"),
        (
            "analysis",
            {"cause_hypothesis": "分拣错误", "cause_type": "process"},
            "analyzing",
        ),
        ("start-handling", {}, "handling"),
        ("reply", {"body": "您好，包裹已重新派送。"}, "replied"),
        ("resolve", {"resolution_type": "redelivery"}, "resolved"),
        ("confirm", {}, "resolved"),
        ("close", {"note": "客户确认"}, "closed"),
    ]
    for action, body, status in steps:
        response = post(client, complaint, action, body)
        assert response.status_code == 200, (action, response.json())
        assert response.json()["status"] == status, action

    complaint.refresh_from_db()
    assert complaint.status == "closed"
    assert complaint.replied_at and complaint.resolved_at and complaint.confirmed_at
    kinds = list(complaint.events.values_list("kind", flat=True))
    assert kinds.count(ComplaintEvent.Kind.STATUS_CHANGED) >= 5
    assert (
        ComplaintEvent.objects.filter(
            complaint=complaint, kind="status_changed", to_status="closed"
        )
        .get()
        .actor
        == org.supervisor_a
    )


def test_illegal_transition_is_409(org, staff_client):
    complaint = make_complaint(actor=org.agent_a)

    response = post(staff_client(org.supervisor_a), complaint, "close")

    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    complaint.refresh_from_db()
    assert complaint.status == "received"


def test_stale_version_is_409_and_changes_nothing(org, staff_client):
    complaint = make_complaint(actor=org.agent_a)
    client = staff_client(org.supervisor_a)
    version = client.get(f"{URL}{complaint.reference}/").json()["version"]
    assert (
        post(client, complaint, "start-analysis", {"version": version}).status_code
        == 200
    )

    response = post(
        client, complaint, "hold", {"reason": "等客户回电", "version": version}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "version_conflict"
    complaint.refresh_from_db()
    assert complaint.status == "analyzing"


def test_rules_of_the_services_apply(org, staff_client):
    complaint = make_complaint(actor=org.agent_a)

    # An agent may not reject (a service rule) → 403.
    reject = post(staff_client(org.agent_a), complaint, "reject", {"reason": "重复"})
    # A reason is required → 400 naming the field.
    empty = post(staff_client(org.supervisor_a), complaint, "reject", {})
    unknown = post(
        staff_client(org.supervisor_a), complaint, "assign", {"assignee": "ghost"}
    )

    assert reject.status_code == 403 and reject.json()["code"] == "permission_denied"
    assert empty.status_code == 400 and "reason" in empty.json()["errors"]
    assert unknown.status_code == 400 and "assignee" in unknown.json()["errors"]


def test_out_of_scope_staff_get_404(org, staff_client):
    complaint = make_complaint(actor=org.agent_a)

    response = post(staff_client(org.supervisor_b), complaint, "start-analysis")

    assert response.status_code == 404


def test_partners_cannot_use_transitions(partner_a, key_client):
    complaint = make_complaint(
        customer=CustomerFactory(partner=partner_a), source_partner=partner_a
    )
    client = key_client(partner_a, scopes=list(Scope.values))

    for action in ("start-analysis", "close", "note", "reply"):
        response = post(client, complaint, action, {"body": "x"})
        assert response.status_code == 403, action
    complaint.refresh_from_db()
    assert complaint.status == "received"


def test_internal_note(org, staff_client):
    complaint = make_complaint(actor=org.agent_a)

    response = post(
        staff_client(org.agent_a), complaint, "note", {"body": "客户情绪激动"}
    )

    assert response.status_code == 201
    assert complaint.notes.get().body == "客户情绪激动"


def _complaint_admin_registered() -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("admin:complaints_complaint_change", args=[1])
    except NoReverseMatch:
        return False
    return True


def test_assign_to_a_staff_member(org, staff_client):
    if not _complaint_admin_registered():
        pytest.skip("assignment notifications link to the complaint admin")
    complaint = make_complaint(actor=org.agent_a)

    response = post(
        staff_client(org.supervisor_a),
        complaint,
        "assign",
        {"assignee": org.agent_a.username, "team": org.team_a.code},
    )

    assert response.status_code == 200, response.json()
    complaint.refresh_from_db()
    assert complaint.assignee == org.agent_a and complaint.team == org.team_a
