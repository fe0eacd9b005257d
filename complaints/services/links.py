"""The customer's links and message ids, with no service imports (the messages
to the customer use them from inside the follow-ups, below every service).

- ``survey_token``/``survey_url``: the signed survey link of a resolution cycle
  (``complaints.services.surveys`` checks and answers it);
- ``tracking_url``: the public tracking page, the reference filled in;
- ``outbound_message_id``: the Message-ID of mail about a complaint, which
  ``complaints.services.inbound`` recognises in a reply's ``In-Reply-To``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "kefu.complaints.survey"


def survey_token(complaint, *, cycle: int | None = None) -> str:
    cycle = cycle or complaint.reopened_count + 1
    return signing.dumps({"c": complaint.pk, "n": cycle}, salt=SALT, compress=True)


def _absolute(path: str) -> str:
    return settings.KEFU_BASE_URL.rstrip("/") + path


def survey_url(complaint) -> str:
    """The absolute survey link of the complaint's current resolution cycle."""
    return _absolute(
        reverse("public:survey", kwargs={"token": survey_token(complaint)})
    )


def tracking_url(complaint) -> str:
    """The absolute tracking link, the reference filled in (the customer still
    gives the last digits of the phone or the e-mail)."""
    query = urlencode({"reference": complaint.reference})
    return _absolute(f"{reverse('public:track')}?{query}")


def outbound_message_id(reference: str, token: str, domain: str = "") -> str:
    """The Message-ID for mail sent about complaint ``reference`` (so that the
    customer's reply finds its complaint even without the subject tag)."""
    domain = domain or settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "kefu"
    return f"<kefu.{reference}.{token}@{domain}>"
