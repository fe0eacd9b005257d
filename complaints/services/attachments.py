"""Attachments of a complaint (photos of damaged parcels, receipts, recordings).

Limits come from settings: ``KEFU_ATTACHMENT_MAX_BYTES`` and
``KEFU_ATTACHMENT_ALLOWED_TYPES``. The declared content type and the type the
file name implies must both be allowed, so a renamed executable is refused.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePath

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from complaints.models import ComplaintAttachment, ComplaintEvent
from complaints.services import permissions
from complaints.services.common import lock
from complaints.services.events import event_record
from config.errors import InvalidInput


def _clean_name(name: str) -> str:
    name = PurePath((name or "").replace("\\", "/")).name.strip()
    return name[:200] or "attachment"


@transaction.atomic
def complaint_attach(
    *, actor, complaint, file, name: str = "", content_type: str = ""
) -> ComplaintAttachment:
    """Store ``file`` (a Django ``File``/``UploadedFile``) on the complaint."""
    locked = lock(complaint)
    permissions.require(actor, locked, permissions.WORKERS)
    if file is None:
        raise InvalidInput(_("Choose a file."), field="file")
    name = _clean_name(name or getattr(file, "name", ""))
    size = file.size
    limit = settings.KEFU_ATTACHMENT_MAX_BYTES
    if size is None or size <= 0:
        raise InvalidInput(_("The file is empty."), field="file")
    if size > limit:
        raise InvalidInput(
            _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)},
            field="file",
        )
    allowed = set(settings.KEFU_ATTACHMENT_ALLOWED_TYPES)
    declared = (content_type or getattr(file, "content_type", "") or "").split(";")[0]
    guessed = mimetypes.guess_type(name)[0] or ""
    declared = declared or guessed
    if declared not in allowed or guessed not in allowed:
        raise InvalidInput(
            _("Files of this type are not accepted (%(type)s).")
            % {"type": declared or guessed or name},
            field="file",
        )
    attachment = ComplaintAttachment(
        complaint=locked,
        original_name=name,
        content_type=declared,
        size=size,
        uploaded_by=actor,
    )
    attachment.file.save(name, file, save=False)
    attachment.save()
    event_record(
        complaint=locked,
        kind=ComplaintEvent.Kind.ATTACHMENT,
        actor=actor,
        note=name,
        data={"attachment_id": attachment.pk, "size": size, "type": declared},
    )
    return attachment
