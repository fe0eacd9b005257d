"""The SLA clocks' hourly rollup (kpi.SlaHour): a period's ``sla_compliance_rate``
and the dashboard's missed clocks by kind read the rolled-up hours that ended and
the current hour live, with results identical to reading every clock (``KPI_ROLLUPS =
False``), before and after any write the rollup depends on, by any path."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from complaints import services as cs
from complaints.models import Complaint, SlaTarget
from complaints.services.clock import at
from kpi.models import (
    DashboardSnapshot,
    KpiPeriod,
    KpiResult,
    RollupDay,
    RollupHour,
    SlaChange,
    SlaDay,
    SlaHour,
)
from kpi.periods import period_for
from kpi.services import kpi_compute_period, kpi_compute_periods, rollups
from tests.factories.kpi import (  # noqa: F401 - complaint_links is a fixture
    complaint_links,
    complaint_story,
    local,
    month,
    policy_24x7,
)

NOW = local(2026, 12, 5, 9, 30)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("complaint_links")]


@pytest.fixture
def world(org):
    """Clocks that fell due on several November and December days: met in
    time, met late, never met, on hold, of a rejected complaint; and one due
    today (5 December) and two in the current hour, read live."""
    policy_24x7()
    stories = []
    for n, (agent, received, respond) in enumerate(
        (
            (org.agent_a, local(2026, 11, 2, 10), local(2026, 11, 2, 10, 20)),
            (org.agent_a, local(2026, 11, 3, 10), local(2026, 11, 3, 15)),
            (org.complaint_handler_a, local(2026, 11, 4, 10), None),
            (org.agent_b, local(2026, 11, 5, 10), local(2026, 11, 5, 10, 5)),
            (org.agent_a, local(2026, 11, 29, 22), None),
            (org.agent_b, local(2026, 12, 2, 9), local(2026, 12, 2, 9, 30)),
            (org.agent_a, local(2026, 12, 3, 16), None),
            (org.agent_a, local(2026, 12, 5, 3), None),  # due today
        )
    ):
        stories.append(
            complaint_story(
                agent=agent,
                lead=org.supervisor_a
                if agent.team_id == org.team_a.pk
                else org.supervisor_b,
                received=received,
                respond=respond,
                hold=(local(2026, 11, 3, 16), None) if n == 1 else None,
                reject=local(2026, 11, 4, 11) if n == 2 else None,
            )
        )
    # in the current hour: one fell due (read live), one is not due yet
    for minute in (10, 40):
        SlaTarget.objects.create(
            complaint=stories[-1],
            kind=SlaTarget.Kind.RESOLUTION,
            cycle=minute,
            started_at=local(2026, 12, 5, 3),
            target_minutes=60,
            due_at=local(2026, 12, 5, 9, minute),
        )
    return stories


def _figures(periods):
    results = {
        (r.period_id, r.indicator.code, r.subject_type, r.subject_id): (
            r.value,
            r.numerator,
            r.denominator,
            r.sample_size,
        )
        for r in KpiResult.objects.filter(
            period__in=periods, indicator__code="sla_compliance_rate"
        ).select_related("indicator")
    }
    dashboards = {
        (d.period_id, d.subject_type, d.subject_id): (
            d.breaches_by_kind,
            d.breach_total,
            d.latest_breaches,
        )
        for d in DashboardSnapshot.objects.filter(period__in=periods)
    }
    return results, dashboards


def _rolled_and_live(periods, now=NOW):
    """(figures read from the rollup, figures read from every clock)."""
    kpi_compute_periods(actor=None, periods=periods, now=now)
    rolled = _figures(periods)
    with override_settings(KPI_ROLLUPS=False):
        kpi_compute_periods(actor=None, periods=periods, now=now)
    return rolled, _figures(periods)


def test_rolled_up_figures_equal_the_live_reading(org, world):
    periods = [month(2026, 11), month(2026, 12)]
    rolled, live = _rolled_and_live(periods)
    assert rolled == live
    results, dashboards = rolled
    # real figures, not empty ones: November's clocks are counted and missed
    november = {
        k: v for k, v in results.items() if k[0] == periods[0].pk and v[2] is not None
    }
    assert november and sum(v[2] for k, v in november.items() if k[2] == "staff") > 0
    assert any(total for (_kind, total, _latest) in dashboards.values())
    # every hour that ended is rolled up; the current one is read live
    hours = set(RollupHour.objects.values_list("hour", flat=True))
    assert local(2026, 11, 1, 0) in hours and local(2026, 12, 5, 8) in hours
    assert local(2026, 12, 5, 9) not in hours
    assert len(hours) == (NOW - local(2026, 11, 1, 0)) // timedelta(hours=1)
    assert SlaHour.objects.exists()
    assert not SlaChange.objects.exists()  # the refresh consumed the marks


def _reassign(org, stories):
    complaint = stories[0]
    with at(local(2026, 12, 5, 8)):
        cs.complaint_assign(
            actor=org.supervisor_a,
            complaint=complaint,
            assignee=org.complaint_handler_a,
        )


def _reject_by_update(org, stories):
    Complaint.objects.filter(pk=stories[1].pk).update(status=Complaint.Status.REJECTED)


def _move_team_by_update(org, stories):
    Complaint.objects.filter(pk=stories[3].pk).update(
        team=org.team_a, department=org.dept_a
    )


def _met_late(org, stories):
    target = SlaTarget.objects.filter(complaint=stories[4], met_at__isnull=True).first()
    SlaTarget.objects.filter(pk=target.pk).update(
        met_at=target.due_at + timedelta(hours=1)
    )


def _met_in_time(org, stories):
    target = SlaTarget.objects.filter(complaint=stories[6], met_at__isnull=True).first()
    SlaTarget.objects.filter(pk=target.pk).update(
        met_at=target.due_at - timedelta(minutes=1)
    )


def _due_moved(org, stories):
    """A due time overridden to another day (the clock leaves its day)."""
    target = SlaTarget.objects.filter(complaint=stories[3]).first()
    target.due_at = local(2026, 12, 3, 12)  # November → December
    target.is_overridden = True
    target.save(update_fields=["due_at", "is_overridden"])


def _cancelled(org, stories):
    SlaTarget.objects.filter(complaint=stories[5]).update(cancelled_at=NOW)


def _paused(org, stories):
    SlaTarget.objects.filter(complaint=stories[4], met_at__isnull=True).update(
        paused_at=local(2026, 11, 30, 9)
    )


def _deleted(org, stories):
    stories[0].delete()


def _new_clock(org, stories):
    SlaTarget.objects.create(
        complaint=stories[0],
        kind=SlaTarget.Kind.RESOLUTION,
        cycle=9,
        started_at=local(2026, 11, 1, 9),
        target_minutes=60,
        due_at=local(2026, 11, 10, 9),
    )


@pytest.mark.parametrize(
    "change",
    [
        _reassign,
        _reject_by_update,
        _move_team_by_update,
        _met_late,
        _met_in_time,
        _due_moved,
        _cancelled,
        _paused,
        _deleted,
        _new_clock,
    ],
)
def test_a_change_to_a_rolled_up_hour_is_seen(org, world, change):
    periods = [month(2026, 11), month(2026, 12)]
    kpi_compute_periods(actor=None, periods=periods, now=NOW)
    before = _figures(periods)
    assert not SlaChange.objects.exists()

    change(org, world)

    assert SlaChange.objects.exists()  # the trigger marked the day
    rolled, live = _rolled_and_live(periods)
    assert rolled == live
    assert rolled != before  # the change moved a figure
    assert not SlaChange.objects.exists()


def test_writes_the_rollup_does_not_read_mark_nothing(org, world):
    kpi_compute_period(actor=None, period=month(2026, 11), now=NOW)
    assert not SlaChange.objects.exists()
    SlaTarget.objects.filter(complaint=world[0]).update(breached_at=NOW, warned_at=NOW)
    Complaint.objects.filter(pk=world[0].pk).update(sla_breached=True)
    # a status change that is not a rejection does not move the SLA counts
    Complaint.objects.filter(pk=world[0].pk).update(status=Complaint.Status.CLOSED)
    assert not SlaChange.objects.exists()


def test_a_change_marks_only_its_days(org, world):
    kpi_compute_period(actor=None, period=month(2026, 11), now=NOW)
    SlaTarget.objects.filter(complaint=world[3]).update(met_at=NOW)
    summary = rollups.refresh(start=NOW, end=NOW, now=NOW)
    days = {
        t.due_at.astimezone(UTC).date()
        for t in SlaTarget.objects.filter(complaint=world[3])
    }
    # each mark is a UTC date: the rolled-up hours of that day are recomputed
    assert days and 0 < summary.stale <= 24 * len(days)
    assert summary.hours == summary.stale  # nothing else recomputed


def test_a_clock_due_at_2330_utc_belongs_to_the_next_local_day(org, world):
    """23:30 UTC on 30 November is 07:30 on 1 December in Shanghai: the clock
    counts in December's first day, and its mark (UTC date 30 November)
    refreshes that UTC day's hours."""
    complaint = world[0]
    target = SlaTarget.objects.create(
        complaint=complaint,
        kind=SlaTarget.Kind.RESOLUTION,
        cycle=9,
        started_at=local(2026, 11, 30, 6),
        target_minutes=60,
        due_at=datetime(2026, 11, 30, 23, 30, tzinfo=UTC),
    )
    assert timezone.localdate(target.due_at).day == 1
    periods = [month(2026, 11), month(2026, 12)]
    rolled, live = _rolled_and_live(periods)
    assert rolled == live
    # rolled up in its hour, which the December period reads
    assert SlaHour.objects.filter(
        hour=datetime(2026, 11, 30, 23, tzinfo=UTC), kind=SlaTarget.Kind.RESOLUTION
    ).exists()
    SlaTarget.objects.filter(pk=target.pk).update(
        met_at=target.due_at - timedelta(minutes=5)
    )
    rolled, live = _rolled_and_live(periods)
    assert rolled == live


def test_a_year_reads_only_the_current_hours_clocks(org, world):
    year = period_for(KpiPeriod.Kind.YEAR, date(2026, 12, 1))
    kpi_compute_period(actor=None, period=year, now=NOW)
    with CaptureQueriesContext(connection) as ctx:
        kpi_compute_period(actor=None, period=year, now=NOW)
    grouped = [
        q["sql"]
        for q in ctx.captured_queries
        if "complaints_slatarget" in q["sql"] and "GROUP BY" in q["sql"]
    ]
    # one grouped read of the current hour's clocks (live), none of the
    # rolled-up hours
    assert len(grouped) == 1, grouped


def test_turned_off_the_rollup_is_neither_read_nor_written(org, world):
    with override_settings(KPI_ROLLUPS=False):
        kpi_compute_period(actor=None, period=month(2026, 11), now=NOW)
    assert not RollupHour.objects.exists() and not SlaHour.objects.exists()


def test_a_rollup_written_in_small_batches_equals_the_live_reading(
    org, world, monkeypatch
):
    """The refresh streams its grouped rows and writes them batch by batch
    (bounded memory at a million complaints): a batch of 2 rows must lose or
    repeat none."""
    monkeypatch.setattr(rollups, "CHUNK", 2)
    periods = [month(2026, 11), month(2026, 12)]
    rolled, live = _rolled_and_live(periods)
    assert rolled == live
    assert SlaHour.objects.count() > 2 * 2  # more than two batches were written
    summary = rollups.refresh(start=local(2026, 11, 1, 0), end=NOW, now=NOW)
    assert summary.rows == 0 and summary.hours == 0  # nothing left to roll up


def test_whole_local_days_are_summed_and_read_from_the_daily_rollup(org, world):
    """Each local day whose hours are all rolled up is also summed
    (``SlaDay``): a period reads its whole days from there and only its other
    hours (today's) from the hourly rows."""
    from django.db.models import Sum

    periods = [month(2026, 11), month(2026, 12)]
    kpi_compute_periods(actor=None, periods=periods, now=NOW)
    days = RollupDay.objects.filter(source=rollups.SLA.source.code)
    # 1 November to 4 December; today (5 December) has not ended
    assert days.count() == 34
    assert days.filter(start=local(2026, 11, 1), end=local(2026, 11, 2)).exists()
    assert days.filter(start=local(2026, 12, 4), end=local(2026, 12, 5)).exists()

    def totals(rows):
        return {
            kind: (den, missed)
            for kind, den, missed in rows.values_list("kind").annotate(
                Sum("den"), Sum("missed")
            )
        }

    before_today = SlaHour.objects.filter(hour__lt=local(2026, 12, 5))
    assert totals(SlaDay.objects.all()) == totals(before_today)
    assert 0 < SlaDay.objects.count() <= before_today.count()
    with CaptureQueriesContext(connection) as ctx:
        kpi_compute_periods(actor=None, periods=periods, now=NOW)
    reads = [q["sql"] for q in ctx.captured_queries if "GROUP BY" in q["sql"]]
    assert len([q for q in reads if "kpi_sladay" in q]) == 1
    assert len([q for q in reads if "kpi_slahour" in q]) == 1  # today's hours
    # a change to a summed day drops its sums; the next refresh sums it again
    SlaTarget.objects.filter(complaint=world[0]).update(met_at=None)
    summary = rollups.SLA.refresh(start=NOW, end=NOW, now=NOW)
    assert summary.days >= 1 and days.count() == 34
    assert totals(SlaDay.objects.all()) == totals(
        SlaHour.objects.filter(hour__lt=local(2026, 12, 5))
    )
