"""The spike rule: N complaints of one subcategory within the window draft one
CAPA for the department's manager, linked to them, exactly once per spike."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.models import CapaEvent, Complaint, CorrectiveAction
from complaints.services.capa_spike import capa_spike_sweep
from tests.factories.complaints import make_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule(org, settings):
    settings.KEFU_CAPA_SPIKE_THRESHOLD = 3
    settings.KEFU_CAPA_SPIKE_WINDOW_HOURS = 24
    settings.KEFU_CAPA_SPIKE_DUE_DAYS = 14
    org.dept_a.manager = org.manager_a
    org.dept_a.save(update_fields=["manager"])
    return settings


def _complaints(org, n, *, subcategory="refund_slow", hours_ago=1):
    made = [
        make_complaint(actor=org.agent_a, category="process", subcategory=subcategory)
        for _ in range(n)
    ]
    Complaint.objects.filter(pk__in=[c.pk for c in made]).update(
        received_at=timezone.now() - timedelta(hours=hours_ago)
    )
    return made


def test_n_complaints_within_the_window_draft_one_capa_once(org, rule):
    made = _complaints(org, 3)
    _complaints(org, 2, subcategory=None)  # no subcategory: never a spike
    assert capa_spike_sweep() == 1
    assert capa_spike_sweep() == 0  # the second sweep: the same spike
    capa = CorrectiveAction.objects.get()
    assert capa.owner == org.manager_a and capa.department == org.dept_a
    assert capa.status == CorrectiveAction.Status.OPEN
    assert (
        capa.spike_key == f"spike:{made[0].subcategory_id}:{org.dept_a.pk}:{made[0].pk}"
    )
    assert set(capa.complaints.values_list("pk", flat=True)) == {c.pk for c in made}
    assert capa.due_date == timezone.localdate() + timedelta(days=14)
    assert list(CapaEvent.objects.values_list("kind", flat=True)) == ["created"]
    assert org.manager_a.notifications.filter(kind="capa_assigned").count() == 1
    # two more of the same subcategory are not a new spike; a third one is
    _complaints(org, 2)
    assert capa_spike_sweep() == 0
    _complaints(org, 1)
    assert capa_spike_sweep() == 1
    assert CorrectiveAction.objects.count() == 2


def test_fewer_or_older_complaints_are_no_spike(org, rule):
    _complaints(org, 2)
    _complaints(org, 2, hours_ago=30)  # outside the 24 h window
    assert capa_spike_sweep() == 0
    rule.KEFU_CAPA_SPIKE_THRESHOLD = 0  # the rule switched off
    _complaints(org, 5)
    assert capa_spike_sweep() == 0
    assert not CorrectiveAction.objects.exists()


def test_a_department_without_a_manager_gets_no_draft(org, rule):
    org.dept_a.manager = None
    org.dept_a.save(update_fields=["manager"])
    _complaints(org, 3)
    assert capa_spike_sweep() == 0
    assert not CorrectiveAction.objects.exists()


def test_a_concurrent_sweep_cannot_draft_the_same_spike_twice(org, rule):
    """The unique spike key: a second draft of the same spike (as a concurrent
    sweep would write it) fails and the first stays the only one."""
    from django.db import IntegrityError, transaction

    _complaints(org, 3)
    assert capa_spike_sweep() == 1
    first = CorrectiveAction.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        CorrectiveAction.objects.create(
            title="x",
            root_cause="x",
            action="x",
            owner=org.manager_a,
            due_date=first.due_date,
            spike_key=first.spike_key,
        )
    assert CorrectiveAction.objects.count() == 1


def test_the_task_is_on_the_beat_schedule(settings):
    from complaints.tasks import capa_spike_sweep as task

    entry = settings.CELERY_BEAT_SCHEDULE["complaints-capa-spike-sweep"]
    assert entry["task"] == task.name == "complaints.capa_spike_sweep"
