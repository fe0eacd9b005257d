"""The CAPA admin: a button per transition its status allows, each run through
the service on the transition page; refusals are messages and change nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import services as s
from complaints.models import CapaEvent, CorrectiveAction
from tests.factories.complaints import make_complaint

pytestmark = pytest.mark.django_db
CS = CorrectiveAction.Status


def _capa(org):
    return s.capa_create(
        actor=org.supervisor_a,
        title="派送员服务礼仪整改",
        root_cause="派送员未经礼仪培训上岗",
        action="全员参加礼仪培训并抽查",
        owner=org.complaint_handler_a,
        due_date=timezone.localdate() + timedelta(days=30),
        complaints=[make_complaint(actor=org.agent_a, subject="派送员态度恶劣")],
    )


def _url(capa):
    return reverse("admin:complaints_correctiveaction_transition", args=[capa.pk])


def _post(client, capa, action, note=""):
    capa.refresh_from_db()
    return client.post(
        _url(capa), {"action": action, "note": note, "version": capa.version}
    )


def test_the_change_page_shows_the_buttons_its_status_allows(org, client):
    capa = _capa(org)
    client.force_login(org.complaint_handler_a)
    html = client.get(
        reverse("admin:complaints_correctiveaction_change", args=[capa.pk])
    ).content.decode()
    assert f"{_url(capa)}?action=start" in html
    assert f"{_url(capa)}?action=complete" in html
    assert "?action=verify_effective" not in html
    # linked complaints, owner and due date are on the page
    assert capa.complaints.get().reference in html
    assert "complaint_handler_a" in html or str(org.complaint_handler_a) in html


def test_the_owner_works_and_a_supervisor_verifies_through_the_admin(org, client):
    capa = _capa(org)
    client.force_login(org.complaint_handler_a)
    assert client.get(_url(capa) + "?action=start").status_code == 200
    response = _post(client, capa, "start")
    assert response.status_code == 302
    response = _post(client, capa, "complete", "已完成 3 场培训")
    assert response.status_code == 302
    capa.refresh_from_db()
    assert capa.status == CS.COMPLETED and capa.completion_note == "已完成 3 场培训"

    # the owner may not verify their own work: not offered, refused on the
    # form (shown on the page), nothing changes
    response = _post(client, capa, "verify_effective", "好")
    assert response.status_code == 200
    refusal = response.context["form"].errors["action"]
    assert refusal and str(refusal[0]) in response.content.decode()
    assert CorrectiveAction.objects.get(pk=capa.pk).status == CS.COMPLETED

    client.force_login(org.supervisor_a)
    response = _post(client, capa, "verify_ineffective", "仍有同类投诉")
    assert response.status_code == 302
    capa.refresh_from_db()
    assert capa.status == CS.INEFFECTIVE and capa.verified_by == org.supervisor_a
    assert list(capa.events.values_list("kind", "actor__username")) == [
        ("created", "supervisor_a"),
        ("started", "complaint_handler_a"),
        ("completed", "complaint_handler_a"),
        ("verified", "supervisor_a"),
    ]
    assert capa.events.last().data == {"effective": False}


def test_a_note_is_required_and_a_stale_page_is_refused(org, client):
    capa = s.capa_start(actor=org.complaint_handler_a, capa=_capa(org))
    client.force_login(org.supervisor_a)
    response = _post(client, capa, "complete")
    assert response.status_code == 200
    assert "note" in response.context["form"].errors
    stale = client.post(
        _url(capa), {"action": "complete", "note": "完成", "version": capa.version - 1}
    )
    assert stale.status_code == 200
    assert CorrectiveAction.objects.get(pk=capa.pk).status == CS.IN_PROGRESS
    assert CapaEvent.objects.filter(capa=capa).count() == 2


def test_an_action_the_status_does_not_allow_is_not_offered(org, client):
    capa = _capa(org)
    client.force_login(org.supervisor_a)
    response = _post(client, capa, "verify_effective", "有效")
    assert response.status_code == 200
    assert "action" in response.context["form"].errors
    assert CorrectiveAction.objects.get(pk=capa.pk).status == CS.OPEN


def test_out_of_scope_is_404(org, client):
    capa = _capa(org)
    client.force_login(org.supervisor_b)
    assert client.get(_url(capa)).status_code == 404
    assert _post(client, capa, "start").status_code == 404
    assert CorrectiveAction.objects.get(pk=capa.pk).status == CS.OPEN


def test_the_transition_page_pins_its_queries(org, client, django_assert_num_queries):
    capa = _capa(org)
    client.force_login(org.supervisor_a)
    client.get(_url(capa))
    with django_assert_num_queries(7):
        assert client.get(_url(capa)).status_code == 200


def test_a_supervisor_cancels_through_the_admin_with_the_reason(org, client):
    capa = _capa(org)
    client.force_login(org.supervisor_a)
    html = client.get(
        reverse("admin:complaints_correctiveaction_change", args=[capa.pk])
    ).content.decode()
    assert f"{_url(capa)}?action=cancel" in html
    assert "取消：无需整改" in html
    missing = _post(client, capa, "cancel")
    assert missing.status_code == 200 and "note" in missing.context["form"].errors
    assert CorrectiveAction.objects.get(pk=capa.pk).status == CS.OPEN
    assert _post(client, capa, "cancel", "重复登记，无需整改").status_code == 302
    capa.refresh_from_db()
    assert capa.status == CS.CANCELLED
    assert capa.events.last().note == "重复登记，无需整改"
    # the owner is offered no cancel button
    client.force_login(org.complaint_handler_a)
    other = _capa(org)
    html = client.get(
        reverse("admin:complaints_correctiveaction_change", args=[other.pk])
    ).content.decode()
    assert "?action=cancel" not in html


def _choices(client, capa):
    response = client.get(_url(capa))
    assert response.status_code == 200
    return [name for name, _label in response.context["form"].fields["action"].choices]


def test_the_transition_form_offers_verify_and_cancel_to_leads_only(org, client):
    """The owner (a handler) is offered the work on their CAPA, not the lead's
    verify and cancel; the supervisor is offered those too."""
    # Given an open CAPA owned by the handler, and a completed one
    open_capa = _capa(org)
    done = s.capa_complete(actor=org.complaint_handler_a, capa=_capa(org), note="完成")
    # Then its owner's transition forms offer no verify or cancel
    client.force_login(org.complaint_handler_a)
    assert _choices(client, open_capa) == ["start", "complete", "evidence"]
    assert _choices(client, done) == ["evidence"]
    # and a cancel posted anyway is refused by the form; nothing changes
    response = _post(client, open_capa, "cancel", "不需要")
    assert response.status_code == 200
    assert "action" in response.context["form"].errors
    assert CorrectiveAction.objects.get(pk=open_capa.pk).status == CS.OPEN
    # While the supervisor's offer them
    client.force_login(org.supervisor_a)
    assert _choices(client, open_capa) == ["start", "complete", "cancel", "evidence"]
    assert _choices(client, done) == [
        "verify_effective",
        "verify_ineffective",
        "evidence",
    ]
