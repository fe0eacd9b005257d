"""Complaint attachments are served only here, never from MEDIA_URL.

The file goes out as a download (``Content-Disposition: attachment``) with
``X-Content-Type-Options: nosniff`` and a sandboxing CSP, so a browser never
renders an uploaded file as a page of the portal, whatever its bytes.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from complaints import selectors


def _file_response(attachment):
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def capa_evidence_download(request, pk: int):
    evidence = selectors.capa_evidence_for_download(user=request.user, pk=pk)
    if evidence is None or not evidence.file:
        raise Http404
    return _file_response(evidence)


@login_required
@require_safe
def attachment_download(request, pk: int):
    attachment = selectors.attachment_for_download(user=request.user, pk=pk)
    if attachment is None or not attachment.file:
        raise Http404
    return _file_response(attachment)
