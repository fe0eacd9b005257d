"""Standard phrases (服务用语): the library (seeded, edited by supervisors and
managers), the composer, the reply checks."""

import pytest
from django.urls import reverse

from complaints import phrases
from complaints.models import Phrase
from complaints.services import complaint_reply
from config.errors import InvalidInput
from tests.factories.complaints import make_complaint, walk

pytestmark = pytest.mark.django_db


def test_seeded_phrases_fill_in_the_customer_reference_and_due(org):
    c = make_complaint(actor=org.agent_a)
    greet = Phrase.objects.get(code="greet")
    assert phrases.render(greet, c) == f"{c.customer.name}您好，感谢您的反馈。"
    explain = Phrase.objects.get(code="explain")
    assert c.reference in phrases.render(explain, c)
    assert c.reference in phrases.render(explain, c, "en")
    offered = phrases.offered(c)
    steps = [p.step for p in offered]
    assert steps[0] == "greeting" and steps[-1] == "closing"
    assert steps == sorted(steps, key=[s for s, _label in phrases.STEPS].index)
    # a phrase of another category is not offered (attitude, late delivery)
    assert not {"apology-attitude", "solution-delivery"} & {p.code for p in offered}


def test_category_phrases_are_offered_for_their_category(org):
    late = make_complaint(actor=org.agent_a, subcategory="late")
    assert "solution-delivery" in {p.code for p in phrases.offered(late)}


def test_parts_of_a_solution_reply():
    assert (
        phrases.reply_parts_missing(
            "感谢您的反馈。已为您加急派送。我们会再次与您联系确认。"
        )
        == []
    )
    assert phrases.reply_parts_missing("已为您加急派送。") == ["致谢", "跟进"]


def test_forbidden_phrase_is_refused_with_its_name(org):
    c = walk(make_complaint(actor=org.agent_a), "handling", actor=org.supervisor_a)
    with pytest.raises(InvalidInput) as err:
        complaint_reply(actor=org.supervisor_a, complaint=c, body="这不是我们的问题。")
    assert "这不是我们的问题" in str(err.value)


def test_solution_reply_needs_its_parts_when_required(org, settings):
    settings.KEFU_SOLUTION_REPLY_PARTS = True
    c = walk(make_complaint(actor=org.agent_a), "handling", actor=org.supervisor_a)
    with pytest.raises(InvalidInput) as err:
        complaint_reply(actor=org.supervisor_a, complaint=c, body="已为您加急派送。")
    assert "致谢" in str(err.value) and "跟进" in str(err.value)
    c.refresh_from_db()
    done = complaint_reply(
        actor=org.supervisor_a,
        complaint=c,
        body="感谢您的反馈，已为您加急派送，我们会再次与您联系确认。",
    )
    assert done.status == "replied"


def test_solution_reply_parts_are_checked_by_default(org):
    from django.conf import settings

    assert settings.KEFU_SOLUTION_REPLY_PARTS is True
    c = walk(make_complaint(actor=org.agent_a), "handling", actor=org.supervisor_a)
    with pytest.raises(InvalidInput) as err:
        complaint_reply(actor=org.supervisor_a, complaint=c, body="您好")
    assert err.value.field == "body"
    assert "致谢" in err.value.message and "跟进" in err.value.message
    # the first response (not a solution reply) is not checked
    fresh = make_complaint(actor=org.agent_a)
    assert complaint_reply(actor=org.agent_a, complaint=fresh, body="您好").pk


def test_api_names_the_missing_parts_of_a_solution_reply(org):
    from rest_framework.test import APIClient

    from complaints.models import ComplaintReply

    c = walk(make_complaint(actor=org.agent_a), "handling", actor=org.supervisor_a)
    api = APIClient()
    api.force_authenticate(org.supervisor_a)
    url = f"/api/v1/complaints/{c.reference}/reply/"
    refused = api.post(url, {"body": "已为您加急派送。"}, format="json")
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "invalid"
    assert "缺少：致谢、跟进" in body["message"]
    assert "缺少：致谢、跟进" in body["errors"]["body"][0]
    c.refresh_from_db()
    assert c.status == "handling"
    assert not ComplaintReply.objects.filter(complaint=c).exists()
    done = api.post(
        url,
        {"body": "感谢您的反馈，已为您加急派送，我们会再次与您联系确认。"},
        format="json",
    )
    assert done.status_code == 200 and done.json()["status"] == "replied"


def test_workspace_shows_the_missing_parts_on_the_reply_field(org, client):
    from complaints.models import ComplaintReply

    c = walk(make_complaint(actor=org.agent_a), "handling", actor=org.supervisor_a)
    client.force_login(org.supervisor_a)
    url = reverse("admin:complaints_complaint_workflow", args=[c.pk])
    response = client.post(
        url, {"action": "reply", "text": "已为您加急派送。", "version": c.version}
    )
    # the panel again, the typed text kept, the error on the reply field
    assert response.status_code == 200
    form = response.context["form"]
    assert "缺少：致谢、跟进" in " ".join(form.errors["text"])
    assert "已为您加急派送。" in response.content.decode()
    c.refresh_from_db()
    assert c.status == "handling"
    assert not ComplaintReply.objects.filter(complaint=c).exists()


def test_panel_offers_the_phrases_for_replies(org, client):
    c = walk(make_complaint(actor=org.agent_a), "handling", actor=org.supervisor_a)
    client.force_login(org.supervisor_a)
    response = client.get(reverse("admin:complaints_complaint_workflow", args=[c.pk]))
    form = response.context["form"]
    values = [v for v, _label in form.fields["phrase"].widget.choices]
    assert f"{c.customer.name}您好，感谢您的反馈。" in values
    assert "phrase" in response.context["action_fields"]["reply"]
    assert "服务用语" in response.content.decode()


def test_supervisor_edits_a_phrase_and_the_composer_offers_it(org, client):
    client.force_login(org.supervisor_a)
    url = reverse("admin:complaints_phrase_add")
    bad = client.post(
        url, {"code": "x", "step": "closing", "text_zh": "{name}再见", "sort_order": 0}
    )
    assert bad.status_code == 200 and not Phrase.objects.filter(code="x").exists()
    response = client.post(
        url,
        {
            "code": "bye",
            "step": "closing",
            "text_zh": "{customer_name}，祝您生活愉快！",
            "sort_order": 0,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    c = make_complaint(actor=org.agent_a)
    assert "bye" in {p.code for p in phrases.offered(c)}
    client.force_login(org.agent_a)
    assert client.get(url).status_code == 403
