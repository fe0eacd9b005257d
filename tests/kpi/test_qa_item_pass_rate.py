"""The QA pass rate by item (issue 16) on a hand-built data set, exact: item
scores at their pass mark ÷ item scores of the inspections made in the period,
per staff member and rolled up to the team; the drill-down lists the item rows."""

from decimal import Decimal as D

import pytest

from kpi import selectors
from kpi.models import InspectionScore, KpiResult, SubjectType
from kpi.services import kpi_compute_period
from kpi.services.checklists import checklist_active
from kpi.services.inspections import inspection_record
from tests.factories import UserFactory
from tests.factories.kpi import inspection, local, month

pytestmark = pytest.mark.django_db


def figures(period, subject_type, subject_id):
    r = KpiResult.objects.get(
        period=period,
        indicator__code="qa_item_pass_rate",
        subject_type=subject_type,
        subject_id=subject_id,
    )
    return (r.numerator, r.denominator, r.value)


def test_qa_item_pass_rate_counts_item_scores_at_their_pass_mark(org):
    agent_c = UserFactory(username="agent_c", team=org.team_a, roles=["agent"])
    qa = org.qa_inspector_a
    # agent_a, call checklist (6 items, pass at 6 of 10): 6 + 4 passed
    inspection(inspector=qa, staff=org.agent_a, at=local(2026, 11, 3), score=9)
    inspection(
        inspector=qa,
        staff=org.agent_a,
        at=local(2026, 11, 4),
        score=8,
        tone=5,
        listening=3,
    )
    # agent_c, on site (4 items; 服装整洁度 94 < 95, 环境 85 = 85): 3 of 4
    inspection_record(
        actor=qa,
        checklist=checklist_active(kind="onsite"),
        staff=agent_c,
        scores={"attire": 94, "appearance": 92, "environment": 85, "conduct": 90},
        inspected_at=local(2026, 11, 10),
    )
    # October and December: other periods
    inspection(inspector=qa, staff=agent_c, at=local(2026, 10, 31, 23), score=2)
    inspection(inspector=qa, staff=agent_c, at=local(2026, 12, 1, 0, 1), score=2)

    period = month(2026, 11)
    kpi_compute_period(actor=None, period=period, now=local(2026, 12, 2))

    assert figures(period, SubjectType.STAFF, org.agent_a.pk) == (10, 12, D("83.3333"))
    assert figures(period, SubjectType.STAFF, agent_c.pk) == (3, 4, D("75"))
    assert figures(period, SubjectType.TEAM, org.team_a.pk) == (13, 16, D("81.25"))
    # The drill-down lists the 16 item rows behind the team figure
    assert InspectionScore.objects.count() == 6 * 4 + 4
    result, _measure, rows = selectors.drill_records(
        org.manager_a,
        code="qa_item_pass_rate",
        period=period,
        subject=f"team:{org.team_a.pk}",
        part="denominator",
    )
    assert (result.numerator, rows.count()) == (13, 16)
    _result, _measure, passed = selectors.drill_records(
        org.manager_a,
        code="qa_item_pass_rate",
        period=period,
        subject=f"staff:{agent_c.pk}",
        part="numerator",
    )
    assert sorted(passed.values_list("item__code", flat=True)) == [
        "appearance",
        "conduct",
        "environment",
    ]


def test_dashboard_shows_the_pass_rate_of_each_item_from_the_snapshot(
    client, org, django_assert_num_queries
):
    """The dashboard's per-item table: each checklist item's checks and passes
    of the scope and period, from the snapshot (adding up to the indicator),
    each linking to the drill-down narrowed to that item's scores."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kpi.selectors import Scope

    # Given team A's November inspections: agent_a twice on the call checklist
    # (tone and listening fail once), agent_c once on site (服装整洁度 fails)
    agent_c = UserFactory(username="agent_c", team=org.team_a, roles=["agent"])
    qa = org.qa_inspector_a
    inspection(inspector=qa, staff=org.agent_a, at=local(2026, 11, 3), score=9)
    inspection(
        inspector=qa,
        staff=org.agent_a,
        at=local(2026, 11, 4),
        score=8,
        tone=5,
        listening=3,
    )
    inspection_record(
        actor=qa,
        checklist=checklist_active(kind="onsite"),
        staff=agent_c,
        scores={"attire": 94, "appearance": 92, "environment": 85, "conduct": 90},
        inspected_at=local(2026, 11, 10),
    )
    inspection(inspector=qa, staff=agent_c, at=local(2026, 10, 31, 23), score=2)
    period = month(2026, 11)

    # When November is computed
    kpi_compute_period(actor=None, period=period, now=local(2026, 12, 2))

    # Then the team's snapshot holds each item's checks and passes
    figures = selectors.dashboard_figures(
        period, Scope(SubjectType.TEAM, org.team_a.pk, "")
    )
    items = [
        (r["label"], r["checks"], r["passed"], r["rate"]) for r in figures.qa_items
    ]
    assert items == [  # checklist by checklist, in each checklist's order
        ("礼貌用语", 2, 2, D(100)),
        ("表达清晰", 2, 2, D(100)),
        ("语气语调", 2, 1, D(50)),
        ("倾听", 2, 1, D(50)),
        ("信息准确", 2, 2, D(100)),
        ("合规", 2, 2, D(100)),
        ("服装整洁度", 1, 0, D(0)),
        ("服务人员形象（三净一亮）", 1, 1, D(100)),
        ("服务现场环境", 1, 1, D(100)),
        ("仪态与行为规范", 1, 1, D(100)),
    ]
    assert {r["checklist"] for r in figures.qa_items} == {
        "热线电话质检评分表",
        "服务现场形象与环境检查表",
    }
    numerator, denominator, _value = figures_of(period, org.team_a.pk)
    assert sum(row[1] for row in items) == denominator == 16
    assert sum(row[2] for row in items) == numerator == 13

    # And the page shows the table, read from the snapshot only
    client.force_login(org.manager_a)
    url = f"/kpi/?period=2026-11&scope=team:{org.team_a.pk}"
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    assert "质检单项合格率" in html and "服装整洁度" in html
    assert not any("kpi_inspectionscore" in q["sql"] for q in queries)
    assert len(queries.captured_queries) == DASHBOARD_QUERIES
    with django_assert_num_queries(DASHBOARD_QUERIES):
        client.get(url)

    # And an item's link lists that item's scores only
    tone = figures.qa_items[2]
    page = client.get(tone["url"])
    assert page.status_code == 200
    assert page.content.decode().count("<tr>") == 1 + 2  # header + two scores
    assert tone["label"] in page.content.decode()
    malformed = tone["url"].replace("item=call%3Atone", "item=tone")
    assert client.get(malformed).status_code == 404


# The dashboard of a computed period (session, user, periods, indicators,
# trend, results, scorecards, snapshot, …): the table adds none.
DASHBOARD_QUERIES = 15


def figures_of(period, team_id):
    return figures(period, SubjectType.TEAM, team_id)
