"""KPI from daily rollups (issue 18): on every hand-built data set of the
indicator tests, the snapshots summed from the rollups are identical to the live
computation's (value, numerator, denominator, sample, target, score of every
indicator for every staff member, team and department; the scorecards) for
months, quarters and the year, at 09:00 local and at 23:30 UTC (07:30 the next
day in Shanghai); the local-date boundary places a row on its local day; the
nightly job reads older days as stored and rewrites the recent ones; a rebuild
never duplicates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from kpi.models import (
    DailyRollup,
    KpiPeriod,
    KpiResult,
    RolledDay,
    ScorecardResult,
    SubjectType,
)
from kpi.periods import period_for
from kpi.services import kpi_compute_periods
from kpi.services.compute import kpi_compute_recent_months
from kpi.services.rollups import rebuild_rollups
from tests.factories.kpi import (  # noqa: F401 - complaint_links is a fixture
    complaint_links,
    complaint_story,
    inspection,
    local,
    month,
    policy_24x7,
)
from tests.kpi import (
    test_aftersales_indicators as aftersales,
)
from tests.kpi import (
    test_improvement_indicators as improvement,
)
from tests.kpi import (
    test_qa_item_pass_rate as qa_items,
)
from tests.kpi import (
    test_revisit_and_inspection_indicators as revisits,
)
from tests.kpi.test_aftersales_indicators import world  # noqa: F401 - fixture
from tests.kpi.test_complaint_indicators import november  # noqa: F401 - fixture
from tests.kpi.test_compute_snapshot import inspections  # noqa: F401 - fixture
from tests.kpi.test_training_effectiveness import october  # noqa: F401 - fixture
from tests.kpi.test_training_indicators import training  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("complaint_links")]

NINE_LOCAL = local(2026, 12, 5, 9, 0)
LATE_UTC = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)  # 5 Dec 07:30 in Shanghai


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _boundary(org, request):
    """Rows either side of local midnight, entered at UTC instants."""
    policy_24x7()
    a, lead = org.agent_a, org.supervisor_a
    # 30 Nov 23:30 UTC is 1 Dec 07:30 local: a December complaint
    complaint_story(
        agent=a,
        lead=lead,
        received=utc(2026, 11, 30, 23, 30),
        respond=utc(2026, 11, 30, 23, 50),
        analyse=(utc(2026, 11, 30, 23, 55), utc(2026, 12, 1, 0, 10)),
        handle=utc(2026, 12, 1, 0, 20),
        reply=utc(2026, 12, 1, 1, 0),
        resolve=utc(2026, 12, 1, 2, 0),
    )
    # 31 Oct 16:30 UTC is 1 Nov 00:30 local: November; 15:59 UTC is October
    complaint_story(
        agent=a,
        lead=lead,
        received=utc(2026, 10, 31, 16, 30),
        respond=utc(2026, 10, 31, 16, 45),
    )
    complaint_story(
        agent=org.agent_b,
        lead=org.supervisor_b,
        received=utc(2026, 10, 31, 15, 59),
        respond=utc(2026, 10, 31, 16, 1),
    )
    qa = org.qa_inspector_a
    inspection(inspector=qa, staff=a, at=utc(2026, 11, 30, 23, 30), score=6)
    inspection(inspector=qa, staff=a, at=utc(2026, 11, 30, 15, 59), score=8)


DATA_SETS = {
    "complaints": lambda org, request: request.getfixturevalue("november"),
    "inspections": lambda org, request: request.getfixturevalue("inspections"),
    "training": lambda org, request: request.getfixturevalue("training"),
    "effectiveness": lambda org, request: request.getfixturevalue("october"),
    "aftersales": lambda org, request: request.getfixturevalue("world"),
    "returns": lambda org, request: (
        aftersales.test_return_exchange_rate_and_its_breakdown_by_product(
            org, request.getfixturevalue("client")
        )
    ),
    "reply_4h": lambda org, request: (
        improvement.test_reply_within_4h_counts_the_first_solution_reply_from_receipt(
            org
        )
    ),
    "revisit_outcomes": lambda org, request: (
        improvement.test_revisit_satisfaction_and_problems_found(org)
    ),
    "capa": lambda org, request: (
        improvement.test_capa_on_time_and_effective_by_local_dates(org)
    ),
    "first_contact": lambda org, request: (
        improvement.test_first_contact_resolution_is_kept_by_the_taker_to_the_end(org)
    ),
    "revisit_on_time": lambda org, request: revisits.test_revisit_on_time_rate(org),
    "inspection_totals": lambda org, request: (
        revisits.test_inspection_total_is_the_scaled_checklist_sum(org)
    ),
    "qa_items": lambda org, request: (
        qa_items.test_qa_item_pass_rate_counts_item_scores_at_their_pass_mark(org)
    ),
    "boundary": _boundary,
}


def _periods() -> list[KpiPeriod]:
    return [
        *(month(2026, m) for m in (1, 3, 10, 11, 12)),
        period_for(KpiPeriod.Kind.QUARTER, date(2026, 1, 1)),
        period_for(KpiPeriod.Kind.QUARTER, date(2026, 10, 1)),
        period_for(KpiPeriod.Kind.YEAR, date(2026, 1, 1)),
        period_for(KpiPeriod.Kind.YEAR, date(2025, 1, 1)),
    ]


def _snapshot(periods):
    results = sorted(
        KpiResult.objects.filter(period__in=periods).values_list(
            "period__key",
            "indicator__code",
            "subject_type",
            "subject_id",
            "staff_id",
            "team_id",
            "department_id",
            "value",
            "numerator",
            "denominator",
            "sample_size",
            "target",
            "score",
        )
    )
    cards = sorted(
        ScorecardResult.objects.filter(period__in=periods).values_list(
            "period__key",
            "staff_id",
            "team_id",
            "department_id",
            "template_id",
            "score",
            "weight_covered",
            "rank_in_team",
            "team_size",
        )
    )
    return results, cards


@pytest.mark.parametrize(
    "moment", [NINE_LOCAL, LATE_UTC], ids=["09h-local", "2330-utc"]
)
@pytest.mark.parametrize("data_set", list(DATA_SETS))
def test_rollups_give_the_live_figures(org, request, data_set, moment):
    DATA_SETS[data_set](org, request)
    periods = _periods()
    with time_machine.travel(moment, tick=False):
        kpi_compute_periods(actor=None, periods=periods, live=True)
        live = _snapshot(periods)
        assert any(row[7] is not None for row in live[0]), "the data set is seen"

        DailyRollup.objects.all().delete()
        RolledDay.objects.all().delete()
        # a recompute rewrites every day of the periods
        kpi_compute_periods(actor=None, periods=periods)
        assert _snapshot(periods) == live
        # month by month, from the stored days (no rebuild), the same again
        for period in periods:
            kpi_compute_periods(actor=None, periods=[period], rebuild=False)
        assert _snapshot(periods) == live
    assert DailyRollup.objects.exists()


def _staff_result(period, code, user):
    return KpiResult.objects.get(
        period=period,
        indicator__code=code,
        subject_type=SubjectType.STAFF,
        subject_id=user.pk,
    )


def test_a_row_counts_on_its_local_day(org, request):
    _boundary(org, request)
    nov, dec, oct_ = month(2026, 11), month(2026, 12), month(2026, 10)
    with time_machine.travel(LATE_UTC, tick=False):
        kpi_compute_periods(actor=None, periods=[oct_, nov, dec])
    days = set(
        DailyRollup.objects.filter(
            indicator="frt_avg", staff_id=org.agent_a.pk
        ).values_list("day", flat=True)
    )
    assert days == {date(2026, 11, 1), date(2026, 12, 1)}
    # the complaint of 30 Nov 23:30 UTC is December's, answered in 20 minutes
    frt = _staff_result(dec, "frt_avg", org.agent_a)
    assert (frt.value, frt.sample_size) == (D("20.0000"), 1)
    assert _staff_result(nov, "frt_avg", org.agent_a).sample_size == 1
    assert _staff_result(oct_, "frt_avg", org.agent_b).sample_size == 1
    # inspections: 15:59 UTC is 23:59 on 30 Nov, 23:30 UTC is 1 Dec
    assert _staff_result(nov, "qa_score_avg", org.agent_a).value == D("80.0000")
    assert _staff_result(dec, "qa_score_avg", org.agent_a).value == D("60.0000")


def test_nightly_rewrites_recent_days_and_reads_older_ones_as_stored(org):
    qa = org.qa_inspector_a
    inspection(inspector=qa, staff=org.agent_a, at=local(2026, 9, 10, 10), score=10)
    inspection(inspector=qa, staff=org.agent_a, at=local(2026, 11, 10, 10), score=5)
    year = period_for(KpiPeriod.Kind.YEAR, date(2026, 1, 1))
    with time_machine.travel(NINE_LOCAL, tick=False):
        kpi_compute_recent_months(today=date(2026, 12, 5))
        assert _staff_result(year, "qa_score_avg", org.agent_a).value == D("75.0000")
        # a late change to a November row is picked up (recent month) ...
        inspection(inspector=qa, staff=org.agent_a, at=local(2026, 11, 11), score=0)
        # ... a September one is not until September is recomputed
        inspection(inspector=qa, staff=org.agent_a, at=local(2026, 9, 11), score=0)
        kpi_compute_recent_months(today=date(2026, 12, 5))
        r = _staff_result(year, "qa_score_avg", org.agent_a)
        assert (r.numerator, r.denominator) == (D("150.0000"), D("3.0000"))
        kpi_compute_periods(actor=None, periods=[month(2026, 9)])  # a recompute
        kpi_compute_recent_months(today=date(2026, 12, 5))
        r = _staff_result(year, "qa_score_avg", org.agent_a)
        assert (r.numerator, r.denominator) == (D("150.0000"), D("4.0000"))


def test_rebuilding_twice_never_duplicates(org):
    inspection(
        inspector=org.qa_inspector_a, staff=org.agent_a, at=local(2026, 11, 3, 10)
    )
    rebuild_rollups(start=date(2026, 11, 1), end=date(2026, 12, 1), now=NINE_LOCAL)
    first = sorted(
        DailyRollup.objects.values_list(
            "day", "indicator", "staff_id", "numerator", "denominator"
        )
    )
    rebuild_rollups(start=date(2026, 11, 1), end=date(2026, 12, 1), now=NINE_LOCAL)
    again = sorted(
        DailyRollup.objects.values_list(
            "day", "indicator", "staff_id", "numerator", "denominator"
        )
    )
    assert again == first
    assert (date(2026, 11, 3), "qa_score_avg", org.agent_a.pk) in {r[:3] for r in first}
    # one coverage row per source and day
    assert RolledDay.objects.filter(source="inspections").count() == 30


def test_a_team_move_follows_the_staff_member_as_live(org):
    """Sources attributed through the staff member (``staff__team``) read the
    member's team when computed, as the live query does."""
    inspection(
        inspector=org.qa_inspector_a, staff=org.agent_a, at=local(2026, 11, 3, 10)
    )
    nov = month(2026, 11)
    kpi_compute_periods(actor=None, periods=[nov], now=NINE_LOCAL)
    org.agent_a.team = org.team_b
    org.agent_a.department = org.dept_b
    org.agent_a.save()
    kpi_compute_periods(actor=None, periods=[nov], now=NINE_LOCAL, rebuild=False)
    from_rollups = _snapshot([nov])
    kpi_compute_periods(actor=None, periods=[nov], now=NINE_LOCAL, live=True)
    assert from_rollups == _snapshot([nov])
    team_b = KpiResult.objects.get(
        period=nov,
        indicator__code="qa_score_avg",
        subject_type=SubjectType.TEAM,
        subject_id=org.team_b.pk,
    )
    assert team_b.sample_size == 1


def test_the_command_rebuilds_a_range_month_by_month(org):
    inspection(
        inspector=org.qa_inspector_a, staff=org.agent_a, at=local(2026, 10, 31, 23)
    )
    out = StringIO()
    call_command(
        "kpi_rollups", "--from", "2026-10-15", "--to", "2026-11-10", stdout=out
    )
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("2026-10: ") and lines[1].startswith("2026-11: ")
    row = DailyRollup.objects.get(indicator="qa_score_avg")
    assert (row.day, row.staff_id, row.numerator, row.denominator) == (
        date(2026, 10, 31),
        org.agent_a.pk,
        D("100.0000"),
        D("1.0000"),
    )
    days = RolledDay.objects.filter(source="inspections")
    assert days.count() == 26
    assert min(days.values_list("day", flat=True)) == date(2026, 10, 15)
    with pytest.raises(CommandError):
        call_command("kpi_rollups", "--from", "2026-11-10", "--to", "2026-11-10")


def test_a_day_rolled_before_it_was_over_is_rolled_again(org):
    """A recompute of the year rolls its future days (empty); the nightly does
    not take them as settled once they are past."""
    year = period_for(KpiPeriod.Kind.YEAR, date(2026, 1, 1))
    kpi_compute_periods(actor=None, periods=[year], now=local(2026, 6, 1, 9))
    inspection(
        inspector=org.qa_inspector_a, staff=org.agent_a, at=local(2026, 6, 20, 10)
    )
    # December's nightly: June is long out of its refresh window
    kpi_compute_periods(actor=None, periods=[year], now=NINE_LOCAL, rebuild=False)
    assert _staff_result(year, "qa_score_avg", org.agent_a).sample_size == 1
