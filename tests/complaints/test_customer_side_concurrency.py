"""Races of the customer's side on PostgreSQL (issue 13): the same mail fetched
by two pollers, two auto-close jobs, a survey link submitted twice at once.
Skipped on SQLite (it serialises writers anyway)."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection

from complaints.models import Complaint, ComplaintEvent, InboundEmail
from complaints.services import clock
from complaints.services.closing import complaints_auto_close
from complaints.services.inbound import inbound_email_receive
from complaints.services.surveys import survey_answer_by_token, survey_token
from config.errors import Conflict
from crm.models import Customer
from tests.complaints.test_concurrency import run_together
from tests.factories.complaints import make_complaint, walk

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL"
    ),
]
PLAIN = (Path(__file__).parent / "maildir" / "plain.eml").read_bytes()


def test_the_same_mail_fetched_at_once_is_acted_on_once(db):
    results = run_together(lambda i: inbound_email_receive(raw=PLAIN, source="imap"), 4)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(created for _row, created in results) == 1
    assert InboundEmail.objects.count() == 1
    assert Complaint.objects.count() == 1
    assert Customer.objects.count() == 1


def test_two_auto_close_jobs_close_once(org, settings):
    settings.KEFU_AUTO_CLOSE_DAYS = 7
    complaint = walk(make_complaint(actor=org.agent_a), "resolved", actor=org.admin)
    later = clock.now() + timedelta(days=8)

    results = run_together(lambda i: complaints_auto_close(now=later), 2)

    assert sorted(results) == [0, 1]
    assert (
        ComplaintEvent.objects.filter(complaint=complaint, kind="auto_closed").count()
        == 1
    )


def test_a_survey_link_submitted_twice_at_once_is_recorded_once(org):
    complaint = walk(make_complaint(actor=org.agent_a), "resolved", actor=org.admin)
    token = survey_token(complaint)

    results = run_together(lambda i: survey_answer_by_token(token=token, csat=5 - i), 2)

    assert len([r for r in results if isinstance(r, Conflict)]) == 1
    assert (
        ComplaintEvent.objects.filter(
            complaint=complaint, kind="feedback_received"
        ).count()
        == 1
    )
