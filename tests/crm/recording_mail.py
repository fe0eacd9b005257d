"""E-mail backend for the worker test: one file per message sent.

While a file named ``hang`` exists in the folder, the backend announces that it is
sending (``sending-<n>``) and then blocks, so the test can kill the worker in the
middle of a delivery, before the message went out.
"""

import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class RecordingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = Path(settings.KEFU_TEST_MAIL_DIR)
        for message in email_messages:
            if (folder / "hang").exists():
                (folder / f"sending-{uuid.uuid4().hex}").touch()
                time.sleep(600)
            message_id = message.extra_headers.get("Message-ID", "")
            name = message_id.strip("<>").split("@")[0]
            (folder / f"sent-{name}-{uuid.uuid4().hex}.eml").write_text(
                message.message().as_string()
            )
        return len(email_messages)
