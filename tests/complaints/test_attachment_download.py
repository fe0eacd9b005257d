"""Attachments: served only through the scoped download view, content checked by
its magic bytes at upload, long names keep their extension."""

import io
import zipfile
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints import services as s
from complaints.models import ComplaintAttachment
from config.errors import InvalidInput
from tests.factories.complaints import make_complaint

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 2
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _attach(actor, complaint, name, content, ctype):
    return s.complaint_attach(
        actor=actor,
        complaint=complaint,
        file=SimpleUploadedFile(name, content, ctype),
    )


def _url(attachment):
    return reverse("complaints:attachment-download", args=[attachment.pk])


def _office(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for part, data in parts.items():
            package.writestr(part, data)
    return buffer.getvalue()


# ------------------------------------------------------------------ download


def test_in_scope_staff_download_the_exact_bytes_as_an_attachment(org, client, media):
    complaint = make_complaint(actor=org.agent_a)
    attachment = _attach(org.agent_a, complaint, "破损照片.jpg", JPEG, "image/jpeg")
    client.force_login(org.manager_a)

    response = client.get(_url(attachment))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == JPEG
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert quote("破损照片.jpg") in disposition
    assert "sandbox" in response["Content-Security-Policy"]


def test_out_of_scope_and_roles_without_attachments_get_404(org, client, media):
    complaint = make_complaint(actor=org.agent_a)
    attachment = _attach(org.agent_a, complaint, "a.pdf", PDF, "application/pdf")

    for user in (org.agent_b, org.manager_b, org.supervisor_b, org.trainer_a):
        client.force_login(user)
        assert client.get(_url(attachment)).status_code == 404, user.username
    client.force_login(org.agent_a)
    assert client.get(_url(attachment)).status_code == 200
    missing = reverse("complaints:attachment-download", args=[attachment.pk + 999])
    assert client.get(missing).status_code == 404


def test_anonymous_is_sent_to_the_login_page(org, client, media):
    complaint = make_complaint(actor=org.agent_a)
    attachment = _attach(org.agent_a, complaint, "a.pdf", PDF, "application/pdf")

    response = client.get(_url(attachment))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


def test_download_is_read_only(org, client, media):
    complaint = make_complaint(actor=org.agent_a)
    attachment = _attach(org.agent_a, complaint, "a.pdf", PDF, "application/pdf")
    client.force_login(org.agent_a)

    assert client.post(_url(attachment)).status_code == 405


def test_the_admin_links_to_the_download_view(org, client, media):
    """The complaint page's attachment link used to point at MEDIA_URL (404)."""
    complaint = make_complaint(actor=org.agent_a)
    attachment = _attach(org.agent_a, complaint, "回单.pdf", PDF, "application/pdf")
    client.force_login(org.agent_a)

    html = client.get(
        reverse("admin:complaints_complaint_change", args=[complaint.pk])
    ).content.decode()

    assert f'href="{_url(attachment)}"' in html
    assert "/media/" not in html
    assert client.get(_url(attachment)).status_code == 200


# -------------------------------------------------------------------- upload


@pytest.mark.parametrize(
    ("name", "content", "ctype"),
    [
        ("photo.png", b"<html><script>alert(document.cookie)</script>", "image/png"),
        ("photo.jpg", b"\n  <!DOCTYPE html><p>hi</p>", "image/jpeg"),
        ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>', ""),
        ("logo.png", b'<?xml version="1.0"?><svg/>', "image/png"),
        ("note.txt", "客户来信\n<script>alert(1)</script>".encode(), "text/plain"),
        ("scan.pdf", b"\xef\xbb\xbf<html><body>", "application/pdf"),
        ("photo.png", JPEG, "image/png"),  # real JPEG called PNG
        ("report.docx", _office({"[Content_Types].xml": b"<x/>"}), ""),
        ("report.pdf", b"MZ\x90\x00\x03", "application/pdf"),
    ],
    ids=[
        "html-as-png",
        "doctype-as-jpg",
        "svg-as-png",
        "xml-svg-as-png",
        "script-in-text",
        "bom-html-as-pdf",
        "jpeg-called-png",
        "zip-without-word-part",
        "exe-as-pdf",
    ],
)
def test_content_that_is_not_what_it_claims_is_refused(
    org, media, name, content, ctype
):
    complaint = make_complaint(actor=org.agent_a)

    with pytest.raises(InvalidInput) as exc:
        _attach(org.agent_a, complaint, name, content, ctype)

    assert exc.value.field == "file"
    assert not ComplaintAttachment.objects.exists()
    assert not list(media.rglob("*.*"))


def test_html_disguised_as_png_is_refused_in_the_admin(org, client, media):
    complaint = make_complaint(actor=org.agent_a)
    client.force_login(org.agent_a)
    upload = SimpleUploadedFile("photo.png", b"<html><script>x</script>", "image/png")

    response = client.post(
        reverse("admin:complaints_complaint_workflow", args=[complaint.pk]),
        {"action": "attach", "version": complaint.version, "file": upload},
    )

    assert response.status_code == 200
    assert "不接受网页、SVG 和脚本文件" in response.content.decode()
    assert not ComplaintAttachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "ctype", "stored_type"),
    [
        ("photo.jpeg", JPEG, "image/jpeg", "image/jpeg"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image/png", "image/png"),
        ("anim.gif", b"GIF89a" + b"\x00" * 16, "image/gif", "image/gif"),
        ("a.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp", "image/webp"),
        ("call.mp3", b"ID3\x04\x00" + b"\x00" * 16, "audio/mpeg", "audio/mpeg"),
        ("call.mp3", b"\xff\xfb\x90\x64" + b"\x00" * 16, "audio/mpeg", "audio/mpeg"),
        ("call.wav", b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/x-wav", "audio/wav"),
        ("scan.pdf", PDF, "application/pdf", "application/pdf"),
        ("信.txt", "客户来信：快件三天未到。".encode("gb18030"), "", "text/plain"),
        ("信.txt", "客户来信：快件三天未到。".encode("utf-16"), "", "text/plain"),
        ("信.txt", "客户来信：a < b > c".encode(), "text/plain", "text/plain"),
        (
            "说明.docx",
            _office(
                {"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w:document/>"}
            ),
            "",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "明细.xlsx",
            _office({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<w/>"}),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ],
    ids=[
        "jpeg",
        "png",
        "gif",
        "webp",
        "mp3-id3",
        "mp3-frame",
        "wav",
        "pdf",
        "text-gb18030",
        "text-utf16",
        "text-utf8-with-angle-brackets",
        "docx",
        "xlsx",
    ],
)
def test_real_files_of_every_allowed_type_are_accepted(
    org, media, name, content, ctype, stored_type
):
    complaint = make_complaint(actor=org.agent_a)

    attachment = _attach(org.agent_a, complaint, name, content, ctype)

    assert attachment.content_type == stored_type
    assert attachment.file.read() == content


def test_a_long_name_is_trimmed_but_keeps_its_extension(org, client, media):
    complaint = make_complaint(actor=org.agent_a)
    name = "顾客投诉材料" * 60 + ".pdf"

    attachment = _attach(org.agent_a, complaint, name, PDF, "application/pdf")

    assert len(attachment.original_name) <= 200
    assert attachment.original_name.endswith(".pdf")
    assert attachment.original_name.startswith("顾客投诉材料")
    assert attachment.file.name.endswith(".pdf")
    assert attachment.content_type == "application/pdf"
    client.force_login(org.agent_a)
    response = client.get(_url(attachment))
    assert ".pdf" in response["Content-Disposition"]
