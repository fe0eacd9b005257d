"""Settings of the Celery worker that ``test_reminder_worker`` starts and kills.

Test settings plus an e-mail backend that records every message it sends in a
folder (one file per send, so a duplicate shows) and can be told to hang.
"""

import os

from config.settings.test import *  # noqa: F403

EMAIL_BACKEND = "tests.crm.recording_mail.RecordingBackend"
KEFU_TEST_MAIL_DIR = os.environ.get("KEFU_TEST_MAIL_DIR", "")
KEFU_NOTIFICATION_LEASE_SECONDS = int(
    os.environ.get("KEFU_NOTIFICATION_LEASE_SECONDS", "3")
)
# The customer-message worker test (tests/complaints/test_customer_message_worker.py)
KEFU_MESSAGE_LEASE_SECONDS = int(os.environ.get("KEFU_MESSAGE_LEASE_SECONDS", "3"))
