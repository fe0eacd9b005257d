"""Issue 3: a satisfaction survey per resolution; staff record the customer's
answer after a revisit (admin, through ``survey_record_answer``), once."""

import pytest
from django.urls import reverse

from complaints import services as s
from complaints.models import SatisfactionSurvey
from tests.factories.complaints import make_complaint, walk

pytestmark = pytest.mark.django_db


def change_url(survey):
    return reverse("admin:complaints_satisfactionsurvey_change", args=[survey.pk])


def test_relations_specialist_records_the_answer_once(org, client):
    complaint = walk(make_complaint(actor=org.agent_a), "resolved", actor=org.admin)
    survey = SatisfactionSurvey.objects.get(complaint=complaint, cycle=1)
    assert survey.answered_at is None
    client.force_login(org.relations_specialist_a)

    page = client.get(change_url(survey))
    assert page.status_code == 200
    assert 'name="csat"' in page.content.decode()

    # bad input is refused by the service, nothing recorded
    response = client.post(
        change_url(survey), {"csat": "", "nps": "", "comment": "", "channel": ""}
    )
    assert response.status_code in (200, 302)
    survey.refresh_from_db()
    assert survey.answered_at is None

    response = client.post(
        change_url(survey),
        {"csat": "4", "nps": "9", "comment": "回访时客户表示满意", "channel": "phone"},
    )
    assert response.status_code == 302
    survey.refresh_from_db()
    assert (survey.csat, survey.nps, survey.channel) == (4, 9, "phone")
    assert survey.recorded_by == org.relations_specialist_a
    assert survey.answered_at is not None
    assert complaint.events.filter(kind="feedback_received").count() == 1

    # answered: read-only, a second post changes nothing
    page = client.get(change_url(survey)).content.decode()
    assert 'name="csat"' not in page
    client.post(change_url(survey), {"csat": "1", "nps": "0", "comment": "x"})
    survey.refresh_from_db()
    assert survey.csat == 4
    assert complaint.events.filter(kind="feedback_received").count() == 1


def test_one_survey_per_resolution_cycle(org):
    complaint = walk(make_complaint(actor=org.agent_a), "resolved", actor=org.admin)
    s.survey_record_answer(actor=None, complaint=complaint, csat=2, channel="api")
    complaint = s.complaint_reopen(
        actor=org.supervisor_a, complaint=complaint, reason="客户不满意"
    )
    complaint = walk(complaint, "resolved", actor=org.admin)
    surveys = SatisfactionSurvey.objects.filter(complaint=complaint).order_by("cycle")
    assert [x.cycle for x in surveys] == [1, 2]
    assert surveys[0].csat == 2 and surveys[1].answered_at is None
    s.survey_record_answer(actor=None, complaint=complaint, csat=5, channel="api")
    assert SatisfactionSurvey.objects.get(complaint=complaint, cycle=2).csat == 5


def test_other_teams_survey_not_reachable(org, client):
    complaint = walk(make_complaint(actor=org.agent_a), "resolved", actor=org.admin)
    survey = SatisfactionSurvey.objects.get(complaint=complaint)
    client.force_login(org.relations_specialist_b)
    response = client.post(change_url(survey), {"csat": "5"})
    survey.refresh_from_db()
    assert survey.answered_at is None
    assert response.status_code in (302, 403, 404)
