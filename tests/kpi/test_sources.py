"""The KPI sources read other apps' rows through those apps' selectors, so a
figure and the app that owns its rows cannot disagree on what counts."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from complaints import selectors as complaint_rows
from crm import selectors as crm_rows
from kpi import measures
from training import selectors as training_rows

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
WINDOW = measures.Window(
    start=datetime(2026, 10, 1, tzinfo=TZ),
    end=datetime(2026, 11, 1, tzinfo=TZ),
    now=datetime(2026, 10, 20, tzinfo=TZ),  # mid-period: due_end is now
    year_start=datetime(2026, 1, 1, tzinfo=TZ),
    start_date=date(2026, 10, 1),
    end_date=date(2026, 11, 1),
)
W = WINDOW


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            measures.COMPLAINTS_RECEIVED,
            complaint_rows.complaints_received_between(start=W.start, end=W.end),
        ),
        (
            measures.COMPLAINTS_RESOLVED,
            complaint_rows.complaints_first_resolved_between(start=W.start, end=W.end),
        ),
        (
            measures.SLA_TARGETS_DUE,
            complaint_rows.sla_targets_fallen_due(start=W.start, end=W.now),
        ),
        (
            measures.SURVEYS_ANSWERED,
            complaint_rows.surveys_answered_between(start=W.start, end=W.end),
        ),
        (
            measures.REVISITS_DUE,
            crm_rows.revisits_due_between(start=W.start, end=W.now),
        ),
        (
            measures.TRAINING_ATTENDED,
            training_rows.enrollments_attended_between(start=W.year_start, end=W.end),
        ),
        (
            measures.ASSESSMENTS_TAKEN,
            training_rows.assessments_graded_between(
                start=W.start_date, end=W.end_date
            ),
        ),
    ],
    ids=lambda value: getattr(value, "code", ""),
)
def test_a_source_is_its_apps_selector(source, expected):
    rows = source.queryset(WINDOW)
    assert rows.model is expected.model is source.model
    assert str(rows.query) == str(expected.query)


def test_rejected_complaints_and_cancelled_revisits_count_for_nothing():
    sql = str(measures.COMPLAINTS_RECEIVED.queryset(WINDOW).query)
    assert "rejected" in sql
    assert "cancelled" in str(measures.REVISITS_DUE.queryset(WINDOW).query)


def test_the_attitude_source_names_the_category_by_its_constant():
    from complaints.categories import ATTITUDE

    sql = str(measures.COMPLAINTS_ATTRIBUTED.queryset(WINDOW).query)
    assert f"= {ATTITUDE}" in sql
    assert measures.MEASURES["attitude_complaints"].source.label == (
        "complaints.Complaint"
    )
