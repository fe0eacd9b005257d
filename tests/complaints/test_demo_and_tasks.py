"""Demo complaints (service and bulk paths) and the SLA sweep task wiring."""

import logging
import random
from collections import Counter
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Count, F, QuerySet

from complaints import demo
from complaints.models import (
    Complaint,
    ComplaintEvent,
    CorrectiveAction,
    SatisfactionSurvey,
    SlaTarget,
)
from crm import demo as crm_demo
from crm.models import Revisit

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx():
    context = crm_demo.DemoContext(
        seed=11, rng=random.Random(11), customers=40, complaints=80
    )
    crm_demo.seed(context)
    # 20 through the services, 60 bulk-inserted
    context.shared["complaints_service_limit"] = 20
    return context


def test_demo_complaints_mix_lifecycle_and_idempotence(ctx):
    demo.seed(ctx)
    assert Complaint.objects.count() == 80
    references = list(Complaint.objects.values_list("reference", flat=True))
    assert len(set(references)) == 80
    statuses = set(Complaint.objects.values_list("status", flat=True))
    assert {"closed", "rejected"} <= statuses
    assert statuses & {"received", "analyzing", "handling", "replied", "on_hold"}
    by_category = dict(
        Complaint.objects.values_list("category__code").annotate(n=Count("pk"))
    )
    assert by_category["service_quality"] > by_category["attitude"] > 0
    channels = dict(Complaint.objects.values_list("channel").annotate(n=Count("pk")))
    assert channels["phone"] > channels.get("letter", 0)
    # service path: full timelines with SLA clock events
    assert ComplaintEvent.objects.filter(kind="sla_met").exists()
    assert ComplaintEvent.objects.filter(kind="replied").exists()
    # every complaint has its clocks; mirrored due times agree with the targets
    assert not Complaint.objects.filter(sla_targets__isnull=True).exists()
    first = SlaTarget.objects.filter(kind="first_response", cycle=1)
    assert not first.exclude(due_at=F("complaint__first_response_due_at")).exists()
    assert SlaTarget.objects.filter(breached_at__isnull=False).exists()
    assert SatisfactionSurvey.objects.filter(answered_at__isnull=False).exists()
    assert not Complaint.objects.filter(
        status="closed", first_resolved_at__isnull=True
    ).exists()
    assert CorrectiveAction.objects.exists()
    # a second run adds nothing
    counts = (Complaint.objects.count(), ComplaintEvent.objects.count())
    demo.seed(ctx)
    assert (Complaint.objects.count(), ComplaintEvent.objects.count()) == counts


def test_demo_references_continue_after_bulk(ctx):
    ctx.complaints = 40
    ctx.shared["complaints_service_limit"] = 10
    demo.seed(ctx)
    from complaints.models import ReferenceCounter

    for counter in ReferenceCounter.objects.all():
        numbers = [
            int(r[-4:])
            for r in Complaint.objects.filter(
                reference__startswith=f"TS{counter.day:%Y%m%d}"
            ).values_list("reference", flat=True)
        ]
        assert max(numbers) == counter.last_value


def test_seed_demo_command_with_complaints_flag():
    out = StringIO()
    call_command(
        "seed_demo",
        stdout=out,
        customers=20,
        complaints=15,
        skip=["training", "kpi"],
    )
    assert Complaint.objects.count() == 15
    assert "complaints:" in out.getvalue()


def test_sla_sweep_task_is_named_and_scheduled():
    from complaints.tasks import sla_sweep

    assert sla_sweep.name == "complaints.sla_sweep"
    entry = settings.CELERY_BEAT_SCHEDULE["complaints-sla-sweep"]
    assert entry["task"] == "complaints.sla_sweep"
    assert sla_sweep.apply().get() == {"warned": 0, "breached": 0}


def test_demo_sends_the_queued_messages_and_shows_a_few_failed(ctx):
    from complaints.models import CustomerMessage

    demo.seed(ctx)

    statuses = dict(
        CustomerMessage.objects.values_list("status").annotate(n=Count("pk"))
    )
    assert statuses.get("sent", 0) > statuses.get("failed", 0) > 0
    assert set(statuses) <= {"sent", "failed", "pending"}
    failed = CustomerMessage.objects.filter(status="failed").first()
    assert failed.attempts == 1 and "演示" in failed.last_error
    assert failed.complaint.events.filter(kind="message_failed").count() == 1
    sent = CustomerMessage.objects.filter(status="sent").first()
    assert sent.provider_id.startswith("demo-")
    assert sent.complaint.events.filter(kind="message_sent").exists()


def test_seed_demo_fills_every_agents_desk_with_every_open_status(monkeypatch, caplog):
    """The default demo's desks, at a small size: every agent 5–15 open
    complaints, handlers some in analysis or handling, several analyzing and
    reopened, some a few minutes from a breach; quiet and idempotent."""
    from datetime import timedelta

    from django.utils import timezone

    from complaints.services.common import OPEN_STATUSES
    from crm.models import User

    # history: mostly bulk (fast); the desks go through the services
    monkeypatch.setattr(demo, "SERVICE_LIMIT", demo.SERVICE_LIMIT // 2 + 10)
    out = StringIO()
    call_command(
        "seed_demo",
        stdout=out,
        customers=80,
        complaints=330,
        skip=["aftersales", "training", "kpi"],
    )
    now = timezone.now()
    statuses = Counter(Complaint.objects.values_list("status", flat=True))
    assert statuses["analyzing"] >= 3 and statuses["reopened"] >= 3
    assert set(Complaint.Status.values) - {"resolved"} <= set(statuses)
    open_ = Complaint.objects.filter(status__in=OPEN_STATUSES)
    near = SlaTarget.objects.filter(
        complaint__in=open_,
        met_at=None,
        breached_at=None,
        cancelled_at=None,
        due_at__gt=now,
        due_at__lte=now + timedelta(minutes=30),
    )
    assert near.values("complaint").distinct().count() >= 3
    agents = User.objects.filter(groups__name="agent", team__isnull=False)
    assert agents.count() >= 16
    for agent in agents:
        assert 5 <= open_.filter(assignee=agent).count() <= 15, agent.username
    for handler in User.objects.filter(groups__name="complaint_handler"):
        assert open_.filter(
            assignee=handler, status__in=["analyzing", "handling"]
        ).exists(), handler.username
    # every solution reply of the demo has its thanks, solution and follow-up
    from complaints import phrases

    for body in [*demo.SOLUTION_REPLIES.values(), demo.REPLY_AGAIN]:
        assert phrases.reply_parts_missing(body) == [], body
    # quiet: progress lines, no line twice
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    repeated = [line for line, n in Counter(lines).items() if n > 1]
    assert repeated == []
    assert any("today's desks" in line for line in lines)
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert [m for m, n in Counter(logged).items() if n > 1] == []
    # the refused demo messages are counted in one line, not logged one by one
    assert not [r for r in caplog.records if "message_delivery" in r.name]
    # a second run adds nothing
    count = Complaint.objects.count()
    call_command(
        "seed_demo",
        stdout=StringIO(),
        customers=80,
        complaints=330,
        skip=["aftersales", "training", "kpi"],
    )
    assert Complaint.objects.count() == count == 330


def _index_definitions():
    """{index: (table, unique, method, columns, expressions, partial)} of the
    bulk-loaded tables (a re-created partial index's predicate reads back in
    PostgreSQL's own spelling, e.g. ``ANY (ARRAY[...]::text[])``: same index)."""
    from django.db import connection

    tables = [
        m._meta.db_table
        for m in (Complaint, SlaTarget, SatisfactionSurvey, ComplaintEvent)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.relname, i.indisunique, a.amname, "
            "i.indkey::text, pg_get_expr(i.indexprs, i.indrelid), "
            "i.indpred IS NOT NULL "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_am a ON a.oid = c.relam "
            "WHERE t.relname = ANY(%s)",
            [tables],
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="the deferred indexes are PostgreSQL's bulk path",
)
def test_large_bulk_loads_without_secondary_indexes_and_restores_them(ctx, monkeypatch):
    """Past DEFER_INDEXES_FROM the bulk runs without the secondary indexes and
    builds them again with the same definitions; a failure inside rolls the load
    back with the drops, so the schema keeps every index."""
    before = _index_definitions()
    seen = {}
    bulk = demo._bulk

    def spying(*args, **kwargs):
        seen["during"] = _index_definitions()
        return bulk(*args, **kwargs)

    monkeypatch.setattr(demo, "DEFER_INDEXES_FROM", 10)
    monkeypatch.setattr(demo, "_bulk", spying)
    ctx.complaints = 40
    ctx.shared["complaints_service_limit"] = 10
    demo.seed(ctx)
    assert Complaint.objects.count() == 40
    assert _index_definitions() == before
    dropped = set(before) - set(seen["during"])
    assert "complaint_subject_trgm" in dropped and "complaint_assignee_work" in dropped
    assert "slatarget_due" not in dropped  # ordered keys: kept
    assert "complaints_complaint_pkey" in seen["during"]  # constraints stay
    assert "complaints_complaint_reference_key" in seen["during"]

    def failing(*args, **kwargs):
        bulk(*args, **kwargs)
        raise RuntimeError("killed mid-load")

    monkeypatch.setattr(demo, "_bulk", failing)
    ctx.complaints = 400
    with pytest.raises(RuntimeError):
        demo.seed(ctx)
    assert Complaint.objects.count() == 40
    assert _index_definitions() == before


def test_bulk_complaints_carry_the_sla_state_of_their_targets(ctx):
    """The bulk rows are written with their SLA state (not updated after the
    load): it is the state the services keep, complaint by complaint."""
    from complaints.services.sla import SLA_STATE, sla_state_truth

    ctx.complaints = 400
    demo.seed(ctx)
    bulk = Complaint.objects.filter(events__data__bulk=True).distinct()
    assert bulk.count() > 200
    states = {
        pk: {"sla_breached": b, "sla_warned": w, "sla_paused": p}
        for pk, b, w, p in bulk.values_list(
            "pk", "sla_breached", "sla_warned", "sla_paused"
        )
    }
    assert states == {pk: sla_state_truth(pk) for pk in states}
    # Both sides of the breach mark are compared. (Whether a clock is warned
    # and not yet due depends on the hour the suite runs; none is paused.)
    assert {s["sla_breached"] for s in states.values()} == {True, False}
    assert set(SLA_STATE) == {"sla_breached", "sla_warned", "sla_paused"}


def _bulk_dump() -> dict:
    """Every bulk-written row, by reference, without ids."""
    from complaints.models import ReferenceCounter

    def rows(model, key, *exclude):
        queryset = model if isinstance(model, QuerySet) else model.objects.all()
        fields = [
            f.attname
            for f in queryset.model._meta.concrete_fields
            if not f.primary_key and f.attname not in exclude
        ]
        return sorted(
            tuple(str(v) for v in row) for row in queryset.values_list(key, *fields)
        )

    return {
        "complaints": rows(Complaint, "reference"),
        "targets": rows(SlaTarget, "complaint__reference", "complaint_id"),
        "surveys": rows(SatisfactionSurvey, "complaint__reference", "complaint_id"),
        "events": rows(ComplaintEvent, "complaint__reference", "complaint_id"),
        "revisits": rows(
            Revisit.objects.filter(key__startswith="complaint:"),
            "complaint__reference",
            "complaint_id",
            "key",  # holds the complaint's id: checked below
        ),
        "counters": sorted(ReferenceCounter.objects.values_list("day", "last_value")),
    }


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="the forked build encodes PostgreSQL's binary COPY",
)
def test_bulk_built_in_a_forked_process_writes_the_same_rows(ctx):
    """The million-complaint path (``PARALLEL_FROM``): built and encoded in a
    forked process, sent by this one, with the resolved complaints'
    confirmation revisits. Same plans, same moment: the same rows as the
    in-process path followed by the revisits step, and the plans after the
    bulk are handed back."""
    from datetime import timedelta

    from django.utils import timezone

    from complaints.demo_revisits import seed_complaint_revisits
    from complaints.models import ReferenceCounter
    from crm.models import Customer

    now = timezone.now().replace(microsecond=0) - timedelta(minutes=1)
    customers = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    org = demo.Org(ctx)
    demo._ensure_rules(org)
    results = {}
    for parallel in (False, True):
        plans = demo.make_plans(ctx, customers, now)
        rest = demo._bulk(ctx, org, plans, 70, now, parallel=parallel)
        written = Revisit.objects.filter(key__startswith="complaint:").count()
        seed_complaint_revisits(ctx, now=now)  # plans those not written yet
        keys = Revisit.objects.filter(key__startswith="complaint:")
        for key, complaint_id in keys.values_list("key", "complaint_id"):
            assert key == f"complaint:{complaint_id}:confirmation"
        results[parallel] = (_bulk_dump(), [p.received_at for p in rest], written)
        Revisit.objects.filter(key__startswith="complaint:").delete()
        Complaint.objects.all().delete()
        ReferenceCounter.objects.all().delete()
    (here, rest_here, none), (forked, rest_forked, written) = (
        results[False],
        results[True],
    )
    assert len(here["complaints"]) == 70 and len(here["events"]) > 70
    assert none == 0 and written == len(here["revisits"]) > 0
    assert forked == here
    assert len(rest_forked) == ctx.complaints - 70 and rest_forked == rest_here


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="the forked build encodes PostgreSQL's binary COPY",
)
def test_a_failure_in_the_forked_build_rolls_the_bulk_back(ctx, monkeypatch):
    """The build process may not query (it shares the connection object): a
    query there, or any error, fails the bulk in the parent, and nothing of
    it stays."""
    from django.utils import timezone

    from crm.models import Customer

    now = timezone.now()
    customers = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    org = demo.Org(ctx)
    demo._ensure_rules(org)
    build = demo._Builder.build

    def querying(self, plans):
        Complaint.objects.count()
        return build(self, plans)

    monkeypatch.setattr(demo._Builder, "build", querying)
    with pytest.raises(RuntimeError, match="queried the database"):
        demo._bulk(
            ctx, org, demo.make_plans(ctx, customers, now), 30, now, parallel=True
        )
    assert not Complaint.objects.exists()
    assert Customer.objects.count() == len(customers)  # the connection still works
