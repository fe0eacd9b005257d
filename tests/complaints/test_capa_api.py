"""/api/v1/capas/: staff list and read the CAPAs of their scope and move them
through start, complete and verify (each its service: role, scope, status and
version checked; one event each); API keys are refused (staff only)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from complaints import services as s
from complaints.models import CapaEvent, CorrectiveAction
from tests.factories.complaints import make_complaint

pytestmark = pytest.mark.django_db
URL = "/api/v1/capas/"
CS = CorrectiveAction.Status


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _capa(org, side="a", complaints=()):
    return s.capa_create(
        actor=getattr(org, f"supervisor_{side}"),
        title=f"派送员服务礼仪整改 {side}",
        root_cause="派送员未经礼仪培训上岗",
        action="全员参加礼仪培训并抽查",
        owner=getattr(org, f"complaint_handler_{side}"),
        due_date=timezone.localdate() + timedelta(days=30),
        complaints=complaints,
    )


def _ids(response):
    return [row["id"] for row in response.json()["results"]]


def test_the_list_and_detail_show_a_capa_in_scope(org):
    complaint = make_complaint(actor=org.agent_a)
    capa = _capa(org, complaints=[complaint])
    other = _capa(org, "b")
    response = _api(org.supervisor_a).get(URL)
    assert response.status_code == 200
    assert _ids(response) == [capa.pk]
    body = _api(org.complaint_handler_a).get(f"{URL}{capa.pk}/").json()
    assert body["title"] == "派送员服务礼仪整改 a"
    assert body["status"] == "open"
    assert body["owner"]["username"] == "complaint_handler_a"
    assert body["complaints"] == [complaint.reference]
    assert body["due_date"] == capa.due_date.isoformat()
    assert body["overdue"] is False
    assert body["actions"] == ["start", "complete"]  # the owner: no cancel
    assert body["verified_by"] is None
    # out of scope: 404 in the JSON error shape
    refused = _api(org.supervisor_a).get(f"{URL}{other.pk}/")
    assert refused.status_code == 404
    assert set(refused.json()) == {"code", "message", "errors"}
    assert _ids(_api(org.admin).get(URL)) == [other.pk, capa.pk]


@pytest.mark.parametrize("who", ["agent_a", "qa_inspector_a", "trainer_a"])
def test_roles_without_capa_access_are_refused(org, who):
    _capa(org)
    response = _api(getattr(org, who)).get(URL)
    assert response.status_code == 403
    assert response.json()["code"]


def test_api_keys_are_refused(org):
    from tests.factories.partners import make_api_key

    capa = _capa(org)
    _key, raw = make_api_key()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    for response in (
        client.get(URL),
        client.get(f"{URL}{capa.pk}/"),
        client.post(f"{URL}{capa.pk}/start/", {}, format="json"),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    assert CorrectiveAction.objects.get(pk=capa.pk).status == CS.OPEN


def test_the_owner_works_and_a_supervisor_verifies(org):
    capa = _capa(org)
    owner = _api(org.complaint_handler_a)
    started = owner.post(f"{URL}{capa.pk}/start/", {"version": 1}, format="json")
    assert started.status_code == 200, started.json()
    assert started.json()["status"] == "in_progress"
    assert started.json()["actions"] == ["complete"]  # the owner's
    done = owner.post(
        f"{URL}{capa.pk}/complete/", {"note": "已完成培训", "version": 2}, format="json"
    )
    assert done.json()["status"] == "completed"
    assert done.json()["completion_note"] == "已完成培训"
    mine = owner.post(
        f"{URL}{capa.pk}/verify/", {"effective": True, "note": "好"}, format="json"
    )
    assert mine.status_code == 403
    assert mine.json()["code"] == "permission_denied"
    verified = _api(org.supervisor_a).post(
        f"{URL}{capa.pk}/verify/",
        {"effective": False, "note": "仍有同类投诉"},
        format="json",
    )
    assert verified.status_code == 200
    assert verified.json()["status"] == "ineffective"
    assert verified.json()["verified_by"]["username"] == "supervisor_a"
    assert verified.json()["actions"] == ["start", "cancel"]
    reopened = owner.post(f"{URL}{capa.pk}/start/", {}, format="json")
    assert reopened.json()["status"] == "in_progress"
    assert list(CapaEvent.objects.filter(capa=capa).values_list("kind", flat=True)) == [
        "created",
        "started",
        "completed",
        "verified",
        "started",
    ]


def test_a_supervisor_cancels_with_the_reason(org):
    capa = _capa(org)
    lead = _api(org.supervisor_a)
    # the owner may not; no reason is a 400 naming the field; nothing changes
    refused = _api(org.complaint_handler_a).post(
        f"{URL}{capa.pk}/cancel/", {"note": "不需要"}, format="json"
    )
    assert refused.status_code == 403
    missing = lead.post(f"{URL}{capa.pk}/cancel/", {}, format="json")
    assert missing.status_code == 400
    assert "note" in missing.json()["errors"]
    assert CorrectiveAction.objects.get(pk=capa.pk).status == "open"
    cancelled = lead.post(
        f"{URL}{capa.pk}/cancel/",
        {"note": "突增系重复登记", "version": 1},
        format="json",
    )
    assert cancelled.status_code == 200, cancelled.json()
    assert (cancelled.json()["status"], cancelled.json()["actions"]) == (
        "cancelled",
        [],
    )
    event = CapaEvent.objects.filter(capa=capa).latest("pk")
    assert (event.kind, event.actor, event.note) == (
        "cancelled",
        org.supervisor_a,
        "突增系重复登记",
    )
    again = lead.post(f"{URL}{capa.pk}/cancel/", {"note": "再次"}, format="json")
    assert again.status_code == 409


def test_errors_have_the_json_shape_and_change_nothing(org):
    capa = _capa(org)
    client = _api(org.supervisor_a)
    illegal = client.post(
        f"{URL}{capa.pk}/verify/", {"effective": True, "note": "有效"}, format="json"
    )
    assert illegal.status_code == 409
    assert illegal.json()["code"] == "illegal_transition"
    no_note = client.post(f"{URL}{capa.pk}/complete/", {}, format="json")
    assert no_note.status_code == 400
    assert "note" in no_note.json()["errors"]
    stale = client.post(f"{URL}{capa.pk}/start/", {"version": 9}, format="json")
    assert stale.status_code == 409
    assert stale.json()["code"] == "version_conflict"
    out = _capa(org, "b")
    assert client.post(f"{URL}{out.pk}/start/", {}, format="json").status_code == 404
    assert (
        _api(org.manager_b)
        .post(f"{URL}{capa.pk}/start/", {}, format="json")
        .status_code
        == 404
    )
    assert set(CorrectiveAction.objects.values_list("status", flat=True)) == {CS.OPEN}
    assert CapaEvent.objects.filter(capa=capa).count() == 1


def test_cursor_pagination_walks_every_capa_once(org):
    made = {_capa(org).pk for _ in range(5)}
    client = _api(org.manager_a)
    seen, url = [], f"{URL}?page_size=2"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(made) and len(seen) == 5


def test_the_list_pins_its_queries(org, django_assert_num_queries):
    """Two queries whatever the number of CAPAs: the rows (with owner and
    verifier) and the references of their complaints."""
    client = _api(org.manager_a)
    client.get(URL)  # the permissions are read once per user
    for _ in range(2):
        _capa(org, complaints=[make_complaint(actor=org.agent_a)])
    with django_assert_num_queries(2):
        small = client.get(URL)
    for _ in range(10):
        _capa(org, complaints=[make_complaint(actor=org.agent_a)])
    with django_assert_num_queries(2):
        big = client.get(URL)
    assert len(big.json()["results"]) == 12 and len(small.json()["results"]) == 2
    assert all(len(row["complaints"]) == 1 for row in big.json()["results"])


def test_the_actions_are_the_callers(org):
    """A CAPA's ``actions`` are those of the caller: its owner (a handler) is
    not offered verify and cancel, a supervisor is; in the list and the detail."""
    # Given an open CAPA and a completed one, both owned by the handler
    open_capa = _capa(org)
    done = s.capa_complete(actor=org.complaint_handler_a, capa=_capa(org), note="完成")

    def actions(user):
        client = _api(user)
        listed = {
            row["id"]: row["actions"] for row in client.get(URL).json()["results"]
        }
        detail = {
            pk: client.get(f"{URL}{pk}/").json()["actions"]
            for pk in (open_capa.pk, done.pk)
        }
        assert listed == detail
        return detail

    assert actions(org.complaint_handler_a) == {
        open_capa.pk: ["start", "complete"],
        done.pk: [],
    }
    lead = {
        open_capa.pk: ["start", "complete", "cancel"],
        done.pk: ["verify_effective", "verify_ineffective"],
    }
    assert actions(org.supervisor_a) == lead
    assert actions(org.manager_a) == lead


def test_the_serializer_offers_no_lead_action_to_a_caller_without_roles(org):
    """An API-key principal (never let in: 403 above) or no request at all has
    no staff roles: the serializer answers without the lead-only actions
    rather than failing."""
    from rest_framework.test import APIRequestFactory

    from complaints.api.serializers import CapaSerializer
    from partners.api.authentication import PartnerClient
    from tests.factories.partners import make_api_key

    capa = _capa(org)
    key, _raw = make_api_key()
    request = APIRequestFactory().get(URL)
    request.user = PartnerClient(key)
    as_partner = CapaSerializer(capa, context={"request": request}).data
    assert as_partner["actions"] == ["start", "complete"]
    assert CapaSerializer(capa).data["actions"] == ["start", "complete"]
