"""Indicators of after-sales service (issue 17): on-time visits, first-time
fix, repair turnaround, repair cost per order, return/exchange rate — and the
after-sales engineer's scorecard.

Copied data, like 0002 and 0005: the migration stays what it was when written.
Only the technician's scorecard uses them (a supervisor's or manager's own
figures would be empty: they neither visit nor repair); supervisors and
managers read them for their team and department on the KPI pages, and add
them to a scorecard in the admin if they wish.
"""

from decimal import Decimal

from django.db import migrations, models

# code, Chinese name, English name, unit, direction, default target, sort order,
# definition (the English text is the message id of its translation)
INDICATORS = [
    (
        "on_time_visit_rate",
        "上门准时率",
        "On-time visits",
        "percent",
        "higher",
        "95",
        140,
        "Share of the visits made in the period (the technician checked in) "
        "whose check-in fell within the booked slot: on its day, between its "
        "start and end, local time.",
    ),
    (
        "first_time_fix_rate",
        "一次修复率",
        "First-time fix",
        "percent",
        "higher",
        "85",
        141,
        "Share of the repair orders completed in the period that were fixed on "
        "the first visit (first-time-fix flag set); an order without the flag "
        "counts as not fixed the first time.",
    ),
    (
        "repair_turnaround_avg",
        "平均维修周期",
        "Repair turnaround",
        "hours",
        "lower",
        "72",
        142,
        "Mean elapsed hours from the request to completion of the repair orders "
        "completed in the period.",
    ),
    (
        "repair_cost_avg",
        "单均维修成本",
        "Repair cost per order",
        "yuan",
        "lower",
        "200",
        143,
        "Parts, labour and logistics costs of the repair orders completed in the "
        "period, divided by the number of those orders.",
    ),
    (
        "return_exchange_rate",
        "退换货率",
        "Return/exchange rate",
        "percent",
        "lower",
        "30",
        144,
        "Share of the service orders requested in the period (cancelled ones "
        "left out) that are returns or exchanges; the records page breaks it "
        "down by product.",
    ),
]

SCORECARDS = {
    "technician": (
        "售后工程师考核表",
        [
            ("on_time_visit_rate", 35),
            ("first_time_fix_rate", 40),
            ("repair_turnaround_avg", 25),
        ],
    ),
}


def create(apps, schema_editor):
    Indicator = apps.get_model("kpi", "Indicator")
    Template = apps.get_model("kpi", "ScorecardTemplate")
    Line = apps.get_model("kpi", "ScorecardLine")
    indicators = {}
    for code, zh, en, unit, direction, target, order, definition in INDICATORS:
        indicators[code], _ = Indicator.objects.update_or_create(
            code=code,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "unit": unit,
                "direction": direction,
                "default_target": Decimal(target),
                "definition": definition,
                "sort_order": order,
            },
        )
    for role, (name, lines) in SCORECARDS.items():
        assert sum(weight for _code, weight in lines) == 100, role
        template, created = Template.objects.get_or_create(
            role=role, defaults={"name": name}
        )
        if not created:
            continue  # a template edited by hand stays as it is
        Line.objects.bulk_create(
            Line(template=template, indicator=indicators[code], weight=weight)
            for code, weight in lines
        )


def remove(apps, schema_editor):
    Template = apps.get_model("kpi", "ScorecardTemplate")
    Indicator = apps.get_model("kpi", "Indicator")
    Template.objects.filter(role__in=list(SCORECARDS)).delete()
    Indicator.objects.filter(code__in=[row[0] for row in INDICATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kpi", "0008_dashboardsnapshot"),
    ]

    operations = [
        migrations.AlterField(
            model_name="indicator",
            name="unit",
            field=models.CharField(
                choices=[
                    ("minutes", "business minutes"),
                    ("hours", "hours"),
                    ("percent", "percent"),
                    ("score5", "score (1–5)"),
                    ("score100", "score (0–100)"),
                    ("nps", "NPS points"),
                    ("count", "count"),
                    ("yuan", "yuan"),
                ],
                max_length=16,
                verbose_name="unit",
            ),
        ),
        migrations.RunPython(create, remove),
    ]
