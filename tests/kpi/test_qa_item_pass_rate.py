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
