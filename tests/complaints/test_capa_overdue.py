"""The CAPA overdue sweep: the owner is reminded on the due date, the
department's manager told KEFU_CAPA_ESCALATE_AFTER_DAYS after it, each exactly
once (conditional UPDATE and unique notification keys), even when a second sweep
runs on a stale list of candidates."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from complaints import selectors
from complaints import services as s
from complaints.models import CapaEvent, CorrectiveAction
from complaints.services import capa_sweep
from complaints.services.capa_sweep import capa_overdue_sweep
from crm.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def capa(org, settings):
    settings.KEFU_CAPA_ESCALATE_AFTER_DAYS = 2
    org.dept_a.manager = org.manager_a
    org.dept_a.save(update_fields=["manager"])
    return s.capa_create(
        actor=org.supervisor_a,
        title="派送员服务礼仪整改",
        root_cause="派送员未经礼仪培训上岗",
        action="全员参加礼仪培训并抽查",
        owner=org.complaint_handler_a,
        due_date=timezone.localdate() + timedelta(days=3),
    )


def _at(day, hour=9):
    """A moment of the local day ``day``."""
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _sent(kind):
    return list(
        Notification.objects.filter(kind=kind).values_list("recipient__username", "key")
    )


def test_reminded_on_the_due_date_and_escalated_after_it_each_once(org, capa):
    due = capa.due_date
    assert capa_overdue_sweep(now=_at(due - timedelta(days=1))) == {
        "reminded": 0,
        "escalated": 0,
    }
    # 00:30 local on the due date is still 16:30 UTC the day before
    assert capa_overdue_sweep(now=_at(due, hour=0) + timedelta(minutes=30)) == {
        "reminded": 1,
        "escalated": 0,
    }
    assert capa_overdue_sweep(now=_at(due, hour=15)) == {"reminded": 0, "escalated": 0}
    assert _sent("capa_due") == [
        ("complaint_handler_a", f"capa:{capa.pk}:due:{due.isoformat()}")
    ]
    assert capa_overdue_sweep(now=_at(due + timedelta(days=1))) == {
        "reminded": 0,
        "escalated": 0,
    }
    for _ in range(2):  # two sweeps after the escalation day: one escalation
        capa_overdue_sweep(now=_at(due + timedelta(days=2)))
    assert _sent("capa_overdue") == [
        ("manager_a", f"capa:{capa.pk}:escalated:{due.isoformat()}")
    ]
    kinds = list(CapaEvent.objects.filter(capa=capa).values_list("kind", flat=True))
    assert kinds == ["created", "due_reminded", "escalated"]
    row = CorrectiveAction.objects.get(pk=capa.pk)
    assert row.due_reminded_at and row.escalated_at


def test_a_second_sweep_on_a_stale_list_does_nothing(org, capa, monkeypatch):
    """Two concurrent sweeps both list the CAPA; the conditional UPDATE lets
    only one of them remind and escalate."""
    now = _at(capa.due_date + timedelta(days=5))
    assert capa_overdue_sweep(now=now) == {"reminded": 1, "escalated": 1}
    # the other sweep read its candidates before the first one marked them
    stale = CorrectiveAction.objects.filter(pk=capa.pk)
    monkeypatch.setattr(selectors, "capas_to_remind", lambda **kw: stale)
    monkeypatch.setattr(selectors, "capas_to_escalate", lambda **kw: stale)
    assert capa_overdue_sweep(now=now) == {"reminded": 0, "escalated": 0}
    assert capa_sweep._claim(capa.pk, "escalated_at", now) is None
    assert (
        Notification.objects.filter(kind__in=["capa_due", "capa_overdue"]).count() == 2
    )
    assert CapaEvent.objects.filter(capa=capa).count() == 3


def test_finished_capas_are_left_alone(org, capa):
    s.capa_complete(actor=org.complaint_handler_a, capa=capa, note="已完成")
    assert capa_overdue_sweep(now=_at(capa.due_date + timedelta(days=5))) == {
        "reminded": 0,
        "escalated": 0,
    }
    assert not Notification.objects.filter(kind__in=["capa_due", "capa_overdue"])


def test_a_new_due_date_is_reminded_anew(org, capa):
    old_due = capa.due_date
    capa_overdue_sweep(now=_at(old_due))
    new_due = old_due + timedelta(days=10)
    s.capa_update(actor=org.supervisor_a, capa=capa, changes={"due_date": new_due})
    assert capa_overdue_sweep(now=_at(old_due + timedelta(days=1))) == {
        "reminded": 0,
        "escalated": 0,
    }
    assert capa_overdue_sweep(now=_at(new_due))["reminded"] == 1
    assert Notification.objects.filter(kind="capa_due").count() == 2


def test_the_task_is_on_the_beat_schedule(settings):
    from complaints.tasks import capa_overdue_sweep as task

    entry = settings.CELERY_BEAT_SCHEDULE["complaints-capa-overdue-sweep"]
    assert entry["task"] == task.name == "complaints.capa_overdue_sweep"
