"""Complaint, SLA and survey indicators on a hand-built November 2026.

Every complaint is played through the real complaints services at fixed instants
under a 24×7 policy (business minutes = minutes; first response 30 min, analysis
2 h, reply and resolution 48 h, confirmation 24 h). Computed on 5 December.

agent_a's complaints (team A):
  c1  2 Nov 10:00, response 10:20, analysed, replied, resolved 3 Nov 10:00 (1440 min),
      survey CSAT 5 / NPS 10. Targets: 4 met + confirmation missed.
  c2  5 Nov 10:00, response 11:00 (late, 60 min), resolved 6 Nov 12:00 (1560 min),
      reopened 7 Nov, resolved again 8 Nov; survey CSAT 2 / NPS 3.
      Targets: FR missed, analysis/reply/resolution ×2 met, confirmation 1
      cancelled by the reopen (not counted), confirmation 2 missed → 4/6.
  c3  10 Nov 10:00, never touched: FR, analysis, reply, resolution missed → 0/4.
  c4  20 Nov 10:00, response 10:10, on hold 10:20–12:20 (clocks pause 2 h), then
      analysis, reply and resolution each met only thanks to the pause; resolved
      22 Nov 11:30 (2970 min) → 4 met + confirmation missed.
  c5  28 Nov 10:00, response 10:05, on hold since 10:10 and still waiting: its
      paused clocks have not fallen due → FR 1/1.
  c7  4 Nov, rejected: excluded everywhere.
handler_a: c8 15 Nov, attitude complaint attributed to agent_a, untouched.
agent_b (team B): c6 3 Nov 10:00, response 10:15.
October: c9 (agent_a, attitude, attributed to agent_a) — outside the period.
"""

from decimal import Decimal as D

import pytest

from kpi.models import KpiResult, SubjectType
from kpi.services import kpi_compute_period
from tests.factories.kpi import (  # noqa: F401 - complaint_links is a fixture
    complaint_links,
    complaint_story,
    local,
    month,
    policy_24x7,
)

pytest.importorskip("complaints.services")
pytestmark = pytest.mark.usefixtures("complaint_links")

NOW = local(2026, 12, 5, 9, 0)


@pytest.fixture
def november(org):
    policy_24x7()
    a, lead = org.agent_a, org.supervisor_a

    def day(d, h, m=0):
        return local(2026, 11, d, h, m)

    c = {}
    c[1] = complaint_story(
        agent=a,
        lead=lead,
        received=day(2, 10),
        respond=day(2, 10, 20),
        analyse=(day(2, 10, 30), day(2, 11)),
        handle=day(2, 11, 10),
        reply=day(3, 9),
        resolve=day(3, 10),
        survey=(day(3, 12), 5, 10),
    )
    c[2] = complaint_story(
        agent=a,
        lead=lead,
        received=day(5, 10),
        respond=day(5, 11),
        analyse=(day(5, 11, 10), day(5, 11, 20)),
        handle=day(5, 11, 30),
        reply=day(6, 10),
        resolve=day(6, 12),
        reopen=day(7, 9),
        handle_again=day(7, 10),
        reply_again=day(8, 10),
        resolve_again=day(8, 12),
        survey=(day(8, 13), 2, 3),
    )
    c[3] = complaint_story(agent=a, lead=lead, received=day(10, 10))
    c[4] = complaint_story(
        agent=a,
        lead=lead,
        received=day(20, 10),
        respond=day(20, 10, 10),
        hold=(day(20, 10, 20), day(20, 12, 20)),
        analyse=(day(20, 12, 30), day(20, 13, 30)),
        handle=day(20, 13, 40),
        reply=day(22, 11),
        resolve=day(22, 11, 30),
    )
    c[5] = complaint_story(
        agent=a,
        lead=lead,
        received=day(28, 10),
        respond=day(28, 10, 5),
        hold=(day(28, 10, 10), None),
    )
    c[6] = complaint_story(
        agent=org.agent_b,
        lead=org.supervisor_b,
        received=day(3, 10),
        respond=day(3, 10, 15),
    )
    c[7] = complaint_story(
        agent=a, lead=lead, received=day(4, 10), reject=day(4, 10, 5)
    )
    c[8] = complaint_story(
        agent=a,
        lead=lead,
        assignee=org.complaint_handler_a,
        received=day(15, 10),
        category="attitude",
        attributed_staff=a,
    )
    c[9] = complaint_story(
        agent=a,
        lead=lead,
        received=local(2026, 10, 20, 10),
        respond=local(2026, 10, 20, 10, 10),
        category="attitude",
        attributed_staff=a,
    )
    period = month(2026, 11)
    kpi_compute_period(actor=None, period=period, now=NOW)
    return org, period, c


def value(period, code, subject_type, subject_id):
    return KpiResult.objects.get(
        period=period,
        indicator__code=code,
        subject_type=subject_type,
        subject_id=subject_id,
    )


def staff(period, code, user):
    return value(period, code, SubjectType.STAFF, user.pk)


@pytest.mark.django_db
def test_story_data_is_what_the_docstring_says(november):
    org, _period, c = november
    assert [c[i].first_response_minutes for i in (1, 2, 4, 5)] == [20, 60, 10, 5]
    assert [c[i].resolution_minutes for i in (1, 2, 4)] == [1440, 1560, 2970]
    assert c[2].reopened_count == 1 and c[2].status == "resolved"
    assert c[5].status == "on_hold" and c[7].status == "rejected"
    assert c[1].assignee_id == org.agent_a.pk and c[1].team_id == org.team_a.pk


@pytest.mark.django_db
def test_frt_avg(november):
    org, period, _c = november
    r = staff(period, "frt_avg", org.agent_a)
    # (20 + 60 + 10 + 5) / 4; c3 has no response yet, c7 is rejected
    assert r.value == D("23.7500")
    assert (r.numerator, r.denominator, r.sample_size) == (D(95), D(4), 4)
    assert staff(period, "frt_avg", org.agent_b).value == D("15.0000")


@pytest.mark.django_db
def test_response_sla_rate_counts_overdue_unanswered_as_missed(november):
    org, period, _c = november
    r = staff(period, "response_sla_rate", org.agent_a)
    assert (r.numerator, r.denominator) == (D(3), D(5))  # c1, c4, c5 of c1–c5
    assert r.value == D("60.0000")
    # team A adds c8 (handler_a, unanswered, overdue): 3 / 6 — from the rows
    team = value(period, "response_sla_rate", SubjectType.TEAM, org.team_a.pk)
    assert (team.numerator, team.denominator, team.value) == (D(3), D(6), D("50.0000"))
    dept = value(period, "response_sla_rate", SubjectType.DEPARTMENT, org.dept_a.pk)
    assert dept.value == D("50.0000")


@pytest.mark.django_db
def test_resolution_time_avg_keeps_the_first_resolution(november):
    org, period, _c = november
    r = staff(period, "resolution_time_avg", org.agent_a)
    # (1440 + 1560 + 2970) / 3 minutes = 1990 min = 33.1667 h
    assert r.value == D("33.1667")
    assert r.sample_size == 3


@pytest.mark.django_db
def test_resolution_rate_excludes_reopened(november):
    org, period, _c = november
    r = staff(period, "resolution_rate", org.agent_a)
    # resolved and never reopened: c1, c4 of c1–c5
    assert (r.numerator, r.denominator, r.value) == (D(2), D(5), D("40.0000"))


@pytest.mark.django_db
def test_reopen_rate(november):
    org, period, _c = november
    r = staff(period, "reopen_rate", org.agent_a)
    assert (r.numerator, r.denominator) == (D(1), D(3))
    assert r.value == D("33.3333")
    assert staff(period, "reopen_rate", org.agent_b).value is None  # nothing resolved


@pytest.mark.django_db
def test_sla_compliance_rate_with_reopen_and_on_hold(november):
    org, period, _c = november
    r = staff(period, "sla_compliance_rate", org.agent_a)
    # c1 4/5, c2 4/6, c3 0/4, c4 4/5 (pause moved the due times), c5 1/1
    assert (r.numerator, r.denominator) == (D(13), D(21))
    assert r.value == D("61.9048")


@pytest.mark.django_db
def test_survey_indicators(november):
    org, period, _c = november
    assert staff(period, "csat_avg", org.agent_a).value == D("3.5000")
    satisfied = staff(period, "csat_satisfied_rate", org.agent_a)
    assert (satisfied.numerator, satisfied.denominator) == (D(1), D(2))
    nps = staff(period, "nps", org.agent_a)
    assert nps.value == D("0.0000")  # one promoter, one detractor
    assert nps.sample_size == 2
    # no survey answered → null, not 0
    assert staff(period, "csat_avg", org.agent_b).value is None
    assert staff(period, "nps", org.agent_b).value is None


@pytest.mark.django_db
def test_attitude_complaints_count_the_attributed_staff(november):
    org, period, _c = november
    assert staff(period, "attitude_complaints", org.agent_a).value == D(1)
    assert staff(period, "attitude_complaints", org.complaint_handler_a).value == D(0)
    team = value(period, "attitude_complaints", SubjectType.TEAM, org.team_a.pk)
    assert team.value == D(1)
    r = staff(period, "attitude_complaints", org.agent_a)
    assert r.score == D("0.00")  # target 0, lower is better


@pytest.mark.django_db
def test_drill_down_lists_the_denominator_of_response_sla_rate(client, november):
    org, period, c = november
    client.force_login(org.manager_a)
    base = (
        f"/kpi/drill/response_sla_rate/?period={period.key}"
        f"&subject=staff:{org.agent_a.pk}"
    )
    html = client.get(base).content.decode()
    shown = {c[i].reference for i in c if c[i].reference in html}
    assert shown == {c[i].reference for i in (1, 2, 3, 4, 5)}
    html = client.get(base + "&part=numerator").content.decode()
    assert {c[i].reference for i in c if c[i].reference in html} == {
        c[i].reference for i in (1, 4, 5)
    }


@pytest.mark.django_db
def test_every_figure_matches_its_drill_down(client, november):
    """The drill-down count equals each result's sample size (same filters)."""
    from kpi.selectors import drill_records

    org, period, _c = november
    results = KpiResult.objects.filter(period=period, sample_size__gt=0).select_related(
        "indicator"
    )
    assert results.count() > 10
    for result in results:
        _r, measure, records = drill_records(
            org.admin,
            code=result.indicator.code,
            period=period,
            subject=f"{result.subject_type}:{result.subject_id}",
            part="denominator",
        )
        if measure.kind in ("count",):
            assert records.count() == result.value
        elif measure.kind == "sum":
            continue
        else:
            assert records.count() == result.sample_size, result.indicator.code


@pytest.mark.django_db
def test_one_pass_over_many_months_gives_the_same_results(november):
    """Computing months together (one query per source, bucketed by period)
    stores exactly what computing each month alone stores."""
    from kpi.services import kpi_compute_periods

    _org, november_period, _c = november
    october = month(2026, 10)
    kpi_compute_period(actor=None, period=october, now=NOW)

    def snapshot():
        return sorted(
            KpiResult.objects.filter(period__in=[october, november_period]).values_list(
                "period_id",
                "indicator_id",
                "subject_type",
                "subject_id",
                "value",
                "numerator",
                "denominator",
                "sample_size",
                "score",
            )
        )

    alone = snapshot()
    kpi_compute_periods(actor=None, periods=[october, november_period], now=NOW)
    assert snapshot() == alone
    assert any(row[4] is not None for row in alone if row[0] == october.pk)


@pytest.mark.django_db
def test_every_drill_down_page_renders(client, november):
    org, period, _c = november
    client.force_login(org.admin)
    seen = set()
    for result in KpiResult.objects.filter(period=period).select_related("indicator"):
        if result.indicator.code in seen or not result.sample_size:
            continue
        seen.add(result.indicator.code)
        for part in ("denominator", "numerator"):
            response = client.get(
                f"/kpi/drill/{result.indicator.code}/",
                {
                    "period": period.key,
                    "subject": f"{result.subject_type}:{result.subject_id}",
                    "part": part,
                },
            )
            assert response.status_code == 200, result.indicator.code
    assert len(seen) >= 8


@pytest.mark.django_db
def test_drill_down_query_count_does_not_grow_with_records(
    client, november, django_assert_max_num_queries
):
    org, period, _c = november
    client.force_login(org.admin)
    url = f"/kpi/drill/sla_compliance_rate/?period={period.key}&subject=team:{org.team_a.pk}"
    small = f"/kpi/drill/sla_compliance_rate/?period={period.key}&subject=team:{org.team_b.pk}"
    client.get(small)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(small)  # one complaint's targets
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(url).content.decode()  # team A: 21 + c8's 4 targets
    assert html.count("<tr>") - 1 == 25
