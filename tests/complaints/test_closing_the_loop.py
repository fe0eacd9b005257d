"""Closing the loop (issue 13): resolved complaints nobody answers close by
themselves, once; the confirmation revisit confirms or reopens the complaint
and records the customer's score once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from complaints.models import Complaint, ComplaintEvent, SatisfactionSurvey
from complaints.services import (
    clock,
    complaint_auto_close,
    complaint_confirm,
    complaint_reopen,
    revisit_complete_confirmation,
    survey_answer_by_token,
)
from complaints.services.closing import complaints_auto_close
from complaints.services.surveys import survey_token
from complaints.tasks import auto_close
from crm.models import Revisit
from tests.factories.complaints import make_complaint, walk
from tests.factories.crm import RevisitFactory

pytestmark = pytest.mark.django_db

EK = ComplaintEvent.Kind
S = Complaint.Status


@pytest.fixture
def resolved(org):
    complaint = make_complaint(actor=org.agent_a)
    return walk(complaint, "resolved", actor=org.supervisor_a)


def later(days):
    return clock.now() + timedelta(days=days)


# --- auto-close ----------------------------------------------------------------------------


def test_an_unanswered_resolution_closes_after_the_days_exactly_once(
    resolved, settings
):
    settings.KEFU_AUTO_CLOSE_DAYS = 7

    assert complaints_auto_close(now=later(6)) == 0
    assert complaints_auto_close(now=later(8)) == 1
    assert complaints_auto_close(now=later(9)) == 0
    assert complaint_auto_close(complaint=resolved, now=later(9)) is False

    resolved.refresh_from_db()
    assert resolved.status == S.CLOSED
    assert resolved.closed_at is not None
    (event,) = resolved.events.filter(kind=EK.AUTO_CLOSED)
    assert event.actor is None and event.data == {"cycle": 1, "days": 7}
    closing = resolved.events.get(kind=EK.STATUS_CHANGED, to_status=S.CLOSED)
    assert closing.customer_visible and "7" in closing.note


def test_confirmed_and_disputed_complaints_stay_open(org, settings):
    settings.KEFU_AUTO_CLOSE_DAYS = 7
    confirmed = walk(make_complaint(actor=org.agent_a), "resolved", actor=org.admin)
    complaint_confirm(actor=org.supervisor_a, complaint=confirmed)
    disputed = walk(make_complaint(actor=org.agent_a), "resolved", actor=org.admin)
    complaint_reopen(actor=org.supervisor_a, complaint=disputed, reason="不满意")

    assert complaints_auto_close(now=later(30)) == 0

    confirmed.refresh_from_db()
    disputed.refresh_from_db()
    assert (confirmed.status, disputed.status) == (S.RESOLVED, S.REOPENED)


def test_the_beat_task_runs_the_job(resolved, settings):
    settings.KEFU_AUTO_CLOSE_DAYS = 0

    assert auto_close() == 1
    assert auto_close() == 0
    resolved.refresh_from_db()
    assert resolved.status == S.CLOSED


# --- the confirmation revisit --------------------------------------------------------------


def confirmation_revisit(org, complaint) -> Revisit:
    revisit = Revisit.objects.filter(
        key=f"complaint:{complaint.pk}:confirmation"
    ).first()
    if revisit is None:
        revisit = RevisitFactory(
            customer=complaint.customer,
            complaint=complaint,
            purpose=Revisit.Purpose.CONFIRMATION,
        )
    revisit.assignee = org.relations_specialist_a
    revisit.save(update_fields=["assignee"])
    return revisit


def complete(org, revisit, **kwargs):
    return revisit_complete_confirmation(
        actor=org.relations_specialist_a, revisit=revisit, **kwargs
    )


def test_reached_and_satisfied_confirms_and_records_the_score_once(org, resolved):
    revisit = confirmation_revisit(org, resolved)

    complete(org, revisit, outcome="reached", satisfaction_score=5, feedback="很满意")
    complete(org, revisit, outcome="reached", satisfaction_score=5)  # done: unchanged

    resolved.refresh_from_db()
    assert resolved.status == S.RESOLVED
    assert resolved.confirmed_at is not None
    assert resolved.events.filter(kind=EK.CONFIRMED).count() == 1
    survey = SatisfactionSurvey.objects.get(complaint=resolved)
    assert (survey.csat, survey.comment, survey.channel) == (5, "很满意", "phone")
    assert survey.recorded_by == org.relations_specialist_a
    assert resolved.events.filter(kind=EK.FEEDBACK_RECEIVED).count() == 1
    confirmation = resolved.sla_targets.get(kind="confirmation")
    assert confirmation.met_at is not None


def test_a_survey_already_answered_by_link_is_not_recorded_twice(org, resolved):
    survey_answer_by_token(token=survey_token(resolved), csat=4, nps=8)
    revisit = confirmation_revisit(org, resolved)

    complete(org, revisit, outcome="reached", satisfaction_score=5)

    survey = SatisfactionSurvey.objects.get(complaint=resolved)
    assert (survey.csat, survey.nps, survey.channel) == (4, 8, "online")
    resolved.refresh_from_db()
    assert resolved.confirmed_at is not None


def test_reached_without_a_score_confirms_without_a_survey_answer(org, resolved):
    complete(org, confirmation_revisit(org, resolved), outcome="reached")

    resolved.refresh_from_db()
    assert resolved.confirmed_at is not None
    assert SatisfactionSurvey.objects.get(complaint=resolved).answered_at is None


def test_dissatisfied_reopens_the_complaint(org, resolved):
    revisit = confirmation_revisit(org, resolved)

    complete(org, revisit, outcome="reached", satisfaction_score=1, feedback="没解决")

    resolved.refresh_from_db()
    assert resolved.status == S.REOPENED
    assert resolved.confirmed_at is None
    reopened = resolved.events.get(kind=EK.REOPENED)
    assert "没解决" in reopened.note
    assert SatisfactionSurvey.objects.get(complaint=resolved, cycle=1).csat == 1


def test_not_reached_leaves_the_complaint_alone(org, resolved):
    complete(org, confirmation_revisit(org, resolved), outcome="not_reached")

    resolved.refresh_from_db()
    assert resolved.status == S.RESOLVED and resolved.confirmed_at is None


def test_other_revisits_do_not_touch_the_complaint(org, resolved):
    revisit = RevisitFactory(
        customer=resolved.customer,
        complaint=resolved,
        purpose=Revisit.Purpose.SATISFACTION,
        assignee=org.relations_specialist_a,
    )

    complete(org, revisit, outcome="reached", satisfaction_score=1)

    resolved.refresh_from_db()
    assert resolved.status == S.RESOLVED and resolved.confirmed_at is None


def test_the_revisit_admin_closes_the_loop(org, resolved, client):
    revisit = confirmation_revisit(org, resolved)
    client.force_login(org.relations_specialist_a)
    url = reverse("admin:crm_revisit_change", args=[revisit.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "customer": revisit.customer_id,
        "purpose": revisit.purpose,
        "method": revisit.method,
        "due_at_0": revisit.due_at.strftime("%Y-%m-%d"),
        "due_at_1": revisit.due_at.strftime("%H:%M:%S"),
        "assignee": org.relations_specialist_a.pk,
        "outcome": "reached",
        "satisfaction_score": "5",
        "feedback": "满意",
        "notes": "",
    }

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    resolved.refresh_from_db()
    assert resolved.confirmed_at is not None
    assert SatisfactionSurvey.objects.get(complaint=resolved).csat == 5
