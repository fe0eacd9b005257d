"""Complaint events are append-only and complaints are archived, never deleted
by staff (DESIGN §1)."""

import pytest
from django.urls import reverse

from complaints import services as s
from complaints.models import ComplaintEvent, ImmutableRowError
from tests.factories.complaints import make_complaint, walk

pytestmark = pytest.mark.django_db


def test_events_cannot_be_changed_or_deleted(org):
    complaint = make_complaint(actor=org.agent_a)
    event = complaint.events.order_by("pk").first()
    count = ComplaintEvent.objects.count()

    event.note = "rewritten"
    with pytest.raises(ImmutableRowError):
        event.save()
    with pytest.raises(ImmutableRowError):
        event.delete()
    with pytest.raises(ImmutableRowError):
        ComplaintEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(ImmutableRowError):
        ComplaintEvent.objects.filter(complaint=complaint).delete()
    with pytest.raises(ImmutableRowError):
        complaint.events.all().delete()

    event.refresh_from_db()
    assert event.note != "rewritten"
    assert ComplaintEvent.objects.count() == count


def test_lifecycle_appends_events_only(org):
    complaint = make_complaint(actor=org.agent_a)
    before = list(complaint.events.order_by("pk").values_list("pk", "kind", "note"))
    walk(complaint, "resolved", actor=org.supervisor_a)
    after = list(complaint.events.order_by("pk").values_list("pk", "kind", "note"))
    assert after[: len(before)] == before
    assert len(after) > len(before)


def test_admin_timeline_is_read_only_and_has_no_event_admin(org, client):
    complaint = make_complaint(actor=org.agent_a)
    client.force_login(org.admin)
    response = client.get(
        reverse("admin:complaints_complaint_change", args=[complaint.pk])
    )
    assert response.status_code == 200
    # The inline timeline has no form fields for events.
    assert 'name="events-0-note"' not in response.content.decode()
    with pytest.raises(Exception):  # noqa: B017 - NoReverseMatch: no event admin
        reverse("admin:complaints_complaintevent_change", args=[1])


def test_archived_not_deleted(org, client):
    complaint = make_complaint(actor=org.agent_a)
    s.complaint_reject(actor=org.supervisor_a, complaint=complaint, reason="重复")
    complaint.refresh_from_db()
    s.complaint_archive(actor=org.manager_a, complaint=complaint)
    complaint.refresh_from_db()
    assert complaint.is_archived is True
    archived = complaint.events.get(kind="archived")
    assert archived.actor == org.manager_a
    assert archived.customer_visible is False
    # archiving twice records it once
    s.complaint_archive(actor=org.manager_a, complaint=complaint)
    assert complaint.events.filter(kind="archived").count() == 1
    client.force_login(org.admin)
    response = client.post(
        reverse("admin:complaints_complaint_delete", args=[complaint.pk]),
        {"post": "yes"},
    )
    assert response.status_code == 403
    assert type(complaint).objects.filter(pk=complaint.pk).exists()


def test_only_privacy_redaction_may_touch_a_stored_event(org):
    complaint = make_complaint(actor=org.agent_a)
    # seed a note with personal data the way a service would (insert only)
    from complaints.services.events import event_record

    noted = event_record(
        complaint=complaint,
        kind="note",
        note="客户张三来电，电话13800138000",
        data={"caller": "张三"},
    )
    # PIPL erasure: masking text with the mark is allowed
    noted.note = "客户***来电，电话***"
    noted.data = {"caller": "***"}
    noted.save(update_fields=["note", "data"])
    noted.refresh_from_db()
    assert noted.note == "客户***来电，电话***"
    # anything else is refused
    noted.note = "客户李四来电"
    with pytest.raises(ImmutableRowError):
        noted.save(update_fields=["note"])
    noted.refresh_from_db()
    noted.kind = "replied"
    with pytest.raises(ImmutableRowError):
        noted.save(update_fields=["kind"])
    noted.refresh_from_db()
    noted.data = {"caller": "***", "extra": 1}
    with pytest.raises(ImmutableRowError):
        noted.save(update_fields=["data"])
