"""The maintained per-agent open count (AgentLoad) equals the true count of
open assigned complaints after every path, and intake reads it to pick the
least-loaded agent (issue 18)."""

import threading
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.db import connection, connections

from complaints import services as s
from complaints.models import AgentLoad, Complaint
from complaints.services.common import OPEN_STATUSES
from complaints.services.load import agent_load_recount, load_true_counts
from complaints.services.sweep import sla_sweep
from tests.factories.complaints import AssignmentRuleFactory, make_complaint, walk


def maintained() -> dict[int, int]:
    return {
        pk: n
        for pk, n in AgentLoad.objects.values_list("user_id", "open_count")
        if n != 0
    }


def assert_counts_true():
    truth = load_true_counts()
    assert maintained() == truth
    # and the truth is what the complaints say, spelled out
    for pk, n in truth.items():
        assert (
            Complaint.objects.filter(assignee_id=pk, status__in=OPEN_STATUSES).count()
            == n
        )


@pytest.fixture
def routed(org):
    AssignmentRuleFactory(team=org.team_a)
    return org


def test_every_path_keeps_the_count_true(routed):
    org = routed
    first = make_complaint(actor=org.supervisor_a)
    second = make_complaint(actor=org.supervisor_a)
    assert_counts_true()
    assert sum(maintained().values()) == 2
    reassigned = s.complaint_assign(
        actor=org.supervisor_a, complaint=first, assignee=org.complaint_handler_a
    )
    assert_counts_true()
    held = s.complaint_hold(actor=org.supervisor_a, complaint=second, reason="等待")
    assert_counts_true()
    s.complaint_resume(actor=org.supervisor_a, complaint=held)
    assert_counts_true()
    resolved = walk(reassigned, "resolved", actor=org.supervisor_a)
    assert_counts_true()  # resolved is not open: the count drops
    reopened = s.complaint_reopen(
        actor=org.supervisor_a, complaint=resolved, reason="不满意"
    )
    assert_counts_true()
    rejected = s.complaint_reject(
        actor=org.supervisor_a,
        complaint=Complaint.objects.get(pk=second.pk),
        reason="重复投诉",
    )
    assert rejected.status == "rejected"
    assert_counts_true()
    closed = walk(make_complaint(actor=org.supervisor_a), "closed", actor=org.admin)
    assert closed.status == "closed"
    assert_counts_true()
    s.complaint_escalate(
        actor=org.supervisor_a,
        complaint=Complaint.objects.get(pk=reopened.pk),
        reason="升级",
    )
    assert_counts_true()
    sla_sweep(now=reopened.received_at.replace(year=2099))  # breaches escalate
    assert_counts_true()


def test_intake_picks_the_least_loaded_from_the_counts(routed):
    org = routed
    picked = [make_complaint(actor=org.supervisor_a).assignee_id for _ in range(4)]
    # two workers in team A (agent, handler): alternating, lowest id first
    workers = sorted([org.agent_a.pk, org.complaint_handler_a.pk])
    assert picked == workers * 2
    # the counts, not the table: a stale count steers the choice
    AgentLoad.objects.filter(user_id=workers[0]).update(open_count=100)
    assert make_complaint(actor=org.supervisor_a).assignee_id == workers[1]
    agent_load_recount()
    assert_counts_true()


def test_the_migration_and_the_recount_fill_the_table(routed):
    org = routed
    for _ in range(3):
        make_complaint(actor=org.supervisor_a)
    truth = load_true_counts()
    AgentLoad.objects.all().delete()
    import_module("complaints.migrations.0019_agent_load").fill_agent_load(
        django_apps, None
    )
    assert maintained() == truth
    AgentLoad.objects.update(open_count=7)
    agent_load_recount()
    assert maintained() == truth


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
)
def test_concurrent_intakes_keep_the_count_true(routed):
    org = routed
    errors = []
    barrier = threading.Barrier(4)

    def work():
        try:
            barrier.wait()
            make_complaint(actor=org.supervisor_a)
        except Exception as exc:  # collected for the assertion
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert Complaint.objects.count() == 4
    assert_counts_true()
