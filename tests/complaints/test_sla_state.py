"""The denormalised SLA state of a complaint (sla_breached / sla_warned /
sla_paused) equals the truth computed from its SLA targets after every service
path: intake, sweep warn and breach, pause, resume, late and on-time meets,
resolve, reopen, close, reject; the admin filter and the list colours read it;
the data migration fills it."""

from datetime import datetime
from importlib import import_module
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from complaints import services as s
from complaints.models import Complaint, SlaTarget
from complaints.services import clock
from complaints.services.sla import sla_state_truth
from complaints.services.sweep import sla_sweep
from tests.factories.complaints import make_complaint, walk

SH = ZoneInfo("Asia/Shanghai")
FIELDS = ("sla_breached", "sla_warned", "sla_paused")


def t(*args):
    return datetime(*args, tzinfo=SH)


def state(complaint) -> dict[str, bool]:
    row = Complaint.objects.values(*FIELDS).get(pk=complaint.pk)
    return {f: row[f] for f in FIELDS}


def assert_true_state(complaint, **expected) -> None:
    truth = sla_state_truth(complaint.pk)
    assert state(complaint) == truth
    for field, value in expected.items():
        assert truth[f"sla_{field}"] is value, (field, truth)


@pytest.fixture
def received(org):
    with clock.at(t(2026, 11, 24, 10, 0)):
        return make_complaint(actor=org.agent_a)


def test_intake_starts_clean(received):
    assert_true_state(received, breached=False, warned=False, paused=False)


def test_sweep_warn_then_breach_then_late_reply(org, received):
    sla_sweep(now=t(2026, 11, 24, 10, 25))  # first response warned (80 %)
    assert_true_state(received, warned=True, breached=False)
    sla_sweep(now=t(2026, 11, 24, 10, 31))  # first response breached
    assert_true_state(received, warned=False, breached=True)
    with clock.at(t(2026, 11, 24, 10, 40)):
        complaint = s.complaint_reply(
            actor=org.agent_a, complaint=received, body="您好"
        )
    # the breach stays on record after the clock is met late
    assert_true_state(complaint, breached=True, warned=False)


def test_a_met_warned_clock_clears_the_warning(org, received):
    sla_sweep(now=t(2026, 11, 24, 10, 25))
    assert_true_state(received, warned=True)
    with clock.at(t(2026, 11, 24, 10, 28)):
        complaint = s.complaint_reply(
            actor=org.agent_a, complaint=received, body="您好"
        )
    assert_true_state(complaint, warned=False, breached=False)


def test_late_meet_without_a_sweep_records_the_breach(org, received):
    with clock.at(t(2026, 11, 24, 11, 0)):
        complaint = s.complaint_reply(
            actor=org.agent_a, complaint=received, body="您好"
        )
    assert_true_state(complaint, breached=True, warned=False)


def test_hold_pauses_and_resume_clears(org, received):
    sla_sweep(now=t(2026, 11, 24, 10, 25))
    with clock.at(t(2026, 11, 24, 10, 26)):
        held = s.complaint_hold(
            actor=org.agent_a, complaint=received, reason="等待客户提供照片"
        )
    assert_true_state(held, paused=True, warned=True)
    # a paused clock is neither warned again nor breached by the sweep
    sla_sweep(now=t(2026, 11, 25, 10, 0))
    assert_true_state(held, paused=True, breached=False)
    with clock.at(t(2026, 11, 25, 10, 0)):
        resumed = s.complaint_resume(actor=org.agent_a, complaint=held)
    assert_true_state(resumed, paused=False, warned=True)


def test_resolve_reopen_close_and_reject(org, received):
    with clock.at(t(2026, 11, 24, 10, 10)):
        resolved = walk(received, "resolved", actor=org.supervisor_a)
    assert_true_state(resolved, breached=False, warned=False, paused=False)
    with clock.at(t(2026, 11, 24, 11, 0)):
        reopened = s.complaint_reopen(
            actor=org.supervisor_a, complaint=resolved, reason="客户不认可"
        )
    assert_true_state(reopened, breached=False)
    sla_sweep(now=t(2026, 12, 30, 10, 0))  # the new resolution clock breaches
    assert_true_state(reopened, breached=True, warned=False)
    with clock.at(t(2026, 12, 30, 11, 0)):
        complaint = s.complaint_start_handling(
            actor=org.supervisor_a, complaint=Complaint.objects.get(pk=reopened.pk)
        )
        complaint = s.complaint_reply(
            actor=org.supervisor_a,
            complaint=complaint,
            body="感谢反馈，已重新派送，我们会跟进确认。",
        )
        resolved = s.complaint_resolve(
            actor=org.supervisor_a, complaint=complaint, resolution_type="redelivery"
        )
        closed = s.complaint_close(
            actor=org.supervisor_a, complaint=resolved, root_cause="派送员未经培训上岗"
        )
    assert_true_state(closed, breached=True, warned=False, paused=False)

    with clock.at(t(2026, 11, 24, 10, 0)):
        other = make_complaint(actor=org.agent_a)
    sla_sweep(now=t(2026, 11, 24, 10, 25))
    assert_true_state(other, warned=True)
    with clock.at(t(2026, 11, 24, 10, 26)):
        rejected = s.complaint_reject(
            actor=org.supervisor_a, complaint=other, reason="重复投诉"
        )
    # rejection cancels the running clocks: no warning left
    assert_true_state(rejected, warned=False, paused=False, breached=False)


def test_every_complaint_matches_after_a_busy_day(org):
    """Many complaints through mixed paths, then every row equals the truth."""
    complaints = []
    with clock.at(t(2026, 11, 24, 9, 0)):
        for _ in range(4):
            complaints.append(make_complaint(actor=org.agent_a))
    sla_sweep(now=t(2026, 11, 24, 9, 25))
    with clock.at(t(2026, 11, 24, 9, 26)):
        s.complaint_hold(actor=org.agent_a, complaint=complaints[1], reason="等待")
        s.complaint_reply(actor=org.agent_a, complaint=complaints[2], body="您好")
    sla_sweep(now=t(2026, 11, 24, 13, 0))
    for complaint in complaints:
        assert state(complaint) == sla_state_truth(complaint.pk)
    # analysis (120 min) is overdue for all but the one on hold
    breached = Complaint.objects.filter(sla_breached=True)
    assert set(breached.values_list("pk", flat=True)) == {
        complaints[0].pk,
        complaints[2].pk,
        complaints[3].pk,
    }


def test_breached_filter_and_list_colours_read_the_state(client, org, received):
    with clock.at(t(2026, 11, 24, 10, 0)):
        fine = make_complaint(actor=org.agent_a)
    sla_sweep(now=t(2026, 11, 24, 10, 31))
    with clock.at(t(2026, 11, 24, 10, 31)):
        s.complaint_reply(actor=org.agent_a, complaint=fine, body="您好")
    # received: first response breached; fine: also breached (met late)…
    Complaint.objects.filter(pk=fine.pk).update(sla_breached=False)
    # …but the filter reads the field only (proof it uses the denormalised state)
    client.force_login(org.supervisor_a)
    url = reverse("admin:complaints_complaint_changelist")
    page = client.get(url, {"sla_breached": "yes", "status__exact": "all"})
    refs = [c.reference for c in page.context["cl"].result_list]
    assert refs == [received.reference]
    page = client.get(url, {"sla_breached": "no", "status__exact": "all"})
    assert [c.reference for c in page.context["cl"].result_list] == [fine.reference]
    page = client.get(url, {"sla_breached": "yes", "status__exact": "all"})
    assert "color:#ba2121" in page.content.decode()


def test_the_data_migration_fills_existing_rows(org, received):
    sla_sweep(now=t(2026, 11, 24, 10, 31))
    with clock.at(t(2026, 11, 24, 10, 32)):
        s.complaint_hold(actor=org.agent_a, complaint=received, reason="等待")
    truth = sla_state_truth(received.pk)
    Complaint.objects.update(sla_breached=False, sla_warned=True, sla_paused=False)
    migration = import_module("complaints.migrations.0016_complaint_sla_state")
    migration.fill_sla_state(django_apps, None)
    assert (
        state(received)
        == truth
        == {
            "sla_breached": True,
            "sla_warned": False,
            "sla_paused": True,
        }
    )
    assert SlaTarget.objects.filter(complaint=received, paused_at__isnull=False)


def test_rows_written_in_bulk_get_their_state(org, received):
    from complaints.services.sla import sla_state_sync_from

    sla_sweep(now=t(2026, 11, 24, 10, 31))
    Complaint.objects.update(sla_breached=False, sla_warned=False)
    sla_state_sync_from(received.pk)
    assert state(received) == sla_state_truth(received.pk)
    assert state(received)["sla_breached"] is True
