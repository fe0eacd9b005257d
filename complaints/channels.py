"""Channel adapters for messages to customers: how one message leaves Kefu.

A backend has one method, ``send(message) -> provider id``, and raises
``ChannelError`` (or anything) when the provider refuses. E-mail always goes
through Django's mail (``EMAIL_URL``); SMS and WeChat through the backend named
by ``KEFU_MESSAGE_BACKEND``:

- ``console`` (default): logged, nothing leaves the machine;
- ``file``: one JSON file per message in ``KEFU_MESSAGE_FILE_DIR`` (tests, demos);
- ``http``: a JSON POST to ``KEFU_SMS_URL`` / ``KEFU_WECHAT_URL`` (a provider's
  gateway or a small relay in front of it); a 2xx answer is success and its
  JSON ``id`` (or ``message_id``/``msgid``) is the provider's id.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage

logger = logging.getLogger(__name__)


class ChannelError(Exception):
    """The provider refused or could not be reached."""


@dataclass(frozen=True)
class Outgoing:
    """What a backend needs of one message (no model: backends import no app)."""

    channel: str
    address: str
    subject: str
    body: str
    message_id: str  # stable per outbox row: the receiver can drop a duplicate
    reference: str = ""


class ConsoleBackend:
    def send(self, message: Outgoing) -> str:
        logger.info(
            "customer message %s via %s: %s",
            message.message_id,
            message.channel,
            message.body,
        )
        return f"console-{message.message_id}"


class FileBackend:
    def __init__(self, directory: str | None = None):
        self.directory = Path(directory or settings.KEFU_MESSAGE_FILE_DIR)

    def send(self, message: Outgoing) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{message.channel}-{uuid.uuid4().hex}.json"
        (self.directory / name).write_text(
            json.dumps(asdict(message), ensure_ascii=False), encoding="utf-8"
        )
        return name


class HttpBackend:
    def __init__(
        self, urls: dict[str, str] | None = None, timeout: float | None = None
    ):
        self.urls = urls or {
            "sms": settings.KEFU_SMS_URL,
            "wechat": settings.KEFU_WECHAT_URL,
        }
        self.timeout = timeout or settings.KEFU_MESSAGE_HTTP_TIMEOUT

    def send(self, message: Outgoing) -> str:
        url = self.urls.get(message.channel) or ""
        if not url:
            raise ChannelError(f"no URL configured for {message.channel}")
        payload = json.dumps(
            {
                "to": message.address,
                "text": message.body,
                "reference": message.reference,
                "id": message.message_id,
            },
            ensure_ascii=False,
        ).encode("utf-8")
        request = urllib.request.Request(
            url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": message.message_id,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                body = answer.read(65536)
        except urllib.error.HTTPError as exc:
            raise ChannelError(f"HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ChannelError(str(exc)) from exc
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        return str(data.get("id") or data.get("message_id") or data.get("msgid") or "")


class EmailBackend:
    def send(self, message: Outgoing) -> str:
        EmailMessage(
            subject=message.subject,
            body=message.body,
            to=[message.address],
            headers={"Message-ID": message.message_id},
        ).send()
        return message.message_id


BACKENDS = {"console": ConsoleBackend, "file": FileBackend, "http": HttpBackend}


def backend_for(channel: str):
    """The backend that sends ``channel`` (``email`` → Django mail)."""
    if channel == "email":
        return EmailBackend()
    name = settings.KEFU_MESSAGE_BACKEND
    if name not in BACKENDS:
        raise ChannelError(f"unknown KEFU_MESSAGE_BACKEND {name!r}")
    return BACKENDS[name]()
