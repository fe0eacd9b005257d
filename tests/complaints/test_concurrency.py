"""Races on PostgreSQL: concurrent resolves, reference numbers, overlapping
SLA sweeps. Skipped on SQLite (it serialises writers anyway)."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from complaints import services as s
from complaints.models import ComplaintEvent
from complaints.services import clock
from complaints.services.reference import reference_next
from complaints.services.sweep import sla_sweep
from config.errors import Conflict
from crm.models import Notification
from tests.factories.complaints import make_complaint, walk

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL"
    ),
]
SH = ZoneInfo("Asia/Shanghai")


def run_together(fn, n):
    """Run ``fn(i)`` in ``n`` threads released at once; return results/errors."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def work(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:  # collected for the assertion
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return results


def test_two_concurrent_resolves_one_wins_one_conflicts(org):
    complaint = walk(make_complaint(actor=org.agent_a), "replied", actor=org.admin)
    version = complaint.version

    def resolve(i):
        return s.complaint_resolve(
            actor=org.supervisor_a,
            complaint=complaint,
            resolution_type="apology",
            version=version,
        )

    results = run_together(resolve, 2)
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and len(losses) == 1
    assert isinstance(losses[0], Conflict)
    assert (
        ComplaintEvent.objects.filter(
            complaint=complaint, kind="status_changed", to_status="resolved"
        ).count()
        == 1
    )


def test_references_are_unique_under_concurrency(db):
    day = datetime(2026, 11, 24).date()
    refs = run_together(lambda i: reference_next(day=day), 8)
    assert all(isinstance(r, str) for r in refs), refs
    assert sorted(refs) == [f"TS20261124{n:04d}" for n in range(1, 9)]


def test_overlapping_sweeps_warn_and_breach_once(org):
    start = datetime(2026, 11, 24, 10, 0, tzinfo=SH)
    with clock.at(start):
        complaints = [make_complaint(actor=org.agent_a) for _ in range(3)]
    later = start + timedelta(minutes=45)  # first response warned and breached
    results = run_together(lambda i: sla_sweep(now=later), 4)
    assert all(isinstance(r, dict) for r in results), results
    assert sum(r["warned"] for r in results) == 3
    assert sum(r["breached"] for r in results) == 3
    for complaint in complaints:
        events = ComplaintEvent.objects.filter(complaint=complaint)
        assert events.filter(kind="sla_warned").count() == 1
        assert events.filter(kind="sla_breached").count() == 1
        assert events.filter(kind="escalated").count() == 1
    assert Notification.objects.filter(key__contains=":escalated").count() == 3


def test_sweep_skips_a_complaint_another_transaction_holds_and_marks_it_next_run(
    org,
):
    """The sweep never waits on a locked complaint (SKIP LOCKED: no deadlock
    with a writer of several complaints in another order): the free one is
    marked now, the held one by the run after the lock is released."""
    from django.db import transaction

    from complaints.models import Complaint

    start = datetime(2026, 11, 24, 10, 0, tzinfo=SH)
    with clock.at(start):
        held, free = [make_complaint(actor=org.agent_a) for _ in range(2)]
    later = start + timedelta(minutes=45)
    locked, release = threading.Event(), threading.Event()

    def holder():
        try:
            with transaction.atomic():
                Complaint.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert locked.wait(10)
        first = sla_sweep(now=later)
    finally:
        release.set()
        thread.join()
    assert first == {"warned": 1, "breached": 1}
    assert not ComplaintEvent.objects.filter(complaint=held, kind="sla_breached")
    assert sla_sweep(now=later) == {"warned": 1, "breached": 1}
    for complaint in (held, free):
        events = ComplaintEvent.objects.filter(complaint=complaint)
        assert events.filter(kind="sla_breached").count() == 1
        assert events.filter(kind="escalated").count() == 1
