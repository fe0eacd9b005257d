"""The revisits done join the measure rollups: the triggers that mark their
days stale (kpi.RollupChange), built by migration 0018's statements over this
source's own frozen columns.

At the hourly level alone a year of revisits done hardly grouped (about one
row per revisit, bench/README scale run 7); the daily level (0019) sums a
staff member's day into one row per indicator."""

from importlib import import_module

from django.db import migrations

MEASURES = import_module("kpi.migrations.0018_measure_rollups")

ROWS = (
    # (source, table, date column, the columns the rollup reads, rejection counts)
    (
        "revisits_done",
        "crm_revisit",
        "done_at",
        (
            "done_at",
            "status",
            "outcome",
            "satisfaction_score",
            "follow_up_complaint_id",
            "assignee_id",
        ),
        False,
    ),
)
PARENTS = (
    # (source, parent table, child table, foreign key, date column, parent columns)
    (
        "revisits_done",
        "crm_user",
        "crm_revisit",
        "assignee_id",
        "done_at",
        MEASURES.STAFF,
    ),
)


def create_triggers(apps, schema_editor):
    MEASURES._run(
        schema_editor,
        MEASURES._pg_forward(ROWS, PARENTS),
        MEASURES._sqlite_forward(ROWS, PARENTS),
    )


def drop_triggers(apps, schema_editor):
    MEASURES._run(
        schema_editor,
        MEASURES._pg_backward(ROWS, PARENTS),
        MEASURES._sqlite_backward(ROWS, PARENTS),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("kpi", "0019_daily_rollups"),
        ("crm", "0013_notification_attachment"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
