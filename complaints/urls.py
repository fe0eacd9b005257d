"""Staff pages of the complaints app outside the admin."""

from django.urls import path

from complaints.views import attachment_download, capa_evidence_download

app_name = "complaints"

urlpatterns = [
    path(
        "attachments/<int:pk>/download/",
        attachment_download,
        name="attachment-download",
    ),
    path(
        "capa-evidence/<int:pk>/download/",
        capa_evidence_download,
        name="capa-evidence-download",
    ),
]
