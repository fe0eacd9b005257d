"""Indicators of the improvement step (issue 16): the 4-hour reply target,
first-contact resolution, revisit satisfaction and problems found, CAPA
timeliness and effectiveness.

Copied data, like 0002: the migration stays what it was when written. None of
them is on a default scorecard (managers add them to one in the admin).
"""

from decimal import Decimal

from django.db import migrations

# code, Chinese name, English name, unit, direction, default target, sort order,
# definition (the English text is the message id of its translation)
INDICATORS = [
    (
        "reply_4h_rate",
        "4小时内答复率",
        "Replied within 4 h",
        "percent",
        "higher",
        "80",
        25,
        "Share of complaints received in the period whose first reply to the "
        "customer came within 4 hours of receipt (elapsed time); a complaint not "
        "yet replied counts as a miss once 4 hours have passed.",
    ),
    (
        "first_contact_resolution_rate",
        "首问解决率",
        "First-contact resolution",
        "percent",
        "higher",
        "70",
        45,
        "Share of complaints first resolved in the period, taken by a staff "
        "member, that were resolved while still with that person: never handed "
        "to someone else, escalated or reopened.",
    ),
    (
        "revisit_satisfaction_avg",
        "回访满意度",
        "Revisit satisfaction",
        "score5",
        "higher",
        "4.5",
        105,
        "Mean satisfaction score (1–5) given on revisits done in the period.",
    ),
    (
        "revisit_problem_rate",
        "回访问题发现率",
        "Problems found on revisits",
        "percent",
        "lower",
        "5",
        106,
        "Share of revisits done in the period that reached the customer and "
        "raised a follow-up complaint.",
    ),
    (
        "capa_on_time_rate",
        "纠正措施按期完成率",
        "CAPA completed on time",
        "percent",
        "higher",
        "90",
        125,
        "Share of corrective actions due on a day of the period (already past) "
        "whose work was reported done by the due date; cancelled actions are left "
        "out.",
    ),
    (
        "capa_effective_rate",
        "纠正措施有效率",
        "CAPA effective",
        "percent",
        "higher",
        "85",
        126,
        "Share of the effectiveness checks of corrective actions recorded in the "
        "period that found the action effective.",
    ),
]


def create(apps, schema_editor):
    Indicator = apps.get_model("kpi", "Indicator")
    for code, zh, en, unit, direction, target, order, definition in INDICATORS:
        Indicator.objects.update_or_create(
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


def remove(apps, schema_editor):
    Indicator = apps.get_model("kpi", "Indicator")
    Indicator.objects.filter(code__in=[row[0] for row in INDICATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [("kpi", "0004_snapshot_fk_checks")]

    operations = [migrations.RunPython(create, remove)]
