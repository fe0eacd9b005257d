"""The QA pass rate by item (issue 16): item scores at their pass mark ÷ item
scores, over the inspections made in the period.

Copied data, like 0002 and 0005: the migration stays what it was when written.
Not on a default scorecard (managers add it to one in the admin).
"""

from decimal import Decimal

from django.db import migrations

CODE = "qa_item_pass_rate"


def create(apps, schema_editor):
    Indicator = apps.get_model("kpi", "Indicator")
    Indicator.objects.update_or_create(
        code=CODE,
        defaults={
            "name_zh": "质检单项合格率",
            "name_en": "QA items passed",
            "unit": "percent",
            "direction": "higher",
            "default_target": Decimal("95"),
            "definition": (
                "Share of the checklist items scored in the quality inspections "
                "made in the period that reached their pass mark."
            ),
            "sort_order": 115,
        },
    )


def remove(apps, schema_editor):
    apps.get_model("kpi", "Indicator").objects.filter(code=CODE).delete()


class Migration(migrations.Migration):
    dependencies = [("kpi", "0013_inspection_scores_only")]

    operations = [migrations.RunPython(create, remove)]
