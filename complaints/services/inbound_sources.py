"""Where customer mail comes from: a Maildir folder (the embedded default,
``KEFU_INBOUND_MAILDIR``) and an IMAP mailbox (``KEFU_IMAP_URL``), polled by
beat (``complaints.poll_inbound_email``). Each message goes to
``inbound_email_receive``, which is idempotent by Message-ID, so a message
fetched again after a crash is acted on once; only then is it marked as read.
"""

from __future__ import annotations

import contextlib
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


def poll_maildir(path: str | None = None) -> int:
    """Read the unseen messages of the Maildir at ``path`` (created if missing);
    each is marked seen (moved to ``cur/`` with flag S) once stored. Returns how
    many were read."""
    folder = mailbox.Maildir(Path(path or settings.KEFU_INBOUND_MAILDIR), create=True)
    count = 0
    for key in sorted(folder.keys()):
        try:
            message = folder.get_message(key)
        except KeyError:
            continue  # taken by a concurrent poller
        if SEEN in message.get_flags():
            continue
        raw = folder.get_bytes(key)
        inbound_email_receive(raw=raw, source=InboundEmail.Source.MAILDIR)
        message.set_subdir("cur")
        message.add_flag(SEEN)
        with contextlib.suppress(KeyError):
            folder[key] = message
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
