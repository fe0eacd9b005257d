"""The customer's links: the signed survey link of a resolution cycle and the
tracking page, and answering the survey through its link.

A survey token is ``django.core.signing`` of (complaint id, cycle) with a
timestamp: it cannot be forged or moved to another complaint, it expires after
``KEFU_SURVEY_TTL_DAYS``, and it is single-use because the cycle's survey can
be answered once (``survey_record_answer``). The outbound messages (issue 13,
"Outbound messages") put ``survey_url`` and ``tracking_url`` into their texts;
the links are made in ``complaints.services.links`` (re-exported here).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _

from complaints import selectors
from complaints.models import Complaint, SatisfactionSurvey
from complaints.services.links import SALT, survey_token, survey_url, tracking_url
from complaints.services.resolution import survey_record_answer
from config.errors import Conflict, DomainError, NotFound

__all__ = [
    "SALT",
    "survey_answer_by_token",
    "survey_for_token",
    "survey_token",
    "survey_url",
    "tracking_url",
]
S = Complaint.Status


class SurveyLinkExpired(DomainError):
    """The link was genuine but is no longer valid (too old, or the complaint
    was reopened since): the page answers 410."""

    status = 410
    code = "survey_link_expired"


def survey_for_token(token: str) -> tuple[Complaint, SatisfactionSurvey | None]:
    """The complaint and the survey of the cycle a link names.

    ``NotFound`` for a bad signature (the page answers 404); ``SurveyLinkExpired``
    when too old or superseded by a reopening (410); ``Conflict`` when already
    answered (409).
    """
    max_age = settings.KEFU_SURVEY_TTL_DAYS * 86400
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise SurveyLinkExpired(_("This survey link has expired.")) from None
    except signing.BadSignature:
        raise NotFound(_("This survey link is not valid.")) from None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        raise NotFound(_("This survey link is not valid."))
    complaint = selectors.complaint_for_survey(pk=data["c"])
    if complaint is None:
        raise NotFound(_("This survey link is not valid."))
    survey = complaint.surveys.filter(cycle=data.get("n")).first()
    if survey is not None and survey.answered_at is not None:
        raise Conflict(
            _("Thank you — this survey has already been answered."),
            code="already_answered",
        )
    if (
        complaint.status not in (S.RESOLVED, S.CLOSED)
        or data.get("n") != complaint.reopened_count + 1
    ):
        raise SurveyLinkExpired(
            _("This survey link is no longer valid: the complaint was reopened.")
        )
    return complaint, survey


@transaction.atomic
def survey_answer_by_token(
    *, token: str, csat, nps=None, comment: str = ""
) -> SatisfactionSurvey:
    """The customer answers through the link: checked as ``survey_for_token``,
    then recorded by ``survey_record_answer`` (the system acts, channel
    online), whose row lock makes a double submission a ``Conflict``."""
    complaint, _survey = survey_for_token(token)
    return survey_record_answer(
        actor=None,
        complaint=complaint,
        csat=csat,
        nps=nps,
        comment=comment,
        channel=Complaint.Channel.ONLINE,
    )


__all__ = ["survey_answer_by_token"]
