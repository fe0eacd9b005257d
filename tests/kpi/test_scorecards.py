"""Scorecard templates: seeded per role, weights validated to sum 100."""

from decimal import Decimal as D

import pytest

from config.errors import InvalidInput, NotPermitted
from kpi.measures import MEASURES
from kpi.models import Indicator, ScorecardLine, ScorecardTemplate
from kpi.services import scorecard_set_lines

CODES = {
    "frt_avg",
    "response_sla_rate",
    "resolution_time_avg",
    "resolution_rate",
    "sla_compliance_rate",
    "reopen_rate",
    "csat_avg",
    "csat_satisfied_rate",
    "nps",
    "revisit_on_time_rate",
    "attitude_complaints",
    "qa_score_avg",
    "training_hours_ytd",
    "assessment_pass_rate",
    # the improvement step (kpi 0005)
    "reply_4h_rate",
    "first_contact_resolution_rate",
    "revisit_satisfaction_avg",
    "revisit_problem_rate",
    "capa_on_time_rate",
    "capa_effective_rate",
    # after-sales service (kpi 0008)
    "on_time_visit_rate",
    "first_time_fix_rate",
    "repair_turnaround_avg",
    "repair_cost_avg",
    "return_exchange_rate",
    # 质检 by item (kpi 0014)
    "qa_item_pass_rate",
    "training_effectiveness",
}


@pytest.mark.django_db
def test_migration_creates_every_indicator_with_both_names():
    indicators = {i.code: i for i in Indicator.objects.all()}
    assert set(indicators) == CODES
    assert indicators["frt_avg"].name_zh == "平均首次响应时长"
    assert indicators["frt_avg"].direction == Indicator.Direction.LOWER
    assert indicators["nps"].unit == Indicator.Unit.NPS
    assert all(i.name_en and i.definition for i in indicators.values())
    assert indicators["capa_effective_rate"].name_zh == "纠正措施有效率"
    assert indicators["repair_cost_avg"].unit == Indicator.Unit.YUAN
    assert indicators["repair_turnaround_avg"].direction == Indicator.Direction.LOWER
    # every indicator has a measure, so none is computed as "no data" forever
    assert set(indicators) <= set(MEASURES)


@pytest.mark.django_db
def test_default_scorecards_weigh_100():
    templates = ScorecardTemplate.objects.prefetch_related("lines")
    assert {t.role for t in templates} >= {
        "agent",
        "complaint_handler",
        "supervisor",
        "technician",
    }
    for template in templates:
        assert sum(line.weight for line in template.lines.all()) == D(100)


@pytest.mark.django_db
def test_set_lines_refuses_weights_not_summing_to_100(org):
    template = ScorecardTemplate.objects.get(role="agent")
    before = list(template.lines.values_list("indicator__code", "weight"))
    with pytest.raises(InvalidInput) as excinfo:
        scorecard_set_lines(
            actor=org.manager_a,
            template=template,
            lines=[("frt_avg", D(60), None), ("csat_avg", D(30), None)],
        )
    assert excinfo.value.code == "weights_not_100"
    assert list(template.lines.values_list("indicator__code", "weight")) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "lines",
    [
        [("frt_avg", D(100), None), ("frt_avg", D(0), None)],  # duplicate
        [("no_such_code", D(100), None)],
        [("frt_avg", D(110), None), ("csat_avg", D(-10), None)],  # negative
    ],
)
def test_set_lines_refuses_bad_lines(org, lines):
    template = ScorecardTemplate.objects.get(role="agent")
    with pytest.raises(InvalidInput):
        scorecard_set_lines(actor=org.manager_a, template=template, lines=lines)


@pytest.mark.django_db
def test_set_lines_replaces_lines_with_targets(org):
    template = ScorecardTemplate.objects.get(role="agent")
    scorecard_set_lines(
        actor=org.manager_a,
        template=template,
        lines=[("frt_avg", D("62.5"), D(20)), ("csat_avg", D("37.5"), None)],
    )
    lines = {
        line.indicator.code: line
        for line in ScorecardLine.objects.filter(template=template).select_related(
            "indicator"
        )
    }
    assert set(lines) == {"frt_avg", "csat_avg"}
    assert lines["frt_avg"].effective_target == D(20)
    assert lines["csat_avg"].effective_target == D("4.5")  # the indicator default


@pytest.mark.django_db
def test_only_managers_change_scorecards(org):
    template = ScorecardTemplate.objects.get(role="agent")
    with pytest.raises(NotPermitted):
        scorecard_set_lines(
            actor=org.agent_a, template=template, lines=[("frt_avg", D(100), None)]
        )


@pytest.mark.django_db
def test_admin_inline_refuses_weights_not_summing_to_100(admin_client):
    template = ScorecardTemplate.objects.get(role="relations_specialist")
    lines = list(template.lines.select_related("indicator"))
    data = {
        "role": template.role,
        "name": template.name,
        "is_active": "on",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(len(lines)),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for n, line in enumerate(lines):
        data.update(
            {
                f"lines-{n}-id": str(line.pk),
                f"lines-{n}-template": str(template.pk),
                f"lines-{n}-indicator": str(line.indicator_id),
                f"lines-{n}-weight": str(line.weight + (5 if n == 0 else 0)),
                f"lines-{n}-target": "",
            }
        )
    response = admin_client.post(
        f"/admin/kpi/scorecardtemplate/{template.pk}/change/", data
    )
    assert response.status_code == 200  # the form comes back with the error
    assert "105" in response.content.decode()  # the total, in the error
    assert ScorecardLine.objects.get(pk=lines[0].pk).weight == lines[0].weight
