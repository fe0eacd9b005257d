"""How each indicator of DESIGN §1 is measured: its source rows and its filters.

This module is the single definition used both by the computation
(``kpi.services.compute``: one grouped aggregate query per source) and by the
drill-down pages (the very records behind a figure), so the two cannot drift.

A *source* is a model's rows belonging to a period (e.g. complaints received in
the period) with the lookup paths that attribute a row to a staff member, a team
and a department. The rows come from the owning app's selectors
(``complaints.selectors``, ``crm.selectors``, ``training.selectors``,
``aftersales.selectors``), and the
filters name statuses and codes through those apps' constants, so a renamed
status or category code cannot silently change a figure. A *measure* turns a
source into one indicator:

* ``avg``   — value = Σ field / count(field), over the sample rows (the field
  may be an expression, e.g. the three costs of a service order added up);
* ``rate``  — value = 100 × count(sample ∧ numerator) / count(sample);
* ``count`` — value = count(sample) (0 for a subject with no rows: a true zero);
* ``nps``   — value = 100 × (promoters − detractors) / count(sample);
* ``sum``   — value = Σ field (staff); teams and departments: Σ field ÷ headcount.

Rows of rejected complaints (duplicates, spam, not a complaint) are excluded from
every complaint-based indicator; cancelled revisits from the revisit indicator;
cancelled service orders from the return/exchange rate.

The after-sales indicators (issue 17) count where the work happened: a visit
for the technician who made it, a repair for the technician sent to it, a
request for the order's owner; teams and departments are the order's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import F, Model, Q, QuerySet
from django.db.models.expressions import Combinable
from django.utils import timezone

from aftersales import selectors as aftersales_rows
from aftersales.models import Appointment, ServiceKind, ServiceOrder
from complaints import selectors as complaint_rows
from complaints.categories import ATTITUDE
from complaints.models import (
    CapaEvent,
    Complaint,
    CorrectiveAction,
    SatisfactionSurvey,
    SlaTarget,
)
from crm import selectors as crm_rows
from crm.models import Revisit
from kpi.models import InspectionScore, QualityInspection
from training import selectors as training_rows
from training.models import Assessment, Enrollment

ON_HOLD = Complaint.Status.ON_HOLD
# The service standard's target for the reply (DESIGN §1: reply ≤ 48 h after
# receipt, ≤ 4 h is the target), in elapsed time like the reply clock.
REPLY_TARGET = timedelta(hours=4)
# A CAPA whose work was reported done (an ineffective one was done, then found
# not to work: its completion still counts for "on time").
CAPA_DONE = (
    CorrectiveAction.Status.COMPLETED,
    CorrectiveAction.Status.VERIFIED,
    CorrectiveAction.Status.INEFFECTIVE,
)
# Resolved and not reopened since: the complaint is done (closed comes after
# the customer's confirmation).
RESOLVED = (Complaint.Status.RESOLVED, Complaint.Status.CLOSED)


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
    model: type[Model]  # the model of the rows
    staff: str  # lookup path of the staff member a row counts for
    team: str
    department: str
    rows: Callable[[Window], QuerySet]  # the rows of the window
    # The field whose value places a row in a period (buckets when several
    # periods are computed in one pass); "date" for DateFields.
    date_field: str = ""
    date_type: str = "datetime"
    # Year-to-date sources overlap from one period to the next: one pass each.
    cumulative: bool = False

    @property
    def label(self) -> str:
        """``"app_label.ModelName"`` of the rows (the drill-down's columns)."""
        return self.model._meta.label

    def queryset(self, window: Window) -> QuerySet:
        return self.rows(window)


@dataclass(frozen=True)
class Measure:
    code: str  # the indicator code
    source: Source
    kind: str  # avg | rate | count | nps | sum
    sample: Callable[[Window], Q] = field(default=lambda w: Q())
    numerator: Callable[[Window], Q] | None = None  # rate
    field: str | Combinable | None = None  # avg, sum
    scale: Decimal = Decimal(1)  # avg: e.g. minutes → hours
    # The drill-down also groups the sample by this (e.g. "product").
    breakdown: str = ""
    # The drill-down's ``item`` parameter narrows the rows to one group of the
    # sample (e.g. one checklist item): value → filter; ValueError when malformed.
    narrow: Callable[[str], Q] | None = None

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


def checklist_item_key(checklist_code: str, item_code: str) -> str:
    """How the drill-down names one checklist item (all its versions)."""
    return f"{checklist_code}:{item_code}"


def checklist_item_q(value: str) -> Q:
    """Item scores of the item ``checklist_item_key`` names."""
    checklist, _sep, item = value.partition(":")
    if not checklist or not item:
        raise ValueError(value)
    return Q(item__checklist__code=checklist, item__code=item)


# --- sources ------------------------------------------------------------------


def _received(w):
    return complaint_rows.complaints_received_between(start=w.start, end=w.end)


def _attributed_attitude(w):
    # Narrowed in the WHERE clause (not only in the aggregate's filter) so the
    # grouping sees the few attributed attitude complaints, not the whole month.
    return _received(w).filter(attributed_staff__isnull=False, category__code=ATTITUDE)


def _first_resolved(w):
    return complaint_rows.complaints_first_resolved_between(start=w.start, end=w.end)


def targets_due(qs, w):
    """SLA targets (of ``qs``) that fell due in the window (the denominator of
    ``sla_compliance_rate``)."""
    return complaint_rows.sla_targets_fallen_due(
        start=w.start, end=w.due_end, targets=qs
    )


def _targets_due(w):
    return targets_due(None, w)


def _surveys_answered(w):
    return complaint_rows.surveys_answered_between(start=w.start, end=w.end)


def _revisits_due(w):
    return crm_rows.revisits_due_between(start=w.start, end=w.due_end)


def _revisits_done(w):
    return crm_rows.revisits_done_between(start=w.start, end=w.end)


def _capas_due(w):
    return complaint_rows.capas_fallen_due_between(
        start=w.start_date, end=w.end_date, today=timezone.localdate(w.now)
    )


def _capa_verifications(w):
    return complaint_rows.capa_verifications_between(start=w.start, end=w.end)


def _inspections(w):
    return QualityInspection.objects.filter(
        inspected_at__gte=w.start, inspected_at__lt=w.end
    )


def _inspection_items(w):
    return InspectionScore.objects.filter(
        inspection__inspected_at__gte=w.start, inspection__inspected_at__lt=w.end
    )


def _attended_ytd(w):
    # Same rule as training.selectors.training_records: attended hours of
    # sessions starting in the year — here from 1 January to the period's end.
    return training_rows.enrollments_attended_between(start=w.year_start, end=w.end)


def _assessments_taken(w):
    # Graded results, by date taken.
    return training_rows.assessments_graded_between(start=w.start_date, end=w.end_date)


def _knowledge_tests_after(w):
    # Knowledge tests right after a session, by date taken (their gain over the
    # test before the course is the measure's field).
    return training_rows.knowledge_tests_after_between(
        start=w.start_date, end=w.end_date
    )


def _visits(w):
    return aftersales_rows.visits_checked_in_between(start=w.start, end=w.end)


def _repairs_completed(w):
    return aftersales_rows.repairs_completed_between(start=w.start, end=w.end)


def _orders_requested(w):
    return aftersales_rows.orders_requested_between(start=w.start, end=w.end)


COMPLAINTS_RECEIVED = Source(
    "complaints_received",
    Complaint,
    staff="assignee",
    team="team",
    department="department",
    rows=_received,
    date_field="received_at",
)
COMPLAINTS_ATTRIBUTED = Source(
    "complaints_attributed",
    Complaint,
    staff="attributed_staff",
    team="attributed_staff__team",
    department="attributed_staff__department",
    rows=_attributed_attitude,
    date_field="received_at",
)
COMPLAINTS_RESOLVED = Source(
    "complaints_resolved",
    Complaint,
    staff="assignee",
    team="team",
    department="department",
    rows=_first_resolved,
    date_field="first_resolved_at",
)
SLA_TARGETS_DUE = Source(
    "sla_targets_due",
    SlaTarget,
    staff="complaint__assignee",
    team="complaint__team",
    department="complaint__department",
    rows=_targets_due,
    date_field="due_at",
)
SURVEYS_ANSWERED = Source(
    "surveys_answered",
    SatisfactionSurvey,
    staff="complaint__assignee",
    team="complaint__team",
    department="complaint__department",
    rows=_surveys_answered,
    date_field="answered_at",
)
REVISITS_DUE = Source(
    "revisits_due",
    Revisit,
    staff="assignee",
    team="assignee__team",
    department="assignee__department",
    rows=_revisits_due,
    date_field="due_at",
)
REVISITS_DONE = Source(
    "revisits_done",
    Revisit,
    staff="assignee",
    team="assignee__team",
    department="assignee__department",
    rows=_revisits_done,
    date_field="done_at",
)
CAPAS_DUE = Source(
    "capas_due",
    CorrectiveAction,
    staff="owner",
    team="team",
    department="department",
    rows=_capas_due,
    date_field="due_date",
    date_type="date",
)
CAPA_VERIFICATIONS = Source(
    "capa_verifications",
    CapaEvent,
    staff="capa__owner",
    team="capa__team",
    department="capa__department",
    rows=_capa_verifications,
    date_field="created_at",
)
INSPECTIONS = Source(
    "inspections",
    QualityInspection,
    staff="staff",
    team="staff__team",
    department="staff__department",
    rows=_inspections,
    date_field="inspected_at",
)
# One row per item scored in an inspection of the period (the item of the
# checklist version used): the QA pass rate by item.
INSPECTION_ITEMS = Source(
    "inspection_items",
    InspectionScore,
    staff="inspection__staff",
    team="inspection__staff__team",
    department="inspection__staff__department",
    rows=_inspection_items,
    date_field="inspection__inspected_at",
)
TRAINING_ATTENDED = Source(
    "training_attended",
    Enrollment,
    staff="staff",
    team="staff__team",
    department="staff__department",
    rows=_attended_ytd,
    date_field="session__starts_at",
    cumulative=True,
)
ASSESSMENTS_TAKEN = Source(
    "assessments_taken",
    Assessment,
    staff="staff",
    team="staff__team",
    department="staff__department",
    rows=_assessments_taken,
    date_field="taken_on",
    date_type="date",
)
KNOWLEDGE_TESTS_AFTER = Source(
    "knowledge_tests_after",
    Assessment,
    staff="staff",
    team="staff__team",
    department="staff__department",
    rows=_knowledge_tests_after,
    date_field="taken_on",
    date_type="date",
)

VISITS = Source(
    "visits",
    Appointment,
    staff="slot__technician__user",
    team="order__team",
    department="order__department",
    rows=_visits,
    date_field="order__checked_in_at",
)
REPAIRS_COMPLETED = Source(
    "repairs_completed",
    ServiceOrder,
    staff="technician__user",
    team="team",
    department="department",
    rows=_repairs_completed,
    date_field="completed_at",
)
SERVICE_ORDERS_REQUESTED = Source(
    "service_orders_requested",
    ServiceOrder,
    staff="owner",
    team="team",
    department="department",
    rows=_orders_requested,
    date_field="created_at",
)

SOURCES = (
    COMPLAINTS_RECEIVED,
    COMPLAINTS_ATTRIBUTED,
    COMPLAINTS_RESOLVED,
    SLA_TARGETS_DUE,
    SURVEYS_ANSWERED,
    REVISITS_DUE,
    REVISITS_DONE,
    CAPAS_DUE,
    CAPA_VERIFICATIONS,
    INSPECTIONS,
    INSPECTION_ITEMS,
    TRAINING_ATTENDED,
    ASSESSMENTS_TAKEN,
    KNOWLEDGE_TESTS_AFTER,
    VISITS,
    REPAIRS_COMPLETED,
    SERVICE_ORDERS_REQUESTED,
)

# Returns and exchanges: the orders of the return/exchange rate's numerator.
RETURN_KINDS = (ServiceKind.RETURN, ServiceKind.EXCHANGE)
# A visit is on time when the check-in falls within the booked slot: on the
# slot's day and between its start and end, both read in local time (the slot
# is a local date and times; ``__date``/``__time`` convert to Asia/Shanghai).
CHECKED_IN = "order__checked_in_at"

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
                    | (Q(first_response_due_at__lt=w.now) & ~Q(status=ON_HOLD))
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
            numerator=lambda w: Q(status__in=RESOLVED, reopened_count=0),
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
                status=Revisit.Status.DONE,
                done_at__isnull=False,
                done_at__lte=F("due_at"),
            ),
        ),
        Measure(
            "reply_4h_rate",
            COMPLAINTS_RECEIVED,
            "rate",
            # replied, or still unreplied 4 h after receipt (a miss already)
            sample=lambda w: (
                Q(replied_at__isnull=False) | Q(received_at__lt=w.now - REPLY_TARGET)
            ),
            numerator=lambda w: Q(replied_at__lte=F("received_at") + REPLY_TARGET),
        ),
        Measure(
            "first_contact_resolution_rate",
            COMPLAINTS_RESOLVED,
            "rate",
            # taken by a staff member (not a partner's system or a letter)
            sample=lambda w: Q(created_by__isnull=False),
            # resolved by the first person the customer reached: still theirs,
            # never escalated, never reopened
            numerator=lambda w: Q(
                assignee=F("created_by"), escalation_level=0, reopened_count=0
            ),
        ),
        Measure(
            "revisit_satisfaction_avg",
            REVISITS_DONE,
            "avg",
            sample=lambda w: Q(satisfaction_score__isnull=False),
            field="satisfaction_score",
        ),
        Measure(
            "revisit_problem_rate",
            REVISITS_DONE,
            "rate",
            # of the customers reached, those whose revisit raised a complaint
            sample=lambda w: Q(outcome=Revisit.Outcome.REACHED),
            numerator=lambda w: Q(follow_up_complaint__isnull=False),
        ),
        Measure(
            "capa_on_time_rate",
            CAPAS_DUE,
            "rate",
            numerator=lambda w: Q(
                status__in=CAPA_DONE,
                completed_at__isnull=False,
                completed_at__date__lte=F("due_date"),
            ),
        ),
        Measure(
            "capa_effective_rate",
            CAPA_VERIFICATIONS,
            "rate",
            numerator=lambda w: Q(to_status=CorrectiveAction.Status.VERIFIED),
        ),
        Measure(
            "attitude_complaints",
            COMPLAINTS_ATTRIBUTED,
            "count",
            sample=lambda w: Q(attributed_staff__isnull=False, category__code=ATTITUDE),
        ),
        Measure("qa_score_avg", INSPECTIONS, "avg", field="total"),
        Measure(
            "qa_item_pass_rate",
            INSPECTION_ITEMS,
            "rate",
            numerator=lambda w: Q(passed=True),
            narrow=checklist_item_q,
        ),
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
        Measure(
            # Training effectiveness: the average gain in points of the
            # knowledge test right after a session over the same person's test
            # before it (pairs only: a test without one before counts neither way).
            "training_effectiveness",
            KNOWLEDGE_TESTS_AFTER,
            "avg",
            sample=lambda w: Q(training_rows.has_knowledge_test_before()),
            field=training_rows.knowledge_gain_expression(),
        ),
        Measure(
            "on_time_visit_rate",
            VISITS,
            "rate",
            numerator=lambda w: Q(
                **{
                    f"{CHECKED_IN}__date": F("slot__date"),
                    f"{CHECKED_IN}__time__gte": F("slot__start"),
                    f"{CHECKED_IN}__time__lte": F("slot__end"),
                }
            ),
        ),
        Measure(
            "first_time_fix_rate",
            REPAIRS_COMPLETED,
            "rate",
            # no flag recorded is not a first-time fix
            numerator=lambda w: Q(first_time_fix=True),
        ),
        Measure(
            "repair_turnaround_avg",
            REPAIRS_COMPLETED,
            "avg",
            sample=lambda w: Q(turnaround_minutes__isnull=False),
            field="turnaround_minutes",
            scale=Decimal(1) / Decimal(60),
        ),
        Measure(
            "repair_cost_avg",
            REPAIRS_COMPLETED,
            "avg",
            field=F("parts_cost") + F("labour_cost") + F("logistics_cost"),
        ),
        Measure(
            "return_exchange_rate",
            SERVICE_ORDERS_REQUESTED,
            "rate",
            numerator=lambda w: Q(kind__in=RETURN_KINDS),
            breakdown="product",
        ),
    )
}
