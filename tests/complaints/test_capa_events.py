"""CAPA services check the scope as well as the role, and every CAPA change
writes exactly one append-only CapaEvent, shown on the CAPA's admin page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import services as s
from complaints.models import CapaEvent, CorrectiveAction, ImmutableRowError
from config.errors import InvalidInput, NotPermitted
from tests.factories.complaints import make_complaint

pytestmark = pytest.mark.django_db
CS = CorrectiveAction.Status


def _due():
    return timezone.localdate() + timedelta(days=30)


def _capa(org, complaints=()):
    """A CAPA of team A: created by its supervisor, owned by its handler."""
    return s.capa_create(
        actor=org.supervisor_a,
        title="派送员服务礼仪整改",
        root_cause="派送员未经礼仪培训上岗",
        action="全员参加礼仪培训并抽查",
        owner=org.complaint_handler_a,
        due_date=_due(),
        complaints=complaints,
    )


def _state(capa):
    return (
        CorrectiveAction.objects.filter(pk=capa.pk).values().get(),
        set(capa.complaints.values_list("pk", flat=True)),
        list(CapaEvent.objects.filter(capa=capa).values_list("pk", flat=True)),
    )


def _agent_of(actor, org):
    return org.agent_a if actor.department_id == org.dept_a.pk else org.agent_b


# service: (status to start from, call by the actor)
OUT_OF_SCOPE_CALLS = {
    "capa_update": (
        CS.OPEN,
        lambda a, c, org: s.capa_update(actor=a, capa=c, changes={"title": "改"}),
    ),
    "capa_link_complaints": (
        CS.OPEN,
        # a complaint the actor sees: the refusal is about the CAPA
        lambda a, c, org: s.capa_link_complaints(
            actor=a, capa=c, complaints=[make_complaint(actor=_agent_of(a, org))]
        ),
    ),
    "capa_start": (CS.OPEN, lambda a, c, org: s.capa_start(actor=a, capa=c)),
    "capa_complete": (
        CS.IN_PROGRESS,
        lambda a, c, org: s.capa_complete(actor=a, capa=c, note="已完成"),
    ),
    "capa_verify": (
        CS.COMPLETED,
        lambda a, c, org: s.capa_verify(actor=a, capa=c, effective=True, note="有效"),
    ),
}


@pytest.mark.parametrize("service", list(OUT_OF_SCOPE_CALLS))
@pytest.mark.parametrize("who", ["supervisor_b", "manager_b"])
def test_a_lead_of_another_department_is_refused_and_nothing_changes(org, service, who):
    status, call = OUT_OF_SCOPE_CALLS[service]
    capa = _capa(org, [make_complaint(actor=org.agent_a)])
    if status != CS.OPEN:
        capa = s.capa_start(actor=org.complaint_handler_a, capa=capa)
    if status == CS.COMPLETED:
        capa = s.capa_complete(actor=org.complaint_handler_a, capa=capa, note="完成")
    before = _state(capa)

    with pytest.raises(NotPermitted) as refused:
        call(getattr(org, who), capa, org)

    assert "scope" in str(refused.value) or "范围" in str(refused.value)
    assert _state(capa) == before
    # the same call by the lead of the CAPA's own department goes through
    call(org.manager_a, capa, org)
    assert CapaEvent.objects.filter(capa=capa).count() == len(before[2]) + 1


def test_create_refuses_an_owner_or_complaints_outside_the_scope(org):
    other_owner = {
        "actor": org.supervisor_b,
        "title": "整改",
        "root_cause": "原因",
        "action": "措施",
        "owner": org.complaint_handler_a,
        "due_date": _due(),
    }
    with pytest.raises(InvalidInput) as refused:
        s.capa_create(**other_owner)
    assert refused.value.field == "owner"

    with pytest.raises(NotPermitted):
        s.capa_create(
            **{**other_owner, "owner": org.complaint_handler_b},
            complaints=[make_complaint(actor=org.agent_a)],
        )
    assert not CorrectiveAction.objects.exists() and not CapaEvent.objects.exists()


def test_every_change_writes_exactly_one_event(org):
    first, second = (make_complaint(actor=org.agent_a) for _ in range(2))
    owner, lead = org.complaint_handler_a, org.supervisor_a
    capa = _capa(org, [first])
    capa = s.capa_update(actor=lead, capa=capa, changes={"title": "礼仪整改"})
    capa = s.capa_link_complaints(actor=lead, capa=capa, complaints=[first, second])
    # no change, no event
    s.capa_link_complaints(actor=lead, capa=capa, complaints=[first])
    s.capa_update(actor=lead, capa=capa, changes={"title": " 礼仪整改 "})
    capa = s.capa_start(actor=owner, capa=capa)
    capa = s.capa_complete(actor=owner, capa=capa, note="已培训")
    capa = s.capa_verify(actor=lead, capa=capa, effective=False, note="仍有投诉")
    capa = s.capa_start(actor=owner, capa=capa)
    capa = s.capa_complete(actor=owner, capa=capa, note="再次培训")
    capa = s.capa_verify(actor=org.manager_a, capa=capa, effective=True, note="有效")

    events = list(
        capa.events.order_by("pk").values_list(
            "kind", "actor", "from_status", "to_status", "note"
        )
    )
    assert events == [
        ("created", lead.pk, "", "open", ""),
        ("updated", lead.pk, "", "", ""),
        ("linked", lead.pk, "", "", ""),
        ("started", owner.pk, "open", "in_progress", ""),
        ("completed", owner.pk, "in_progress", "completed", "已培训"),
        ("verified", lead.pk, "completed", "ineffective", "仍有投诉"),
        ("started", owner.pk, "ineffective", "in_progress", ""),
        ("completed", owner.pk, "in_progress", "completed", "再次培训"),
        ("verified", org.manager_a.pk, "completed", "verified", "有效"),
    ]
    data = list(capa.events.order_by("pk").values_list("data", flat=True))
    assert data[0] == {"complaints": [first.pk]}
    assert data[1] == {"title": {"from": "派送员服务礼仪整改", "to": "礼仪整改"}}
    assert data[2] == {"complaints": [second.pk]}
    assert data[5] == {"effective": False} and data[8] == {"effective": True}


def test_update_validates_and_pins_its_queries(org, django_assert_num_queries):
    capa = _capa(org)
    with pytest.raises(InvalidInput) as refused:
        s.capa_update(
            actor=org.supervisor_a,
            capa=capa,
            changes={"due_date": timezone.localdate() - timedelta(days=1)},
        )
    assert refused.value.field == "due_date"
    with pytest.raises(InvalidInput) as refused:
        s.capa_update(actor=org.supervisor_a, capa=capa, changes={"owner": None})
    assert refused.value.field == "owner"
    with pytest.raises(NotPermitted):  # the owner may not edit (leads do)
        s.capa_update(actor=org.complaint_handler_a, capa=capa, changes={"title": "x"})
    assert capa.events.count() == 1

    lead = org.manager_a
    lead.refresh_from_db()
    # savepoint, lock, roles, scope, update, event, release
    with django_assert_num_queries(7):
        capa = s.capa_update(
            actor=lead, capa=capa, changes={"due_date": _due() + timedelta(days=7)}
        )
    assert capa.due_date == _due() + timedelta(days=7) and capa.version == 2


def test_start_and_complete_pin_their_queries(org, django_assert_num_queries):
    capa = _capa(org)
    owner = org.complaint_handler_a
    # savepoint, lock, update, event, release (the owner needs no role check)
    with django_assert_num_queries(5):
        capa = s.capa_start(actor=owner, capa=capa)
    with django_assert_num_queries(5):
        capa = s.capa_complete(actor=owner, capa=capa, note="完成")
    assert capa.status == CS.COMPLETED


def test_capa_events_are_append_only(org):
    event = _capa(org).events.get()

    with pytest.raises(ImmutableRowError):
        event.save()
    with pytest.raises(ImmutableRowError):
        event.delete()
    with pytest.raises(ImmutableRowError):
        CapaEvent.objects.filter(pk=event.pk).update(note="x")
    with pytest.raises(ImmutableRowError):
        CapaEvent.objects.all().delete()


def test_the_admin_shows_the_events_and_edits_through_the_service(org, client):
    capa = s.capa_start(actor=org.complaint_handler_a, capa=_capa(org))
    url = reverse("admin:complaints_correctiveaction_change", args=[capa.pk])
    client.force_login(org.supervisor_a)

    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "开始整改" in html  # the "started" event, in Chinese
    assert 'name="events-0-note"' not in html  # read-only

    form = page.context["adminform"].form
    data = {
        name: form.initial.get(name) or ""
        for name in ("title", "kind", "root_cause", "action")
    }
    management = {
        "events-TOTAL_FORMS": "2",
        "events-INITIAL_FORMS": "2",
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "0",
        "evidence-TOTAL_FORMS": "0",
        "evidence-INITIAL_FORMS": "0",
        "evidence-MIN_NUM_FORMS": "0",
        "evidence-MAX_NUM_FORMS": "0",
    }
    response = client.post(
        url,
        {**data, "due_date": _due().isoformat(), "title": "礼仪整改", **management},
    )
    assert response.status_code == 302
    capa.refresh_from_db()
    assert capa.title == "礼仪整改" and capa.version == 3
    updated = capa.events.get(kind="updated")
    assert updated.actor == org.supervisor_a
    assert updated.data == {"title": {"from": "派送员服务礼仪整改", "to": "礼仪整改"}}


def test_the_admin_add_page_has_no_history(org, client):
    client.force_login(org.supervisor_a)
    page = client.get(reverse("admin:complaints_correctiveaction_add"))
    assert page.status_code == 200
    assert "events-TOTAL_FORMS" not in page.content.decode()
