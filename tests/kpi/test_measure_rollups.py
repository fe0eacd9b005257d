"""The hourly rollups of the sources whose figures depend on their rows alone
(kpi.MeasureHour: complaints first resolved, surveys answered, attitude
complaints attributed, revisits due and done, and the complaints received once their
clocks have settled): a period reads
the rolled-up hours that ended and the current hour live, with results
identical to reading every row (``KPI_ROLLUPS = False``), before and after any
write the rollups depend on, by any path."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from complaints import services as cs
from complaints.models import Category, Complaint, SatisfactionSurvey
from complaints.services.clock import at
from crm.models import Revisit, User
from crm.services.revisits import revisit_complete, revisit_create
from kpi.measures import (
    COMPLAINTS_ATTRIBUTED,
    COMPLAINTS_RECEIVED,
    COMPLAINTS_RESOLVED,
    MEASURES,
    REVISITS_DONE,
    REVISITS_DUE,
    SURVEYS_ANSWERED,
)
from kpi.models import (
    KpiPeriod,
    KpiResult,
    MeasureDay,
    MeasureHour,
    RollupChange,
    RollupDay,
    RollupHour,
)
from kpi.periods import period_for
from kpi.services import kpi_compute_period, kpi_compute_periods, rollups
from tests.factories import CustomerFactory
from tests.factories.kpi import (  # noqa: F401 - complaint_links is a fixture
    complaint_links,
    complaint_story,
    local,
    month,
    policy_24x7,
)

NOW = local(2026, 12, 5, 9, 30)
SOURCES = (
    COMPLAINTS_RECEIVED,
    COMPLAINTS_RESOLVED,
    SURVEYS_ANSWERED,
    COMPLAINTS_ATTRIBUTED,
    REVISITS_DUE,
    REVISITS_DONE,
)
CODES = {m.code for m in MEASURES.values() if m.source in SOURCES}

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("complaint_links")]


@pytest.fixture
def world(org):
    """Complaints resolved and surveyed on several November and December days
    (one reopened and resolved again, one taken by a supervisor, one
    rejected after its survey), and one resolved and surveyed in the current
    hour, read live."""
    policy_24x7()
    _attitude_and_revisits(org)
    plans = (
        # (agent, received day, hour resolved, survey (csat, nps) or None)
        (org.agent_a, (11, 2), 15, (5, 10)),
        (org.agent_a, (11, 3), 16, (2, 3)),
        (org.complaint_handler_a, (11, 4), 12, (4, 8)),
        (org.agent_b, (11, 5), 11, (3, None)),
        (org.agent_a, (11, 29), 23, None),
        (org.agent_b, (12, 2), 10, (5, 9)),
        (org.agent_a, (12, 3), 17, (1, 0)),
    )
    stories = []
    for n, (agent, (m, d), hour, survey) in enumerate(plans):
        lead = org.supervisor_a if agent.team_id == org.team_a.pk else org.supervisor_b
        received = local(2026, m, d, 9)
        resolved = local(2026, m, d, hour)
        stories.append(
            complaint_story(
                agent=agent,
                lead=lead,
                received=received,
                respond=received + timedelta(minutes=20),
                analyse=(
                    received + timedelta(minutes=22),
                    received + timedelta(minutes=25),
                ),
                handle=received + timedelta(minutes=30),
                reply=received + timedelta(hours=1),
                resolve=resolved,
                reopen=resolved + timedelta(hours=2) if n == 1 else None,
                handle_again=resolved + timedelta(hours=3) if n == 1 else None,
                reply_again=resolved + timedelta(hours=4) if n == 1 else None,
                resolve_again=resolved + timedelta(hours=5) if n == 1 else None,
                survey=(resolved + timedelta(days=1), *survey) if survey else None,
            )
        )
    # in the current hour: resolved and surveyed (read live)
    stories.append(
        complaint_story(
            agent=org.agent_b,
            lead=org.supervisor_b,
            received=local(2026, 12, 5, 8),
            respond=local(2026, 12, 5, 8, 10),
            analyse=(local(2026, 12, 5, 8, 12), local(2026, 12, 5, 8, 15)),
            handle=local(2026, 12, 5, 8, 20),
            reply=local(2026, 12, 5, 8, 30),
            resolve=local(2026, 12, 5, 9, 5),
            survey=(local(2026, 12, 5, 9, 20), 4, 7),
        )
    )
    return stories


def _attitude_and_revisits(org):
    """Attitude complaints attributed to agents; revisits due and done on
    November and December days (on time, late, missed, cancelled), one due in
    the current hour (read live) and one not due yet."""
    for agent, lead, received in (
        (org.agent_a, org.supervisor_a, local(2026, 11, 6, 10)),
        (org.agent_a, org.supervisor_a, local(2026, 12, 3, 11)),
        (org.agent_b, org.supervisor_b, local(2026, 11, 18, 15)),
    ):
        complaint_story(
            agent=agent,
            lead=lead,
            received=received,
            category="attitude",
            attributed_staff=agent,
        )
    rs = org.relations_specialist_a
    customer = CustomerFactory(department=org.dept_a)
    for due, done, score in (
        (local(2026, 11, 10, 10), local(2026, 11, 10, 9), 5),  # on time
        (local(2026, 11, 11, 10), local(2026, 11, 12, 10), 2),  # a day late
        (local(2026, 11, 12, 10), None, None),  # missed
        (local(2026, 11, 13, 10), None, None),  # cancelled below
        (local(2026, 12, 2, 10), local(2026, 12, 2, 9), 4),
        (local(2026, 12, 5, 9, 10), None, None),  # current hour: live
        (local(2026, 12, 20, 10), None, None),  # not due yet
    ):
        revisit = revisit_create(
            actor=rs, customer=customer, purpose="satisfaction", due_at=due, assignee=rs
        )
        if done:
            revisit_complete(
                actor=rs,
                revisit=revisit,
                outcome="reached",
                satisfaction_score=score,
                done_at=done,
            )
    Revisit.objects.filter(due_at=local(2026, 11, 13, 10)).update(
        status=Revisit.Status.CANCELLED
    )


def _figures(periods, codes=CODES):
    return {
        (r.period_id, r.indicator.code, r.subject_type, r.subject_id): (
            r.value,
            r.numerator,
            r.denominator,
            r.sample_size,
        )
        for r in KpiResult.objects.filter(period__in=periods)
        .filter(**({} if codes is None else {"indicator__code__in": codes}))
        .select_related("indicator")
    }


def _rolled_and_live(periods, now=NOW, codes=CODES):
    """(figures read from the rollups, figures read from every row)."""
    kpi_compute_periods(actor=None, periods=periods, now=now)
    rolled = _figures(periods, codes)
    with override_settings(KPI_ROLLUPS=False):
        kpi_compute_periods(actor=None, periods=periods, now=now)
    return rolled, _figures(periods, codes)


def test_rolled_up_figures_equal_the_live_reading(org, world):
    periods = [month(2026, 11), month(2026, 12)]
    rolled, live = _rolled_and_live(periods, codes=None)
    assert rolled == live
    # real figures, not empty ones
    nov = periods[0].pk
    assert rolled[(nov, "csat_avg", "staff", org.agent_a.pk)][3] == 2
    assert rolled[(nov, "reopen_rate", "staff", org.agent_a.pk)][1:] == (1, 3, 3)
    assert rolled[(nov, "nps", "team", org.team_a.pk)][3] == 3
    assert rolled[(nov, "resolution_time_avg", "department", org.dept_a.pk)][0]
    assert rolled[(nov, "attitude_complaints", "staff", org.agent_a.pk)][0] == 1
    rs = org.relations_specialist_a.pk
    assert rolled[(nov, "revisit_on_time_rate", "staff", rs)][1:] == (1, 3, 3)
    assert rolled[(nov, "revisit_satisfaction_avg", "staff", rs)][3] == 2
    dec = periods[1].pk
    # the revisit due in the current hour is read live: December has two
    assert rolled[(dec, "revisit_on_time_rate", "staff", rs)][1:] == (1, 2, 2)
    # every hour that ended is rolled up for each source; the current one is
    # read live (the complaints received: those of the last 4 hours too)
    received = RollupHour.objects.filter(source=COMPLAINTS_RECEIVED.code)
    assert received.filter(hour=local(2026, 12, 5, 4)).exists()
    assert not received.filter(hour__gte=local(2026, 12, 5, 5)).exists()
    for source in SOURCES[1:]:
        hours = set(
            RollupHour.objects.filter(source=source.code).values_list("hour", flat=True)
        )
        assert local(2026, 11, 1, 0) in hours and local(2026, 12, 5, 8) in hours
        assert local(2026, 12, 5, 9) not in hours
        assert len(hours) == (NOW - local(2026, 11, 1, 0)) // timedelta(hours=1)
        assert MeasureHour.objects.filter(source=source.code).exists()
    # a group of rows holds every measure of its source, zeros included
    for staff, sources in (
        (
            org.agent_a,
            {
                COMPLAINTS_RECEIVED,
                COMPLAINTS_RESOLVED,
                SURVEYS_ANSWERED,
                COMPLAINTS_ATTRIBUTED,
            },
        ),
        (org.relations_specialist_a, {REVISITS_DUE, REVISITS_DONE}),
    ):
        held = {
            (row.source, row.code)
            for row in MeasureHour.objects.filter(staff_id=staff.pk)
        }
        assert held >= {
            (m.source.code, m.code) for m in MEASURES.values() if m.source in sources
        }
    assert not RollupChange.objects.exists()  # the refresh consumed the marks


def _reassign(org, stories):
    with at(local(2026, 12, 5, 8)):
        cs.complaint_assign(
            actor=org.supervisor_a,
            complaint=Complaint.objects.get(pk=stories[0].pk),
            assignee=org.complaint_handler_a,
        )


def _reject_by_update(org, stories):
    Complaint.objects.filter(pk=stories[2].pk).update(status=Complaint.Status.REJECTED)


def _move_team_by_update(org, stories):
    Complaint.objects.filter(pk=stories[3].pk).update(
        team=org.team_a, department=org.dept_a
    )


def _reopened_by_update(org, stories):
    Complaint.objects.filter(pk=stories[0].pk).update(reopened_count=1)


def _escalated_by_update(org, stories):
    Complaint.objects.filter(pk=stories[5].pk).update(escalation_level=1)


def _taken_by_someone_else(org, stories):
    Complaint.objects.filter(pk=stories[6].pk).update(created_by=org.supervisor_a)


def _resolution_time(org, stories):
    Complaint.objects.filter(pk=stories[3].pk).update(resolution_minutes=1)


def _resolved_moved(org, stories):
    """First resolved on another day (the row leaves its day)."""
    Complaint.objects.filter(pk=stories[4].pk).update(
        first_resolved_at=local(2026, 12, 4, 11)  # November → December
    )


def _csat_changed(org, stories):
    SatisfactionSurvey.objects.filter(complaint=stories[0]).update(csat=1, nps=2)


def _answer_moved(org, stories):
    survey = SatisfactionSurvey.objects.get(complaint=stories[3])
    survey.answered_at = local(2026, 12, 1, 10)
    survey.save(update_fields=["answered_at"])


def _survey_deleted(org, stories):
    SatisfactionSurvey.objects.filter(complaint=stories[1]).delete()


def _complaint_deleted(org, stories):
    stories[2].delete()


def _new_survey(org, stories):
    SatisfactionSurvey.objects.create(
        complaint=stories[4],
        customer=stories[4].customer,
        cycle=9,
        csat=2,
        nps=5,
        answered_at=local(2026, 11, 30, 9),
        created_at=local(2026, 11, 30, 9),
    )


def _agent_moved_team(org, stories):
    """Attitude complaints count for the staff member's current team."""
    User.objects.filter(pk=org.agent_a.pk).update(
        team=org.team_b, department=org.dept_b
    )


def _specialist_moved_team(org, stories):
    user = User.objects.get(pk=org.relations_specialist_a.pk)
    user.team = org.team_b
    user.save(update_fields=["team"])


def _attributed_to_someone_else(org, stories):
    Complaint.objects.filter(attributed_staff=org.agent_b).update(
        attributed_staff=org.complaint_handler_a
    )


def _category_changed(org, stories):
    Complaint.objects.filter(attributed_staff=org.agent_b).update(
        category=Category.objects.get(code="service_quality")
    )


def _category_code_changed(org, stories):
    Category.objects.filter(code="attitude").update(code="manner")


def _revisit_done_in_time(org, stories):
    Revisit.objects.filter(due_at=local(2026, 11, 12, 10)).update(
        status=Revisit.Status.DONE,
        outcome=Revisit.Outcome.REACHED,
        done_at=local(2026, 11, 12, 9),
        satisfaction_score=3,
    )


def _revisit_uncancelled(org, stories):
    Revisit.objects.filter(due_at=local(2026, 11, 13, 10)).update(
        status=Revisit.Status.PLANNED
    )


def _revisit_due_moved(org, stories):
    Revisit.objects.filter(due_at=local(2026, 11, 12, 10)).update(
        due_at=local(2026, 12, 1, 10)
    )


def _revisit_deleted(org, stories):
    Revisit.objects.filter(due_at=local(2026, 11, 11, 10)).delete()


def _revisit_score_changed(org, stories):
    Revisit.objects.filter(due_at=local(2026, 11, 10, 10)).update(satisfaction_score=1)


def _revisit_not_reached(org, stories):
    Revisit.objects.filter(due_at=local(2026, 12, 2, 10)).update(
        outcome=Revisit.Outcome.NOT_REACHED
    )


def _revisit_raised_a_complaint(org, stories):
    Revisit.objects.filter(due_at=local(2026, 11, 11, 10)).update(
        follow_up_complaint=stories[0]
    )


def _revisit_done_moved(org, stories):
    """Done on another day: the row leaves November for December."""
    revisit = Revisit.objects.get(due_at=local(2026, 11, 11, 10))
    revisit.done_at = local(2026, 12, 1, 10)
    revisit.save(update_fields=["done_at"])


def _revisit_completed_through_the_service(org, stories):
    revisit = Revisit.objects.get(due_at=local(2026, 11, 12, 10))
    revisit_complete(
        actor=org.relations_specialist_a,
        revisit=revisit,
        outcome="reached",
        satisfaction_score=1,
        done_at=local(2026, 11, 14, 16),
    )


def _revisit_given_to_someone_else(org, stories):
    Revisit.objects.filter(due_at=local(2026, 11, 10, 10)).update(assignee=org.agent_a)


def _new_resolved_complaint(org, stories):
    complaint_story(
        agent=org.agent_a,
        lead=org.supervisor_a,
        received=local(2026, 11, 20, 9),
        respond=local(2026, 11, 20, 9, 30),
        analyse=(local(2026, 11, 20, 9, 32), local(2026, 11, 20, 9, 35)),
        handle=local(2026, 11, 20, 9, 40),
        reply=local(2026, 11, 20, 10),
        resolve=local(2026, 11, 20, 18),
    )


@pytest.mark.parametrize(
    "change",
    [
        _reassign,
        _reject_by_update,
        _move_team_by_update,
        _reopened_by_update,
        _escalated_by_update,
        _taken_by_someone_else,
        _resolution_time,
        _resolved_moved,
        _csat_changed,
        _answer_moved,
        _survey_deleted,
        _complaint_deleted,
        _new_survey,
        _new_resolved_complaint,
        _agent_moved_team,
        _specialist_moved_team,
        _attributed_to_someone_else,
        _category_changed,
        _category_code_changed,
        _revisit_done_in_time,
        _revisit_uncancelled,
        _revisit_due_moved,
        _revisit_deleted,
        _revisit_score_changed,
        _revisit_not_reached,
        _revisit_raised_a_complaint,
        _revisit_done_moved,
        _revisit_completed_through_the_service,
        _revisit_given_to_someone_else,
    ],
)
def test_a_change_to_a_rolled_up_hour_is_seen(org, world, change):
    periods = [month(2026, 11), month(2026, 12)]
    kpi_compute_periods(actor=None, periods=periods, now=NOW)
    before = _figures(periods)
    assert not RollupChange.objects.exists()

    change(org, world)

    assert RollupChange.objects.exists()  # a trigger marked the day
    rolled, live = _rolled_and_live(periods)
    assert rolled == live
    assert rolled != before  # the change moved a figure
    assert not RollupChange.objects.exists()


def test_writes_the_rollups_do_not_read_mark_nothing(org, world):
    kpi_compute_period(actor=None, period=month(2026, 11), now=NOW)
    assert not RollupChange.objects.exists()
    complaint = world[0]
    Complaint.objects.filter(pk=complaint.pk).update(
        sla_breached=True, subject="快件延误", analysis_due_at=NOW
    )
    SatisfactionSurvey.objects.filter(complaint=complaint).update(comment="很好")
    Revisit.objects.update(notes="已回访", feedback="满意", reminded_at=NOW)
    assert not RollupChange.objects.exists()
    # a status change counts for the complaints received only (resolution
    # rate, on hold), not for the resolved ones unless rejected
    Complaint.objects.filter(pk=complaint.pk).update(status=Complaint.Status.CLOSED)
    assert set(RollupChange.objects.values_list("source", flat=True)) == {
        COMPLAINTS_RECEIVED.code
    }
    # a complaint without a survey changes hands: no survey mark
    fresh = complaint_story(
        agent=org.agent_a, lead=org.supervisor_a, received=local(2026, 12, 5, 8)
    )
    RollupChange.objects.all().delete()
    Complaint.objects.filter(pk=fresh.pk).update(assignee=org.complaint_handler_a)
    assert set(RollupChange.objects.values_list("source", flat=True)) == {
        COMPLAINTS_RECEIVED.code
    }


def test_a_change_marks_only_its_days(org, world):
    kpi_compute_period(actor=None, period=month(2026, 11), now=NOW)
    Complaint.objects.filter(pk=world[3].pk).update(reopened_count=2)
    summary = rollups.MEASURE_ROLLUPS[COMPLAINTS_RESOLVED.code].refresh(
        start=NOW, end=NOW, now=NOW
    )
    # one UTC day's rolled-up hours recomputed, nothing else
    assert summary.marks == 1 and summary.stale == 24
    assert summary.hours == summary.stale
    other = rollups.MEASURE_ROLLUPS[SURVEYS_ANSWERED.code].refresh(
        start=NOW, end=NOW, now=NOW
    )
    assert other.hours == 0 and other.marks == 0


def test_a_row_at_2330_utc_belongs_to_the_next_local_day(org, world):
    """23:30 UTC on 30 November is 07:30 on 1 December in Shanghai: the
    survey counts in December, and its mark (UTC date 30 November) refreshes
    that UTC day's hours."""
    answered = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    survey = SatisfactionSurvey.objects.get(complaint=world[3])
    survey.answered_at = answered
    survey.save(update_fields=["answered_at"])
    periods = [month(2026, 11), month(2026, 12)]
    rolled, live = _rolled_and_live(periods)
    assert rolled == live
    assert MeasureHour.objects.filter(
        source=SURVEYS_ANSWERED.code, hour=datetime(2026, 11, 30, 23, tzinfo=UTC)
    ).exists()
    december = rolled[(periods[1].pk, "csat_avg", "staff", org.agent_b.pk)]
    assert december[3] == 3  # 2 December's, the current hour's and this one
    SatisfactionSurvey.objects.filter(pk=survey.pk).update(csat=1)
    rolled, live = _rolled_and_live(periods)
    assert rolled == live


def test_a_year_reads_only_the_current_hours_rows(org, world):
    year = period_for(KpiPeriod.Kind.YEAR, date(2026, 12, 1))
    kpi_compute_period(actor=None, period=year, now=NOW)
    with CaptureQueriesContext(connection) as ctx:
        kpi_compute_period(actor=None, period=year, now=NOW)
    grouped = [q["sql"] for q in ctx.captured_queries if "GROUP BY" in q["sql"]]
    surveys = [sql for sql in grouped if "complaints_satisfactionsurvey" in sql]
    resolved = [
        sql
        for sql in grouped
        if "first_resolved_at" in sql and "complaints_satisfactionsurvey" not in sql
    ]
    # one grouped read of each source's current hour (live), none of the
    # rolled-up hours
    assert len(surveys) == 1, surveys
    assert len(resolved) == 1, resolved
    received = [sql for sql in grouped if "first_response_minutes" in sql]
    assert len(received) == 1, received


def test_turned_off_the_rollups_are_neither_read_nor_written(org, world):
    with override_settings(KPI_ROLLUPS=False):
        kpi_compute_period(actor=None, period=month(2026, 11), now=NOW)
        assert rollups.refresh(start=local(2026, 11, 1), end=NOW, now=NOW).hours == 0
    assert not RollupHour.objects.exists() and not MeasureHour.objects.exists()


def test_rollups_written_in_small_batches_equal_the_live_reading(
    org, world, monkeypatch
):
    """The refresh streams its rows and writes them batch by batch: a batch of
    2 rows must lose or repeat none."""
    monkeypatch.setattr(rollups, "CHUNK", 2)
    periods = [month(2026, 11), month(2026, 12)]
    rolled, live = _rolled_and_live(periods)
    assert rolled == live
    assert MeasureHour.objects.count() > 2 * 2  # more than two batches
    summary = rollups.refresh(start=local(2026, 11, 1, 0), end=NOW, now=NOW)
    assert summary.rows == 0 and summary.hours == 0  # nothing left to roll up


def test_a_period_in_a_half_hour_time_zone_is_read_live(org, world):
    """India (UTC+5:30): a local month does not start on a UTC hour, so it is
    read live, and the figures are still those of every row."""
    with override_settings(TIME_ZONE="Asia/Kolkata"):
        periods = [month(2026, 11)]
        rolled, live = _rolled_and_live(periods)
    assert rolled == live and rolled


def _unreplied(org, received):
    return complaint_story(agent=org.agent_a, lead=org.supervisor_a, received=received)


def test_a_received_complaint_is_rolled_up_once_its_clocks_have_settled(org, world):
    """Unreplied 4 hours after receipt, or unanswered past its response due
    time, a complaint becomes a miss without any write: its hour is read live
    until then, and rolled up after."""
    periods = [month(2026, 12)]
    complaint = _unreplied(org, local(2026, 12, 5, 6, 10))
    rolled, live = _rolled_and_live(periods)
    assert rolled == live
    # 6:10 is within the last 4 hours at 9:30: read live
    received = RollupHour.objects.filter(source=COMPLAINTS_RECEIVED.code)
    assert not received.filter(hour__gte=local(2026, 12, 5, 5)).exists()
    reply = (periods[0].pk, "reply_4h_rate", "staff", org.agent_a.pk)
    # three hours later it is a miss, and its hour is rolled up
    later = NOW + timedelta(hours=3)
    rolled_later, live_later = _rolled_and_live(periods, now=later)
    assert rolled_later == live_later
    assert received.filter(hour=local(2026, 12, 5, 6)).exists()
    assert rolled_later[reply][3] == rolled[reply][3] + 1
    assert complaint.first_response_at is None


def test_a_complaint_whose_response_is_due_again_is_read_live_until_due(org, world):
    """A complaint resumed from hold gets its response due time moved into the
    future: its hour, rolled up before, is forgotten and read live until the
    new due time has passed, then rolled up again."""
    periods = [month(2026, 11), month(2026, 12)]
    kpi_compute_periods(actor=None, periods=periods, now=NOW)
    received = RollupHour.objects.filter(source=COMPLAINTS_RECEIVED.code)
    old = _unreplied(org, local(2026, 11, 20, 9))
    Complaint.objects.filter(pk=old.pk).update(
        first_response_due_at=NOW + timedelta(hours=2)
    )
    rolled, live = _rolled_and_live(periods)
    assert rolled == live
    # no rolled-up hour from that complaint's on, no summed day from its day on
    assert not received.filter(hour__gte=local(2026, 11, 20, 9)).exists()
    assert received.filter(hour=local(2026, 11, 20, 8)).exists()
    days = RollupDay.objects.filter(source=COMPLAINTS_RECEIVED.code)
    assert days.filter(start=local(2026, 11, 19)).exists()
    assert not days.filter(end__gt=local(2026, 11, 20)).exists()
    assert not MeasureDay.objects.filter(
        source=COMPLAINTS_RECEIVED.code, day__gte=local(2026, 11, 20)
    ).exists()
    response = (periods[0].pk, "response_sla_rate", "staff", org.agent_a.pk)
    # past the new due time: a miss, rolled up again
    later = NOW + timedelta(hours=3)
    rolled_later, live_later = _rolled_and_live(periods, now=later)
    assert rolled_later == live_later
    assert received.filter(hour=local(2026, 11, 20, 9)).exists()
    assert rolled_later[response][3] == rolled[response][3] + 1
    # and its days are summed again, up to the last whole one
    assert days.filter(start=local(2026, 12, 4), end=local(2026, 12, 5)).exists()
    assert days.count() == 34
