"""Where customer mail comes from: a Maildir folder (the embedded default,
``KEFU_INBOUND_MAILDIR``) and an IMAP mailbox (``KEFU_IMAP_URL``), polled by
beat (``complaints.poll_inbound_email``). Each message goes to
``inbound_email_receive``, which is idempotent by Message-ID, so a message
fetched again after a crash is acted on once; only then is it marked as read.
"""

from __future__ import annotations

import contextlib
import glob
import imaplib
import logging
import mailbox
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings

from complaints.models import InboundEmail
from complaints.services.inbound import inbound_email_receive

log = logging.getLogger(__name__)
SEEN = "S"


def _maildir(root: Path) -> mailbox.Maildir:
    """The Maildir at ``root``, its ``tmp``/``new``/``cur`` made if missing (an
    empty directory made by hand is a Maildir too)."""
    for sub in ("tmp", "new", "cur"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return mailbox.Maildir(root, create=False)


def _message_file(root: Path, key: str) -> Path | None:
    """The file of message ``key``: ``new/<key>`` or ``cur/<key>:2,<flags>``."""
    for sub in ("new", "cur"):
        for path in (root / sub).glob(glob.escape(key) + "*"):
            if path.name.partition(":")[0] == key:
                return path
    return None


def _flags(path: Path) -> str:
    info = path.name.partition(":")[2]
    return info[2:] if info.startswith("2,") else ""


def poll_maildir(path: str | None = None) -> int:
    """Read the unseen messages of the Maildir at ``path`` (made if missing).

    A message read is marked seen the Maildir way — renamed to
    ``cur/<key>:2,S``, its bytes untouched — once ``inbound_email_receive`` has
    stored it. Returns how many were read.
    """
    root = Path(path or settings.KEFU_INBOUND_MAILDIR)
    folder = _maildir(root)
    count = 0
    for key in sorted(folder.keys()):
        current = _message_file(root, key)
        if current is None or SEEN in _flags(current):
            continue  # gone (a concurrent poller) or read before
        try:
            raw = folder.get_bytes(key)
        except KeyError:
            continue
        inbound_email_receive(raw=raw, source=InboundEmail.Source.MAILDIR)
        current = _message_file(root, key)
        if current is not None:
            flags = "".join(sorted(set(_flags(current)) | {SEEN}))
            with contextlib.suppress(FileNotFoundError):
                current.rename(root / "cur" / f"{key}:2,{flags}")
        count += 1
    return count


def _imap_settings(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps"):
        raise ValueError("KEFU_IMAP_URL must start with imap:// or imaps://")
    return {
        "ssl": parts.scheme == "imaps",
        "host": parts.hostname or "localhost",
        "port": parts.port or (993 if parts.scheme == "imaps" else 143),
        "user": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "folder": unquote(parts.path.lstrip("/")) or "INBOX",
    }


def poll_imap(url: str | None = None, *, connect=None) -> int:
    """Fetch the UNSEEN messages of the IMAP folder of ``url``
    (``imaps://user:password@host:993/INBOX``), store each, then flag it
    ``\\Seen``. ``connect`` (tests) replaces imaplib's constructor."""
    url = url if url is not None else settings.KEFU_IMAP_URL
    if not url:
        return 0
    conf = _imap_settings(url)
    if connect is None:
        connect = imaplib.IMAP4_SSL if conf["ssl"] else imaplib.IMAP4
    client = connect(conf["host"], conf["port"])
    count = 0
    try:
        client.login(conf["user"], conf["password"])
        client.select(conf["folder"])
        status, data = client.uid("SEARCH", None, "UNSEEN")
        if status != "OK":
            return 0
        for uid in (data[0] or b"").split():
            status, fetched = client.uid("FETCH", uid, "(BODY.PEEK[])")
            if status != "OK":
                continue
            raw = next((item[1] for item in fetched if isinstance(item, tuple)), None)
            if raw is None:
                continue
            inbound_email_receive(raw=raw, source=InboundEmail.Source.IMAP)
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            count += 1
    finally:
        try:
            client.logout()
        except Exception:
            log.warning("IMAP logout failed", exc_info=True)
    return count


def inbound_poll() -> dict[str, int]:
    """Beat's job: the Maildir folder, then IMAP when configured."""
    return {"maildir": poll_maildir(), "imap": poll_imap()}
