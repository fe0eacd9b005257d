"""The customer's pages (issue 13, "Public pages"): the tracking page and the
survey link. No login; the answers show no personal data beyond the masked name."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint, ComplaintEvent, SatisfactionSurvey
from complaints.services import complaint_reopen, survey_record_answer
from complaints.services.surveys import survey_token, survey_url, tracking_url
from crm.models import Notification, Revisit
from tests.factories import CustomerFactory
from tests.factories.complaints import make_complaint, walk

pytestmark = pytest.mark.django_db

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
PHONE = "+8613812345678"
EMAIL = "chen.xiaoming@example.cn"


@pytest.fixture
def complaint(org):
    customer = CustomerFactory(
        name="陈小明", phone=PHONE, email=EMAIL, department=org.dept_a
    )
    return make_complaint(actor=org.agent_a, customer=customer)


@pytest.fixture
def resolved(org, complaint):
    return walk(complaint, "resolved", actor=org.supervisor_a)


def track(client, reference, contact, **extra):
    return client.post(
        reverse("public:track"), {"reference": reference, "contact": contact}, **extra
    )


# --- tracking --------------------------------------------------------------------------


def test_the_form_is_public_and_fills_in_the_reference(client, complaint):
    response = client.get(reverse("public:track"), {"reference": complaint.reference})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="contact"' in html
    assert f'value="{complaint.reference}"' in html
    assert "投诉进度查询" in html  # zh-hans first
    assert 'name="viewport"' in html  # mobile-friendly


@pytest.mark.parametrize("contact", ["5678", EMAIL, EMAIL.upper()])
def test_the_right_details_show_status_timeline_and_promised_times(
    client, complaint, contact
):
    response = track(client, complaint.reference.lower(), contact)

    html = response.content.decode()
    assert response.status_code == 200
    assert complaint.reference in html
    assert "陈**" in html
    assert str(Complaint.Status(complaint.status).label) in html  # 已受理 …
    assert "首次联系时限" in html and "解决时限" in html  # the SLA targets
    assert "已兑现" not in html  # nothing met yet: the complaint was just received
    local_due = timezone.localtime(complaint.resolution_due_at)
    assert local_due.strftime("%Y-%m-%d %H:%M") in html
    created = ComplaintEvent.Kind.CREATED.label
    assert str(created) in html
    # Nothing personal beyond the masked name; no internal events.
    for secret in ("陈小明", "13812345678", "5678", EMAIL, complaint.description):
        assert secret not in html
    assert str(ComplaintEvent.Kind.SLA_STARTED.label) not in html


def test_a_resolved_complaint_shows_the_promises_kept(client, resolved):
    html = track(client, resolved.reference, "5678").content.decode()

    assert "已解决" in html and "已兑现" in html


def test_a_wrong_reference_and_wrong_digits_get_byte_identical_answers(
    client, complaint
):
    answers = [
        track(client, "TS209901010001", "5678"),
        track(client, complaint.reference, "1234"),
        track(client, complaint.reference, "someone@example.cn"),
        track(client, "", ""),
    ]

    bodies = {CSRF.sub(b"", a.content) for a in answers}
    assert {a.status_code for a in answers} == {200}
    assert len(bodies) == 1
    (body,) = bodies
    assert "未找到与所填信息相符的投诉".encode() in body
    assert complaint.reference.encode() not in body
    # the tokens themselves differ (Django masks each answer's token anew)
    assert CSRF.search(answers[0].content)


def test_tries_are_limited_per_client_address(client, complaint, settings):
    settings.KEFU_TRACK_LIMIT = 3

    answers = [track(client, "TS209901010001", "0000") for _ in range(3)]
    blocked = track(client, complaint.reference, "5678")
    other_address = track(client, complaint.reference, "5678", REMOTE_ADDR="10.9.9.9")

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert blocked.status_code == 429
    assert "尝试次数过多" in blocked.content.decode()
    assert complaint.reference not in blocked.content.decode()
    assert other_address.status_code == 200
    assert complaint.reference in other_address.content.decode()


def test_an_erased_customer_cannot_be_tracked(client, complaint):
    complaint.customer.is_anonymised = True
    complaint.customer.save(update_fields=["is_anonymised"])

    response = track(client, complaint.reference, "5678")

    assert "未找到与所填信息相符的投诉" in response.content.decode()


# --- the survey link ---------------------------------------------------------------------


def test_links_of_a_complaint(resolved, settings):
    settings.KEFU_BASE_URL = "https://kefu.example.cn"

    assert tracking_url(resolved) == (
        f"https://kefu.example.cn/track/?reference={resolved.reference}"
    )
    assert survey_url(resolved).startswith("https://kefu.example.cn/survey/")


def test_the_complaint_page_shows_both_links(resolved, admin_client):
    page = admin_client.get(
        reverse("admin:complaints_complaint_change", args=[resolved.pk])
    )

    html = page.content.decode()
    assert f"/track/?reference={resolved.reference}" in html
    assert f"/survey/{survey_token(resolved)[:20]}" in html


def test_answering_the_survey_records_it_once(client, resolved):
    url = reverse("public:survey", args=[survey_token(resolved)])

    form = client.get(url)
    answer = client.post(url, {"csat": "5", "nps": "9", "comment": "处理很及时"})
    replay = client.post(url, {"csat": "1", "nps": "0", "comment": "再来一次"})
    again = client.get(url)

    assert form.status_code == 200 and resolved.reference in form.content.decode()
    assert answer.status_code == 200 and "感谢您的反馈" in answer.content.decode()
    assert replay.status_code == 409 and again.status_code == 409
    survey = SatisfactionSurvey.objects.get(complaint=resolved)
    assert (survey.csat, survey.nps, survey.comment) == (5, 9, "处理很及时")
    assert survey.channel == Complaint.Channel.ONLINE
    assert survey.recorded_by is None
    assert (
        resolved.events.filter(kind=ComplaintEvent.Kind.FEEDBACK_RECEIVED).count() == 1
    )


def test_an_invalid_answer_shows_the_form_again(client, resolved):
    url = reverse("public:survey", args=[survey_token(resolved)])

    response = client.post(url, {"csat": "9"})

    assert response.status_code == 200
    assert SatisfactionSurvey.objects.get(complaint=resolved).answered_at is None


def test_an_expired_link_is_gone(client, resolved, settings):
    settings.KEFU_SURVEY_TTL_DAYS = 7
    url = reverse("public:survey", args=[survey_token(resolved)])

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        get = client.get(url)
        post = client.post(url, {"csat": "5"})

    assert get.status_code == 410 and post.status_code == 410
    assert "已过期" in get.content.decode()
    assert SatisfactionSurvey.objects.get(complaint=resolved).answered_at is None


def test_a_link_of_a_reopened_cycle_is_gone(client, org, resolved):
    url = reverse("public:survey", args=[survey_token(resolved)])
    complaint_reopen(actor=org.supervisor_a, complaint=resolved, reason="客户不满意")

    assert client.get(url).status_code == 410


@pytest.mark.parametrize("tamper", ["x", "swap"])
def test_a_bad_signature_is_not_found(client, resolved, tamper):
    token = survey_token(resolved)
    if tamper == "x":
        token = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    else:  # a genuine signature of another salt
        from django.core import signing

        token = signing.dumps({"c": resolved.pk, "n": 1}, compress=True)

    response = client.get(reverse("public:survey", args=[token]))

    assert response.status_code == 404


def test_a_low_score_notifies_the_supervisor_once_and_plans_a_recovery(
    client, org, resolved
):
    url = reverse("public:survey", args=[survey_token(resolved)])

    client.post(url, {"csat": "1", "comment": "一直没人联系我"})
    client.post(url, {"csat": "1"})  # 409, nothing more

    (note,) = Notification.objects.filter(kind="complaint_low_satisfaction")
    assert note.recipient == org.supervisor_a
    assert resolved.reference in note.title
    (recovery,) = Revisit.objects.filter(key=f"complaint:{resolved.pk}:recovery:1")
    assert recovery.customer == resolved.customer
    assert recovery.assignee == org.supervisor_a
    assert recovery.status == Revisit.Status.PLANNED


def test_a_good_score_raises_nothing(org, resolved):
    survey_record_answer(actor=org.supervisor_a, complaint=resolved, csat=3)

    assert not Notification.objects.filter(kind="complaint_low_satisfaction").exists()
    assert not Revisit.objects.filter(key__contains="recovery").exists()
