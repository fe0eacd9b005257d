"""Issue 3: attachments with size and type limits — staff add them in the admin
(workflow panel → complaint_attach); a refused file shows the service's error."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints.models import ComplaintAttachment
from tests.factories.complaints import make_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def post(client, complaint, upload):
    return client.post(
        reverse("admin:complaints_complaint_workflow", args=[complaint.pk]),
        {"action": "attach", "version": complaint.version, "file": upload},
    )


def test_agent_attaches_a_photo_in_the_admin(org, client, media):
    complaint = make_complaint(actor=org.agent_a)
    client.force_login(org.agent_a)
    panel = client.get(
        reverse("admin:complaints_complaint_workflow", args=[complaint.pk])
    ).content.decode()
    assert 'enctype="multipart/form-data"' in panel and 'name="file"' in panel
    upload = SimpleUploadedFile(
        "破损照片.jpg", b"\xff\xd8\xff" + b"0" * 64, "image/jpeg"
    )
    response = post(client, complaint, upload)
    assert response.status_code == 302
    attachment = ComplaintAttachment.objects.get(complaint=complaint)
    assert attachment.original_name == "破损照片.jpg"
    assert attachment.uploaded_by == org.agent_a
    assert complaint.events.filter(kind="attachment").count() == 1
    change = client.get(
        reverse("admin:complaints_complaint_change", args=[complaint.pk])
    ).content.decode()
    assert "破损照片.jpg" in change


@pytest.mark.parametrize(
    ("name", "content", "ctype"),
    [
        ("big.pdf", b"x" * 2048, "application/pdf"),
        ("virus.exe", b"MZ", "application/octet-stream"),
    ],
)
def test_refused_files_show_the_error_and_store_nothing(
    org, client, media, settings, name, content, ctype
):
    settings.KEFU_ATTACHMENT_MAX_BYTES = 1024
    complaint = make_complaint(actor=org.agent_a)
    client.force_login(org.agent_a)
    response = post(client, complaint, SimpleUploadedFile(name, content, ctype))
    assert response.status_code == 200  # the panel again, with the error
    assert 'class="errorlist' in response.content.decode()
    assert not ComplaintAttachment.objects.filter(complaint=complaint).exists()


def test_no_file_is_a_field_error(org, client, media):
    complaint = make_complaint(actor=org.agent_a)
    client.force_login(org.agent_a)
    response = client.post(
        reverse("admin:complaints_complaint_workflow", args=[complaint.pk]),
        {"action": "attach", "version": complaint.version},
    )
    assert response.status_code == 200
    assert "请选择文件" in response.content.decode()
