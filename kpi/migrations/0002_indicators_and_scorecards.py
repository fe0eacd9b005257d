"""The indicators of DESIGN §1 "KPIs" and a default scorecard per front-line role.

The data is copied here (not imported) so that the migration stays what it was when
written; managers edit targets and weights afterwards in the admin.
"""

from decimal import Decimal

from django.db import migrations

# code, Chinese name, English name, unit, direction, default target, definition
INDICATORS = [
    (
        "frt_avg",
        "平均首次响应时长",
        "Average first response time",
        "minutes",
        "lower",
        "30",
        "Mean first response time in business minutes (received → first "
        "customer-facing contact), over complaints received in the period.",
    ),
    (
        "response_sla_rate",
        "首次响应及时率",
        "First response on time",
        "percent",
        "higher",
        "95",
        "Share of complaints received in the period whose first response met its "
        "due time; complaints not yet responded count once their due time passed.",
    ),
    (
        "resolution_time_avg",
        "平均解决时长",
        "Average resolution time",
        "hours",
        "lower",
        "48",
        "Mean business hours from received to first resolution, over complaints "
        "first resolved in the period (a reopened complaint keeps its first "
        "resolution).",
    ),
    (
        "resolution_rate",
        "投诉解决率",
        "Resolution rate",
        "percent",
        "higher",
        "90",
        "Complaints received in the period that are resolved or closed and were "
        "never reopened at computation time ÷ complaints received.",
    ),
    (
        "sla_compliance_rate",
        "SLA达标率",
        "SLA compliance",
        "percent",
        "higher",
        "95",
        "SLA targets (all kinds) met by their due time ÷ SLA targets that fell due "
        "in the period.",
    ),
    (
        "reopen_rate",
        "投诉重开率",
        "Reopen rate",
        "percent",
        "lower",
        "5",
        "Complaints first resolved in the period that have been reopened ÷ "
        "complaints first resolved in the period.",
    ),
    (
        "csat_avg",
        "平均满意度评分",
        "Average CSAT",
        "score5",
        "higher",
        "4.5",
        "Mean 1–5 satisfaction score of surveys answered in the period.",
    ),
    (
        "csat_satisfied_rate",
        "客户满意率",
        "Satisfied customers",
        "percent",
        "higher",
        "90",
        "Share of surveys answered in the period scoring 4 or 5.",
    ),
    (
        "nps",
        "净推荐值",
        "Net promoter score",
        "nps",
        "higher",
        "30",
        "% promoters (9–10) − % detractors (0–6) among surveys answered in the "
        "period with an NPS answer.",
    ),
    (
        "revisit_on_time_rate",
        "回访及时率",
        "Revisits on time",
        "percent",
        "higher",
        "95",
        "Revisits done by their due time ÷ revisits that fell due in the period "
        "(cancelled revisits excluded).",
    ),
    (
        "attitude_complaints",
        "服务态度投诉数",
        "Attitude complaints",
        "count",
        "lower",
        "0",
        "Complaints of the top-level category 'attitude' received in the period "
        "and attributed to the staff member (rejected ones excluded).",
    ),
    (
        "qa_score_avg",
        "质检平均分",
        "Average QA score",
        "score100",
        "higher",
        "90",
        "Mean quality-inspection total (0–100) of the staff member's complaints "
        "and interactions inspected in the period.",
    ),
    (
        "training_hours_ytd",
        "年度累计培训学时",
        "Training hours this year",
        "hours",
        "higher",
        "80",
        "Attended training hours from 1 January to the end of the period, against "
        "the role's yearly requirement (target).",
    ),
    (
        "assessment_pass_rate",
        "考核通过率",
        "Assessment pass rate",
        "percent",
        "higher",
        "90",
        "Assessments passed ÷ assessments taken in the period.",
    ),
]

# role: (name, [(indicator code, weight), ...]) — weights sum to 100.
SCORECARDS = {
    "agent": (
        "客服专员考核表",
        [
            ("frt_avg", 10),
            ("response_sla_rate", 15),
            ("resolution_rate", 15),
            ("sla_compliance_rate", 10),
            ("csat_avg", 10),
            ("csat_satisfied_rate", 10),
            ("attitude_complaints", 10),
            ("qa_score_avg", 10),
            ("training_hours_ytd", 5),
            ("assessment_pass_rate", 5),
        ],
    ),
    "complaint_handler": (
        "投诉处理员考核表",
        [
            ("response_sla_rate", 10),
            ("resolution_time_avg", 15),
            ("resolution_rate", 15),
            ("sla_compliance_rate", 15),
            ("reopen_rate", 10),
            ("csat_satisfied_rate", 10),
            ("nps", 5),
            ("attitude_complaints", 10),
            ("qa_score_avg", 5),
            ("training_hours_ytd", 5),
        ],
    ),
    "relations_specialist": (
        "客户关系专员考核表",
        [
            ("revisit_on_time_rate", 40),
            ("csat_avg", 15),
            ("nps", 15),
            ("attitude_complaints", 10),
            ("training_hours_ytd", 10),
            ("assessment_pass_rate", 10),
        ],
    ),
    "supervisor": (
        "主管考核表",
        [
            ("response_sla_rate", 15),
            ("resolution_rate", 15),
            ("sla_compliance_rate", 20),
            ("reopen_rate", 10),
            ("csat_satisfied_rate", 15),
            ("nps", 10),
            ("attitude_complaints", 5),
            ("training_hours_ytd", 10),
        ],
    ),
}


def create(apps, schema_editor):
    Indicator = apps.get_model("kpi", "Indicator")
    Template = apps.get_model("kpi", "ScorecardTemplate")
    Line = apps.get_model("kpi", "ScorecardLine")
    indicators = {}
    for order, (code, zh, en, unit, direction, target, definition) in enumerate(
        INDICATORS, start=1
    ):
        indicators[code], _ = Indicator.objects.update_or_create(
            code=code,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "unit": unit,
                "direction": direction,
                "default_target": Decimal(target),
                "definition": definition,
                "sort_order": order * 10,
            },
        )
    for role, (name, lines) in SCORECARDS.items():
        assert sum(weight for _code, weight in lines) == 100, role
        template, created = Template.objects.get_or_create(
            role=role, defaults={"name": name}
        )
        if not created:
            continue
        Line.objects.bulk_create(
            Line(template=template, indicator=indicators[code], weight=weight)
            for code, weight in lines
        )


class Migration(migrations.Migration):
    dependencies = [("kpi", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
