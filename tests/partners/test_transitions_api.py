"""Staff-only transition endpoints: they call the services; 409 on illegal
transitions and version conflicts; partners cannot use them."""

from datetime import datetime

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
        (
            "reply",
            {"body": "您好，感谢您的反馈，包裹已重新派送，我们会再次与您联系确认。"},
            "replied",
        ),
        ("resolve", {"resolution_type": "redelivery"}, "resolved"),
        ("confirm", {}, "resolved"),
        ("close", {"note": "客户确认", "root_cause": "分拣流程缺少复核"}, "closed"),
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


def test_manager_overrides_a_due_time(org, staff_client):
    """The admin panel's "override SLA due time" is an endpoint too."""
    complaint = make_complaint(actor=org.agent_a)
    due = "2031-01-02T17:00:00+08:00"
    body = {"kind": "reply", "due_at": due, "reason": "客户同意延期"}

    agent = post(staff_client(org.agent_a), complaint, "override-due", body)
    response = post(staff_client(org.manager_a), complaint, "override-due", body)

    assert agent.status_code == 403 and agent.json()["code"] == "permission_denied"
    assert response.status_code == 200, response.json()
    assert response.json()["sla"]["reply_due_at"] == due
    complaint.refresh_from_db()
    assert complaint.reply_due_at == datetime.fromisoformat(due)
    assert complaint.sla_targets.get(kind="reply", met_at=None).is_overridden
    bad = post(staff_client(org.manager_a), complaint, "override-due", {})
    assert bad.status_code == 400
    assert {"kind", "due_at", "reason"} <= set(bad.json()["errors"])


def test_staff_attach_a_file(org, staff_client, settings, tmp_path):
    """The admin panel's "add attachment" is an endpoint too (multipart)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    complaint = make_complaint(actor=org.agent_a)
    client = staff_client(org.agent_a)
    photo = SimpleUploadedFile("破损.jpg", b"\xff\xd8\xff" + b"0" * 64, "image/jpeg")

    response = client.post(
        f"{URL}{complaint.reference}/attach/", {"file": photo}, format="multipart"
    )
    script = client.post(
        f"{URL}{complaint.reference}/attach/",
        {"file": SimpleUploadedFile("x.jpg", b"<script>", "image/jpeg")},
        format="multipart",
    )
    missing = post(client, complaint, "attach", {})

    assert response.status_code == 201, response.json()
    assert response.json()["reference"] == complaint.reference
    attachment = complaint.attachments.get()
    assert attachment.original_name == "破损.jpg"
    assert attachment.uploaded_by == org.agent_a
    assert complaint.events.filter(kind="attachment").count() == 1
    assert script.status_code == 400 and "file" in script.json()["errors"]
    assert missing.status_code == 400 and "file" in missing.json()["errors"]
    assert complaint.attachments.count() == 1


def test_partners_cannot_override_or_attach(partner_a, key_client):
    complaint = make_complaint(
        customer=CustomerFactory(partner=partner_a), source_partner=partner_a
    )
    client = key_client(partner_a, scopes=list(Scope.values))

    for action in ("override-due", "attach"):
        assert post(client, complaint, action, {}).status_code == 403, action
    assert not complaint.attachments.exists()


def test_a_retried_note_with_the_same_key_adds_one_note(org, staff_client):
    complaint = make_complaint(actor=org.agent_a)
    client = staff_client(org.agent_a)
    client.credentials(HTTP_IDEMPOTENCY_KEY="note-1")

    first = post(client, complaint, "note", {"body": "客户来电催促"})
    again = post(client, complaint, "note", {"body": "客户来电催促"})

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert complaint.notes.count() == 1
