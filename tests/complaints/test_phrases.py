"""Standard phrases (服务用语): rendering, the composer, the reply checks."""

import pytest
from django.urls import reverse

from complaints import phrases
from complaints.services import complaint_reply
from config.errors import InvalidInput
from tests.factories.complaints import make_complaint, walk

pytestmark = pytest.mark.django_db


def test_phrases_fill_in_the_customer_reference_and_due(org):
    c = make_complaint(actor=org.agent_a)
    greet = next(p for p in phrases.PHRASES if p.code == "greet")
    assert phrases.render(greet, c) == f"{c.customer.name}您好，感谢您的反馈。"
    explain = next(p for p in phrases.PHRASES if p.code == "explain")
    assert c.reference in phrases.render(explain, c)
    assert c.reference in phrases.render(explain, c, "en")
    steps = [p.step for p in phrases.offered(c)]
    assert steps[0] == "greeting" and steps[-1] == "closing"


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


def test_panel_offers_the_phrases_for_replies(org, client):
    c = walk(make_complaint(actor=org.agent_a), "handling", actor=org.supervisor_a)
    client.force_login(org.supervisor_a)
    response = client.get(reverse("admin:complaints_complaint_workflow", args=[c.pk]))
    form = response.context["form"]
    values = [v for v, _label in form.fields["phrase"].widget.choices]
    assert f"{c.customer.name}您好，感谢您的反馈。" in values
    assert "phrase" in response.context["action_fields"]["reply"]
    assert "服务用语" in response.content.decode()
