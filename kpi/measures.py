"""How each indicator of DESIGN §1 is measured: its source rows and its filters.

This module is the single definition used both by the computation
(``kpi.services.compute``: one grouped aggregate query per source) and by the
drill-down pages (the very records behind a figure), so the two cannot drift.

A *source* is a model's rows belonging to a period (e.g. complaints received in
the period) with the lookup paths that attribute a row to a staff member, a team
and a department. A *measure* turns a source into one indicator:

* ``avg``   — value = Σ field / count(field), over the sample rows;
* ``rate``  — value = 100 × count(sample ∧ numerator) / count(sample);
* ``count`` — value = count(sample) (0 for a subject with no rows: a true zero);
* ``nps``   — value = 100 × (promoters − detractors) / count(sample);
* ``sum``   — value = Σ field (staff); teams and departments: Σ field ÷ headcount.

Rows of rejected complaints (duplicates, spam, not a complaint) are excluded from
every complaint-based indicator; cancelled revisits from the revisit indicator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.apps import apps
from django.db.models import F, Q, QuerySet

REJECTED = "rejected"


@dataclass(frozen=True)
class Window:
    """The period being measured and the moment of measurement."""

    start: datetime
    end: datetime
    now: datetime
    year_start: datetime  # 1 January of the period's year (year-to-date measures)
    start_date: date | None = None  # the period as local dates (date fields)
    end_date: date | None = None

    @property
    def due_end(self) -> datetime:
        """Things "fall due in the period" only once their due time has passed."""
        return min(self.end, self.now)


@dataclass(frozen=True)
class Source:
    code: str
    model: str  # "app_label.ModelName"
    staff: str  # lookup path of the staff member a row counts for
    team: str
    department: str
    rows: Callable[[QuerySet, Window], QuerySet]
    # The field whose value places a row in a period (buckets when several
    # periods are computed in one pass); "date" for DateFields.
    date_field: str = ""
    date_type: str = "datetime"
    # Year-to-date sources overlap from one period to the next: one pass each.
    cumulative: bool = False

    def model_class(self):
        """The model, or None while its app has not been built yet."""
        try:
            return apps.get_model(self.model)
        except LookupError:
            return None

    def queryset(self, window: Window) -> QuerySet:
        model = self.model_class()
        return self.rows(model._default_manager.all(), window)


@dataclass(frozen=True)
class Measure:
    code: str  # the indicator code
    source: Source
    kind: str  # avg | rate | count | nps | sum
    sample: Callable[[Window], Q] = field(default=lambda w: Q())
    numerator: Callable[[Window], Q] | None = None  # rate
    field: str | None = None  # avg, sum
    scale: Decimal = Decimal(1)  # avg: e.g. minutes → hours

    def sample_q(self, window: Window) -> Q:
        return self.sample(window)

    def numerator_q(self, window: Window) -> Q:
        """The rows counted in the numerator (drill-down "numerator" list)."""
        base = self.sample(window)
        if self.kind == "rate" and self.numerator is not None:
            return base & self.numerator(window)
        if self.kind == "nps":
            return base & Q(nps__gte=9)
        return base


# --- sources ------------------------------------------------------------------


def _received(qs, w):
    return qs.filter(received_at__gte=w.start, received_at__lt=w.end).exclude(
        status=REJECTED
    )


def _attributed_attitude(qs, w):
    # Narrowed in the WHERE clause (not only in the aggregate's filter) so the
    # grouping sees the few attributed attitude complaints, not the whole month.
    return _received(qs, w).filter(
        attributed_staff__isnull=False, category__code="attitude"
    )


def _first_resolved(qs, w):
    return qs.filter(
        first_resolved_at__gte=w.start, first_resolved_at__lt=w.end
    ).exclude(status=REJECTED)


def targets_due(qs, w):
    # Cancelled clocks (rejected/closed complaint, superseded confirmation after a
    # reopen) count neither way; a clock paused on hold and not yet met has not
    # fallen due (its due time moves when the complaint resumes).
    return (
        qs.filter(due_at__gte=w.start, due_at__lt=w.due_end, cancelled_at__isnull=True)
        .filter(Q(met_at__isnull=False) | Q(paused_at__isnull=True))
        .exclude(complaint__status=REJECTED)
    )


def _surveys_answered(qs, w):
    return qs.filter(answered_at__gte=w.start, answered_at__lt=w.end)


def _revisits_due(qs, w):
    return qs.filter(due_at__gte=w.start, due_at__lt=w.due_end).exclude(
        status="cancelled"
    )


def _inspections(qs, w):
    return qs.filter(inspected_at__gte=w.start, inspected_at__lt=w.end)


def _attended_ytd(qs, w):
    # Same rule as training.selectors.training_records: attended hours of
    # sessions starting in the year — here from 1 January to the period's end.
    return qs.filter(
        status="attended",
        session__starts_at__gte=w.year_start,
        session__starts_at__lt=w.end,
    )


def _assessments_taken(qs, w):
    # Graded results (passed is set when the result is recorded), by date taken.
    return qs.filter(
        taken_on__gte=w.start_date, taken_on__lt=w.end_date, passed__isnull=False
    )


COMPLAINTS_RECEIVED = Source(
    "complaints_received",
    "complaints.Complaint",
    staff="assignee",
    team="team",
    department="department",
    rows=_received,
    date_field="received_at",
)
COMPLAINTS_ATTRIBUTED = Source(
    "complaints_attributed",
    "complaints.Complaint",
    staff="attributed_staff",
    team="attributed_staff__team",
    department="attributed_staff__department",
    rows=_attributed_attitude,
    date_field="received_at",
)
COMPLAINTS_RESOLVED = Source(
    "complaints_resolved",
    "complaints.Complaint",
    staff="assignee",
    team="team",
    department="department",
    rows=_first_resolved,
    date_field="first_resolved_at",
)
SLA_TARGETS_DUE = Source(
    "sla_targets_due",
    "complaints.SlaTarget",
    staff="complaint__assignee",
    team="complaint__team",
    department="complaint__department",
    rows=targets_due,
    date_field="due_at",
)
SURVEYS_ANSWERED = Source(
    "surveys_answered",
    "complaints.SatisfactionSurvey",
    staff="complaint__assignee",
    team="complaint__team",
    department="complaint__department",
    rows=_surveys_answered,
    date_field="answered_at",
)
REVISITS_DUE = Source(
    "revisits_due",
    "crm.Revisit",
    staff="assignee",
    team="assignee__team",
    department="assignee__department",
    rows=_revisits_due,
    date_field="due_at",
)
INSPECTIONS = Source(
    "inspections",
    "kpi.QualityInspection",
    staff="staff",
    team="staff__team",
    department="staff__department",
    rows=_inspections,
    date_field="inspected_at",
)
TRAINING_ATTENDED = Source(
    "training_attended",
    "training.Enrollment",
    staff="staff",
    team="staff__team",
    department="staff__department",
    rows=_attended_ytd,
    date_field="session__starts_at",
    cumulative=True,
)
ASSESSMENTS_TAKEN = Source(
    "assessments_taken",
    "training.Assessment",
    staff="staff",
    team="staff__team",
    department="staff__department",
    rows=_assessments_taken,
    date_field="taken_on",
    date_type="date",
)

SOURCES = (
    COMPLAINTS_RECEIVED,
    COMPLAINTS_ATTRIBUTED,
    COMPLAINTS_RESOLVED,
    SLA_TARGETS_DUE,
    SURVEYS_ANSWERED,
    REVISITS_DUE,
    INSPECTIONS,
    TRAINING_ATTENDED,
    ASSESSMENTS_TAKEN,
)

# --- measures -------------------------------------------------------------------

MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        Measure(
            "frt_avg",
            COMPLAINTS_RECEIVED,
            "avg",
            sample=lambda w: Q(first_response_minutes__isnull=False),
            field="first_response_minutes",
        ),
        Measure(
            "response_sla_rate",
            COMPLAINTS_RECEIVED,
            "rate",
            # responded, or still unanswered past its due time (a miss) — unless
            # on hold, where the clock is paused and the due time will move
            sample=lambda w: (
                Q(first_response_due_at__isnull=False)
                & (
                    Q(first_response_at__isnull=False)
                    | (Q(first_response_due_at__lt=w.now) & ~Q(status="on_hold"))
                )
            ),
            numerator=lambda w: Q(first_response_at__lte=F("first_response_due_at")),
        ),
        Measure(
            "resolution_time_avg",
            COMPLAINTS_RESOLVED,
            "avg",
            sample=lambda w: Q(resolution_minutes__isnull=False),
            field="resolution_minutes",
            scale=Decimal(1) / Decimal(60),
        ),
        Measure(
            "resolution_rate",
            COMPLAINTS_RECEIVED,
            "rate",
            numerator=lambda w: Q(status__in=("resolved", "closed"), reopened_count=0),
        ),
        Measure(
            "sla_compliance_rate",
            SLA_TARGETS_DUE,
            "rate",
            numerator=lambda w: Q(met_at__isnull=False, met_at__lte=F("due_at")),
        ),
        Measure(
            "reopen_rate",
            COMPLAINTS_RESOLVED,
            "rate",
            numerator=lambda w: Q(reopened_count__gt=0),
        ),
        Measure(
            "csat_avg",
            SURVEYS_ANSWERED,
            "avg",
            sample=lambda w: Q(csat__isnull=False),
            field="csat",
        ),
        Measure(
            "csat_satisfied_rate",
            SURVEYS_ANSWERED,
            "rate",
            sample=lambda w: Q(csat__isnull=False),
            numerator=lambda w: Q(csat__gte=4),
        ),
        Measure(
            "nps",
            SURVEYS_ANSWERED,
            "nps",
            sample=lambda w: Q(nps__isnull=False),
        ),
        Measure(
            "revisit_on_time_rate",
            REVISITS_DUE,
            "rate",
            numerator=lambda w: Q(
                status="done", done_at__isnull=False, done_at__lte=F("due_at")
            ),
        ),
        Measure(
            "attitude_complaints",
            COMPLAINTS_ATTRIBUTED,
            "count",
            sample=lambda w: Q(
                attributed_staff__isnull=False, category__code="attitude"
            ),
        ),
        Measure("qa_score_avg", INSPECTIONS, "avg", field="total"),
        Measure(
            "training_hours_ytd",
            TRAINING_ATTENDED,
            "sum",
            field="attended_hours",
        ),
        Measure(
            "assessment_pass_rate",
            ASSESSMENTS_TAKEN,
            "rate",
            numerator=lambda w: Q(passed=True),
        ),
    )
}
