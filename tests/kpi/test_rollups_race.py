"""Two concurrent rebuilds of the same days on PostgreSQL (the days'
``RolledDay`` rows are created and locked first): both finish and exactly one
set of rollup rows remains. Skipped on SQLite (it serialises writers anyway)."""

from collections import Counter
from datetime import date

import pytest
from django.db import connection

from kpi.models import DailyRollup, RolledDay
from kpi.services.rollups import rebuild_rollups
from tests.complaints.test_concurrency import run_together
from tests.factories.kpi import inspection, local

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL"
    ),
]


def test_two_concurrent_rebuilds_leave_one_set_of_rows(org):
    for day in (3, 4, 20):
        inspection(
            inspector=org.qa_inspector_a, staff=org.agent_a, at=local(2026, 11, day)
        )
    now = local(2026, 12, 5, 9)

    results = run_together(
        lambda i: rebuild_rollups(
            start=date(2026, 11, 1), end=date(2026, 12, 1), now=now
        ),
        2,
    )

    assert all(isinstance(r, dict) for r in results), results
    keys = Counter(
        DailyRollup.objects.values_list("day", "indicator", "staff_id", "team_id")
    )
    assert keys and max(keys.values()) == 1
    assert (
        DailyRollup.objects.filter(indicator="qa_score_avg").count() == 3
    )  # one row per inspected day
    assert RolledDay.objects.filter(source="inspections").count() == 30
