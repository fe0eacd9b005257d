"""Evidence files on a CAPA: the owner or a lead in scope uploads them with the
limits of complaint attachments (one event each); the page lists them and the
scoped download serves them."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from complaints import services as s
from complaints.models import CapaEvent, CapaEvidence, CorrectiveAction
from config.errors import IllegalTransition, InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db
JPEG = b"\xff\xd8\xff" + b"0" * 100


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _capa(org):
    return s.capa_create(
        actor=org.supervisor_a,
        title="派送员服务礼仪整改",
        root_cause="派送员未经礼仪培训上岗",
        action="全员参加礼仪培训并抽查",
        owner=org.complaint_handler_a,
        due_date=timezone.localdate() + timedelta(days=30),
    )


def _jpeg(name="签到表.jpg"):
    return SimpleUploadedFile(name, JPEG, "image/jpeg")


def test_the_owner_attaches_evidence_with_an_event(org, media):
    capa = _capa(org)
    evidence = s.capa_attach_evidence(
        actor=org.complaint_handler_a, capa=capa, file=_jpeg()
    )
    assert evidence.size == 103 and evidence.content_type == "image/jpeg"
    assert evidence.original_name == "签到表.jpg"
    assert (media / evidence.file.name).exists()
    event = CapaEvent.objects.get(capa=capa, kind="evidence")
    assert event.actor == org.complaint_handler_a
    assert event.data["evidence_id"] == evidence.pk


@pytest.mark.parametrize(
    ("name", "content", "ctype"),
    [
        ("big.pdf", b"%PDF-" + b"x" * 2048, "application/pdf"),
        ("virus.exe", b"MZ", "image/png"),
        ("empty.png", b"", "image/png"),
        ("page.jpg", b"<html><script>", "image/jpeg"),
    ],
)
def test_the_attachment_limits_apply(org, media, settings, name, content, ctype):
    settings.KEFU_ATTACHMENT_MAX_BYTES = 1024
    capa = _capa(org)
    with pytest.raises(InvalidInput) as refused:
        s.capa_attach_evidence(
            actor=org.complaint_handler_a,
            capa=capa,
            file=SimpleUploadedFile(name, content, ctype),
        )
    assert refused.value.field == "file"
    assert not CapaEvidence.objects.exists()
    assert not CapaEvent.objects.filter(kind="evidence").exists()


@pytest.mark.parametrize("who", ["agent_a", "supervisor_b", "manager_b"])
def test_others_are_refused(org, media, who):
    capa = _capa(org)
    with pytest.raises(NotPermitted):
        s.capa_attach_evidence(actor=getattr(org, who), capa=capa, file=_jpeg())
    assert not CapaEvidence.objects.exists()


def test_not_on_a_verified_capa(org, media):
    capa = _capa(org)
    s.capa_complete(actor=org.complaint_handler_a, capa=capa, note="完成")
    s.capa_verify(actor=org.supervisor_a, capa=capa, effective=True, note="有效")
    with pytest.raises(IllegalTransition):
        s.capa_attach_evidence(actor=org.supervisor_a, capa=capa, file=_jpeg())


def test_the_admin_uploads_lists_and_downloads_in_scope(org, media, client):
    capa = _capa(org)
    client.force_login(org.complaint_handler_a)
    url = reverse("admin:complaints_correctiveaction_transition", args=[capa.pk])
    response = client.post(
        url, {"action": "evidence", "version": capa.version, "evidence": _jpeg()}
    )
    assert response.status_code == 302
    evidence = CapaEvidence.objects.get()
    page = client.get(
        reverse("admin:complaints_correctiveaction_change", args=[capa.pk])
    ).content.decode()
    download = reverse("complaints:capa-evidence-download", args=[evidence.pk])
    assert download in page and "签到表.jpg" in page
    got = client.get(download)
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == JPEG
    assert got["X-Content-Type-Options"] == "nosniff"
    client.force_login(org.supervisor_b)
    assert client.get(download).status_code == 404
    assert CorrectiveAction.objects.get(pk=capa.pk).status == "open"
