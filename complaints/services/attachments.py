"""Attachments of a complaint (photos of damaged parcels, receipts, recordings).

Limits come from settings: ``KEFU_ATTACHMENT_MAX_BYTES`` and
``KEFU_ATTACHMENT_ALLOWED_TYPES``. Three things must agree before a file is
kept: the declared content type and the type the file name implies are both
allowed, and the type the file's own first bytes show (a small table of magic
numbers below, no third-party sniffer) is the one its name implies. HTML, SVG,
XML and scripts are refused whatever they are called or declared as, and the
stored ``content_type`` is the sniffed one. Files are served only by
``complaints.views.attachment_download`` (as downloads, ``nosniff``).
"""

from __future__ import annotations

import codecs
import mimetypes
import re
import uuid
import zipfile
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

NAME_MAX = 200
SNIFF_BYTES = 2048
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Other spellings of the same types (browsers and Python's mimetypes differ).
ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "audio/mp3": "audio/mpeg",
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
}
# (offset, bytes) that every file of the type starts with.
MAGIC: tuple[tuple[str, tuple[tuple[int, bytes], ...]], ...] = (
    ("image/jpeg", ((0, b"\xff\xd8\xff"),)),
    ("image/png", ((0, b"\x89PNG\r\n\x1a\n"),)),
    ("image/gif", ((0, b"GIF87a"),)),
    ("image/gif", ((0, b"GIF89a"),)),
    ("image/webp", ((0, b"RIFF"), (8, b"WEBP"))),
    ("audio/wav", ((0, b"RIFF"), (8, b"WAVE"))),
    ("application/pdf", ((0, b"%PDF-"),)),
    ("audio/mpeg", ((0, b"ID3"),)),
)
# What a browser would render as a document: refused in any file.
MARKUP_START = re.compile(
    rb"^\s*<(?:!doctype|!--|\?xml|html|head|body|script|iframe|svg|style|title|"
    rb"div|table|a|b|p|br|h1|font|object|embed|meta|link|img|form)[\s>/]",
    re.IGNORECASE,
)
MARKUP_ANYWHERE = re.compile(
    rb"<\s*(?:script|html|svg|iframe|body|object|embed)[\s>/]",
    re.IGNORECASE,
)
TEXT_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _canonical(content_type: str) -> str:
    content_type = (content_type or "").split(";")[0].strip().lower()
    return ALIASES.get(content_type, content_type)


def _clean_name(name: str) -> str:
    """The base name, at most NAME_MAX characters, keeping its extension."""
    name = PurePath((name or "").replace("\\", "/")).name.strip()
    if len(name) > NAME_MAX:
        suffix = PurePath(name).suffix
        if len(suffix) > 16:  # not a real extension: just cut
            suffix = ""
        name = name[: NAME_MAX - len(suffix)].rstrip() + suffix
    return name or "attachment"


def _storage_name(name: str) -> str:
    suffix = PurePath(name).suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,8}", suffix):
        suffix = ""
    return f"{uuid.uuid4().hex}{suffix}"


def _looks_like_text(head: bytes) -> bool:
    if TEXT_CONTROL.search(head):
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            # incremental: a character cut at the end of the sample is fine
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _office_type(file) -> str | None:
    """docx or xlsx when the file is a ZIP with that package's main part."""
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        file.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def sniff_content_type(file) -> str | None:
    """The type the file's bytes show: one of the known binary types, "text/html"
    for markup (refused), "text/plain" for plain text, or None (unknown)."""
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    if isinstance(head, str):  # a text-mode file object
        head = head.encode("utf-8")
    text = head.removeprefix(codecs.BOM_UTF8)
    if head.startswith(UTF16_BOMS):  # Windows Notepad's "Unicode" text
        text = head.decode("utf-16", errors="replace").encode("utf-8")
    if MARKUP_START.match(text):
        return "text/html"
    for content_type, parts in MAGIC:
        if all(head[at : at + len(magic)] == magic for at, magic in parts):
            return content_type
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2:
        return "audio/mpeg"  # an MPEG Layer III frame header without an ID3 tag
    if head.startswith(b"PK\x03\x04"):
        return _office_type(file)
    if _looks_like_text(text):
        return "text/html" if MARKUP_ANYWHERE.search(text) else "text/plain"
    return None


def checked_upload(
    file, *, name: str = "", content_type: str = ""
) -> tuple[str, int, str]:
    """(clean name, size, sniffed type) of an upload that passes the attachment
    limits (the rules above); ``InvalidInput`` on ``file`` otherwise."""
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
    allowed = {_canonical(t) for t in settings.KEFU_ATTACHMENT_ALLOWED_TYPES}
    declared = _canonical(content_type or getattr(file, "content_type", ""))
    guessed = _canonical(mimetypes.guess_type(name)[0] or "")
    declared = declared or guessed
    if declared not in allowed or guessed not in allowed:
        raise InvalidInput(
            _("Files of this type are not accepted (%(type)s).")
            % {"type": declared or guessed or name},
            field="file",
        )
    sniffed = sniff_content_type(file)
    if sniffed != guessed:
        raise InvalidInput(
            _(
                "The file's content is not what its name says (%(type)s); "
                "web pages, SVG and scripts are not accepted."
            )
            % {"type": guessed},
            field="file",
        )
    return name, size, sniffed


def storage_name(name: str) -> str:
    """A random file name keeping the (checked) extension."""
    return _storage_name(name)


@transaction.atomic
def complaint_attach(
    *, actor, complaint, file, name: str = "", content_type: str = ""
) -> ComplaintAttachment:
    """Store ``file`` (a Django ``File``/``UploadedFile``) on the complaint.

    Refused (InvalidInput on ``file``, nothing stored): no file, empty, too big,
    a declared or implied type off the allow-list, content that is markup or
    script, or content whose type is not the one its name implies.
    """
    locked = lock(complaint)
    permissions.require(actor, locked, permissions.WORKERS)
    name, size, sniffed = checked_upload(file, name=name, content_type=content_type)
    attachment = ComplaintAttachment(
        complaint=locked,
        original_name=name,
        content_type=sniffed,
        size=size,
        uploaded_by=actor,
    )
    # On disk under a random name with the (checked) extension: the person's
    # file name can be longer than the file system allows and says who it is.
    attachment.file.save(_storage_name(name), file, save=False)
    attachment.save()
    event_record(
        complaint=locked,
        kind=ComplaintEvent.Kind.ATTACHMENT,
        actor=actor,
        note=name,
        data={"attachment_id": attachment.pk, "size": size, "type": sniffed},
    )
    return attachment
