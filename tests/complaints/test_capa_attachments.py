"""CAPA lifecycle and attachment limits."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from complaints import services as s
from complaints.models import ComplaintAttachment, CorrectiveAction
from config.errors import IllegalTransition, InvalidInput, NotPermitted
from tests.factories.complaints import make_complaint


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _capa(org, complaints=()):
    return s.capa_create(
        actor=org.supervisor_a,
        title="派送员服务礼仪整改",
        root_cause="派送员未经礼仪培训上岗",
        action="全员参加礼仪培训并抽查",
        owner=org.complaint_handler_a,
        due_date=date.today() + timedelta(days=30),
        complaints=complaints,
    )


def test_capa_create_link_complete_verify(org):
    first = make_complaint(actor=org.agent_a, category="attitude")
    capa = _capa(org, [first])
    assert capa.status == CorrectiveAction.Status.OPEN
    assert capa.department == org.dept_a
    assert list(capa.complaints.all()) == [first]
    assert first.events.filter(kind="capa_linked").exists()
    assert org.complaint_handler_a.notifications.filter(kind="capa_assigned").exists()

    second = make_complaint(actor=org.agent_a, category="attitude")
    s.capa_link_complaints(
        actor=org.supervisor_a, capa=capa, complaints=[first, second]
    )
    assert capa.complaints.count() == 2

    capa = s.capa_complete(
        actor=org.complaint_handler_a, capa=capa, note="已完成 3 场培训"
    )
    assert capa.status == CorrectiveAction.Status.COMPLETED
    assert capa.completed_at is not None
    # the owner may not verify their own work; a supervisor does
    with pytest.raises(NotPermitted):
        s.capa_verify(
            actor=org.complaint_handler_a, capa=capa, effective=True, note="好"
        )
    capa = s.capa_verify(
        actor=org.supervisor_a, capa=capa, effective=True, note="一个月内无同类投诉"
    )
    assert capa.status == CorrectiveAction.Status.VERIFIED
    assert capa.verified_by == org.supervisor_a
    with pytest.raises(IllegalTransition):
        s.capa_complete(actor=org.supervisor_a, capa=capa, note="再次")


def test_ineffective_capa_goes_back_to_work(org):
    capa = _capa(org)
    capa = s.capa_complete(actor=org.complaint_handler_a, capa=capa, note="已处理")
    capa = s.capa_verify(
        actor=org.manager_a, capa=capa, effective=False, note="仍有投诉"
    )
    assert capa.status == CorrectiveAction.Status.INEFFECTIVE
    capa = s.capa_start(actor=org.complaint_handler_a, capa=capa)
    assert capa.status == CorrectiveAction.Status.IN_PROGRESS


def test_capa_cannot_link_complaints_outside_scope(org):
    other = make_complaint(actor=org.agent_b)
    with pytest.raises(NotPermitted):
        _capa(org, [other])
    assert not CorrectiveAction.objects.exists()


def test_agents_cannot_open_capa(org):
    with pytest.raises(NotPermitted):
        s.capa_create(
            actor=org.agent_a,
            title="x",
            root_cause="y",
            action="z",
            owner=org.agent_a,
            due_date=date.today(),
        )


@pytest.mark.usefixtures("local_day_edge")  # also at 23:30 UTC = 07:30 CST
def test_capa_due_date_not_in_the_past(org):
    with pytest.raises(InvalidInput) as exc:
        s.capa_create(
            actor=org.supervisor_a,
            title="x",
            root_cause="y",
            action="z",
            owner=org.agent_a,
            due_date=timezone.localdate() - timedelta(days=1),
        )
    assert exc.value.field == "due_date"
    assert not CorrectiveAction.objects.exists()


def test_attachment_is_stored_with_an_event(org, media):
    complaint = make_complaint(actor=org.agent_a)
    upload = SimpleUploadedFile(
        "破损照片.jpg", b"\xff\xd8\xff" + b"0" * 100, "image/jpeg"
    )
    attachment = s.complaint_attach(actor=org.agent_a, complaint=complaint, file=upload)
    assert attachment.size == 103
    assert attachment.content_type == "image/jpeg"
    assert attachment.original_name == "破损照片.jpg"
    assert (media / attachment.file.name).exists()
    assert complaint.events.filter(kind="attachment").exists()


@pytest.mark.parametrize(
    ("name", "content", "ctype"),
    [
        ("big.pdf", b"x" * 2048, "application/pdf"),
        ("virus.exe", b"MZ", "application/octet-stream"),
        ("virus.exe", b"MZ", "image/png"),  # declared type lies
        ("empty.png", b"", "image/png"),
    ],
)
def test_attachment_limits(org, media, settings, name, content, ctype):
    settings.KEFU_ATTACHMENT_MAX_BYTES = 1024
    complaint = make_complaint(actor=org.agent_a)
    with pytest.raises(InvalidInput) as exc:
        s.complaint_attach(
            actor=org.agent_a,
            complaint=complaint,
            file=SimpleUploadedFile(name, content, ctype),
        )
    assert exc.value.field == "file"
    assert not ComplaintAttachment.objects.exists()


def test_attachment_needs_scope(org, media):
    complaint = make_complaint(actor=org.agent_a)
    with pytest.raises(NotPermitted):
        s.complaint_attach(
            actor=org.agent_b,
            complaint=complaint,
            file=SimpleUploadedFile("a.png", b"png", "image/png"),
        )
