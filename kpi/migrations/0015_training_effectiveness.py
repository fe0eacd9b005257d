"""Training effectiveness (issue 16): the average gain, in points, of the
knowledge test right after a session over the same person's test before it.

Copied data, like 0002 and 0005: the migration stays what it was when written.
Not on a default scorecard (managers add it to one in the admin).
"""

from decimal import Decimal

from django.db import migrations

CODE = "training_effectiveness"


def create(apps, schema_editor):
    Indicator = apps.get_model("kpi", "Indicator")
    Indicator.objects.update_or_create(
        code=CODE,
        defaults={
            "name_zh": "培训效果（前后测提升）",
            "name_en": "Training effectiveness (test gain)",
            "unit": "score100",
            "direction": "higher",
            "default_target": Decimal("10"),
            "definition": (
                "Average gain in points of the knowledge test taken right after "
                "a training session over the same person's test before it; only "
                "people with both tests count."
            ),
            "sort_order": 118,
        },
    )


def remove(apps, schema_editor):
    apps.get_model("kpi", "Indicator").objects.filter(code=CODE).delete()


class Migration(migrations.Migration):
    dependencies = [("kpi", "0014_qa_item_pass_rate")]

    operations = [migrations.RunPython(create, remove)]
