"""Reads of the training app (house style rule 4): the staff training record,
the personal training rows (enrolments, assessments, certifications,
assignments, events) and expiring certifications. Every list or lookup of the
admin, the API and the tasks starts here: a scoped selector takes the reader
(``user``) and starts from ``crm.scoping.visible_to``; one without a ``user``
is a system read (a sweep) or annotates a staff queryset the caller scoped.

``training_records`` annotates a staff queryset in one SQL statement (correlated
subqueries), so a page of records, the API and the KPI ``training_hours_ytd``
cost the same number of queries whatever the number of staff.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm import scoping
from crm.models import User
from training.models import (
    Assessment,
    Certification,
    Course,
    Enrollment,
    TrainingAssignment,
    TrainingEvent,
    TrainingRecord,
    TrainingRequirement,
    TrainingSession,
)

HOURS_FIELD = DecimalField(max_digits=7, decimal_places=1)
ZERO_HOURS = Value(Decimal("0.0"), output_field=HOURS_FIELD)
UserGroup = User.groups.through


class _SubqueryAggregate(Subquery):
    """``(SELECT AGG(v) FROM (<correlated subquery>) _agg)``: one figure per row.

    Django's ``Subquery(qs.values(k).annotate(Count(...)))`` needs a GROUP BY
    key; a bare aggregate over the filtered rows is what a per-row figure needs,
    and it is NULL-free for COUNT (0 when nothing matches).
    """

    template = "(SELECT %(aggregate)s FROM (%(subquery)s) _agg)"
    column_alias = "agg_value"

    def __init__(self, queryset, *, column, function, output_field, distinct=False):
        self.function = function
        self.distinct = distinct
        inner = queryset.order_by().values(**{self.column_alias: F(column)})
        super().__init__(inner, output_field=output_field)

    def aggregate_sql(self, connection) -> str:
        col = connection.ops.quote_name(self.column_alias)
        distinct = "DISTINCT " if self.distinct else ""
        return f"{self.function}({distinct}{col})"

    def as_sql(self, compiler, connection, template=None, **extra_context):
        extra_context["aggregate"] = self.aggregate_sql(connection)
        return super().as_sql(compiler, connection, template, **extra_context)


class _CodeList(_SubqueryAggregate):
    """Distinct values joined by commas (GROUP_CONCAT on SQLite, STRING_AGG on
    PostgreSQL); NULL when there are none."""

    def __init__(self, queryset, column):
        super().__init__(
            queryset,
            column=column,
            function="",
            output_field=CharField(),
            distinct=True,
        )

    def aggregate_sql(self, connection) -> str:
        col = connection.ops.quote_name(self.column_alias)
        if connection.vendor == "postgresql":
            return f"STRING_AGG(DISTINCT {col}, ',')"
        return f"GROUP_CONCAT(DISTINCT {col})"


def _count(queryset, column="pk", *, distinct=False):
    return _SubqueryAggregate(
        queryset,
        column=column,
        function="COUNT",
        output_field=IntegerField(),
        distinct=distinct,
    )


def _sum_hours(queryset, column):
    return Coalesce(
        _SubqueryAggregate(
            queryset, column=column, function="SUM", output_field=HOURS_FIELD
        ),
        ZERO_HOURS,
        output_field=HOURS_FIELD,
    )


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """Start and end (exclusive) of a calendar year in the portal's time zone."""
    tz = timezone.get_default_timezone()
    start = datetime.combine(date(year, 1, 1), time.min, tzinfo=tz)
    end = datetime.combine(date(year + 1, 1, 1), time.min, tzinfo=tz)
    return start, end


def current_year() -> int:
    return timezone.localdate().year


def _staff_ref(depth: int):
    """``OuterRef("pk")`` seen from a subquery ``depth`` levels below the staff
    query (1 = a direct subquery)."""
    ref = OuterRef("pk")
    for _level in range(depth - 1):
        ref = OuterRef(ref)
    return ref


def mandatory_courses_query(depth: int = 1):
    """Active courses mandatory for the staff member of the enclosing query
    (``depth`` levels up): courses flagged mandatory for one of their roles, plus
    the mandatory courses of their roles' requirements. A course may appear more
    than once (two roles): count it distinct."""
    role_names = UserGroup.objects.filter(user_id=_staff_ref(depth + 1)).values(
        "group__name"
    )
    return Course.objects.filter(is_active=True).filter(
        Q(is_mandatory=True, target_roles__user=_staff_ref(depth))
        | Q(requirements__role__in=role_names)
    )


def training_records(*, staff_qs: QuerySet, year: int) -> QuerySet:
    """``staff_qs`` annotated with the training record of ``year``.

    Annotations (all computed by the database):
    ``training_hours`` (attended hours in sessions starting in the year),
    ``required_hours`` (largest yearly requirement among the staff member's roles,
    0 when none), ``below_requirement``, ``mandatory_total``,
    ``mandatory_done`` (mandatory courses attended in the year),
    ``mandatory_missing``, ``mandatory_done_codes`` / ``mandatory_missing_codes``
    (comma-separated course codes), ``assessments_taken`` / ``assessments_passed``
    (graded results taken in the year), ``assessment_score_avg``,
    ``top_performer`` (every graded result passed, at least
    ``KEFU_TRAINING_TOP_PERFORMER_MIN_ASSESSMENTS`` of them, mean score at least
    ``KEFU_TRAINING_TOP_PERFORMER_SCORE``), ``open_assignments``,
    ``certifications_valid`` and ``next_certification_expiry``.
    """
    start, end = year_bounds(year)
    staff = OuterRef("pk")
    attended = Enrollment.objects.filter(
        staff=staff,
        status=Enrollment.Status.ATTENDED,
        session__starts_at__gte=start,
        session__starts_at__lt=end,
    )
    required = (
        TrainingRequirement.objects.filter(
            role__in=UserGroup.objects.filter(user_id=_staff_ref(2)).values(
                "group__name"
            )
        )
        .order_by("-yearly_hours")
        .values("yearly_hours")[:1]
    )
    mandatory = mandatory_courses_query(depth=1)
    attended_courses = Enrollment.objects.filter(
        staff=_staff_ref(2),
        status=Enrollment.Status.ATTENDED,
        session__starts_at__gte=start,
        session__starts_at__lt=end,
    ).values("session__course_id")
    mandatory_done = mandatory.filter(pk__in=attended_courses)
    mandatory_missing = mandatory.exclude(pk__in=attended_courses)
    graded = Assessment.objects.filter(
        staff=staff,
        passed__isnull=False,
        taken_on__gte=date(year, 1, 1),
        taken_on__lt=date(year + 1, 1, 1),
    )
    valid_certs = Certification.objects.filter(
        staff=staff, status=Certification.Status.VALID
    )
    min_taken = settings.KEFU_TRAINING_TOP_PERFORMER_MIN_ASSESSMENTS
    top_score = Decimal(str(settings.KEFU_TRAINING_TOP_PERFORMER_SCORE))

    qs = staff_qs.annotate(
        training_hours=_sum_hours(attended, "attended_hours"),
        required_hours=Coalesce(
            Subquery(required, output_field=HOURS_FIELD),
            ZERO_HOURS,
            output_field=HOURS_FIELD,
        ),
        mandatory_total=_count(mandatory, "pk", distinct=True),
        mandatory_done=_count(mandatory_done, "pk", distinct=True),
        mandatory_done_codes=_CodeList(mandatory_done, "code"),
        mandatory_missing_codes=_CodeList(mandatory_missing, "code"),
        assessments_taken=_count(graded),
        assessments_passed=_count(graded.filter(passed=True)),
        assessment_score_avg=_SubqueryAggregate(
            graded,
            column="score",
            function="AVG",
            # A float: SQLite compares a Decimal parameter as text.
            output_field=FloatField(),
        ),
        open_assignments=_count(
            TrainingAssignment.objects.filter(staff=staff, done_at__isnull=True)
        ),
        certifications_valid=_count(valid_certs),
        next_certification_expiry=Subquery(
            valid_certs.filter(expires_on__isnull=False)
            .order_by("expires_on")
            .values("expires_on")[:1]
        ),
        mandatory_missing=_count(mandatory_missing, "pk", distinct=True),
    ).annotate(
        below_requirement=Case(
            When(training_hours__lt=F("required_hours"), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        top_performer=Case(
            When(
                assessments_taken__gte=min_taken,
                assessments_passed=F("assessments_taken"),
                assessment_score_avg__gte=top_score,
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )
    return qs


def _split_codes(value) -> list[str]:
    return sorted(c for c in (value or "").split(",") if c)


def record_prefetches() -> list[Prefetch]:
    """The per-record lists (certifications, open assignments): one query each."""
    return [
        Prefetch(
            "certifications",
            queryset=Certification.objects.filter(
                status=Certification.Status.VALID
            ).order_by("expires_on", "pk"),
            to_attr="valid_certifications",
        ),
        Prefetch(
            "training_assignments",
            queryset=TrainingAssignment.objects.filter(done_at__isnull=True)
            .select_related("course")
            .order_by("due_on", "pk"),
            to_attr="open_assignment_list",
        ),
    ]


def training_record_list(
    *, user, year: int | None = None, details: bool = False
) -> QuerySet[TrainingRecord]:
    """Records ``user`` may see: own, team (supervisor), department (manager),
    all (trainer, admin); active staff only, annotated for ``year`` (default:
    the current one). ``details`` prefetches the per-record lists
    (certifications, open assignments: one query each) for readers that show
    them (the API); the admin list shows their counts only."""
    staff_qs = scoping.visible_to(
        user, TrainingRecord.objects.filter(is_active=True)
    ).select_related("team", "department")
    records = training_records(staff_qs=staff_qs, year=year or current_year())
    if details:
        records = records.prefetch_related(*record_prefetches())
    return records


def may_see_training_record(*, user, staff) -> bool:
    """Does ``user`` see ``staff``'s training record (own, team, department;
    trainers and admins all)? The staff page shows the record section then."""
    return scoping.visible_to(user, TrainingRecord.objects.filter(pk=staff.pk)).exists()


def enrollment_list(*, user) -> QuerySet[Enrollment]:
    """Enrolments ``user`` may see (own, team, department; trainers all)."""
    return scoping.visible_to(user, Enrollment.objects.all()).select_related(
        "session__course", "staff", "recorded_by"
    )


def session_attendance_sheet(*, user, session) -> QuerySet[Enrollment]:
    """The enrolments of ``session`` that ``user`` may see, by employee number:
    the trainer's attendance sheet (trainers and admins see every row)."""
    return (
        scoping.visible_to(user, Enrollment.objects.filter(session=session))
        .select_related("staff")
        .order_by("staff__employee_no", "staff__username")
    )


def assessment_list(*, user) -> QuerySet[Assessment]:
    """Assessments ``user`` may see (own, team, department; trainers all)."""
    return scoping.visible_to(user, Assessment.objects.all()).select_related(
        "staff", "course", "assessor"
    )


def certification_list(*, user) -> QuerySet[Certification]:
    """Certifications ``user`` may see (own, team, department; trainers all)."""
    return scoping.visible_to(user, Certification.objects.all()).select_related("staff")


def training_assignment_list(*, user) -> QuerySet[TrainingAssignment]:
    """Training assignments ``user`` may see (own, team, department; trainers
    all)."""
    return scoping.visible_to(user, TrainingAssignment.objects.all()).select_related(
        "staff", "course", "assigned_by"
    )


def training_event_list(*, user) -> QuerySet[TrainingEvent]:
    """The training audit trail ``user`` may read (about own, team, department
    staff; trainers all)."""
    return scoping.visible_to(user, TrainingEvent.objects.all()).select_related(
        "actor", "staff", "session__course"
    )


def training_record_for(*, staff, year: int | None = None) -> dict:
    """The training record of one staff member as a plain dict (3 queries)."""
    year = year or current_year()
    row = (
        training_records(staff_qs=User.objects.filter(pk=staff.pk), year=year)
        .select_related("team", "department")
        .prefetch_related(*record_prefetches())
        .get()
    )
    return record_as_dict(row, year=year)


def record_as_dict(row, *, year: int) -> dict:
    """A record row of ``training_records`` as a dict. Prefetch
    ``record_prefetches()`` on lists; without it each row costs two queries."""
    certifications = getattr(row, "valid_certifications", None)
    if certifications is None:
        certifications = row.certifications.filter(
            status=Certification.Status.VALID
        ).order_by("expires_on", "pk")
    assignments = getattr(row, "open_assignment_list", None)
    if assignments is None:
        assignments = (
            row.training_assignments.filter(done_at__isnull=True)
            .select_related("course")
            .order_by("due_on", "pk")
        )
    return {
        "staff_id": row.pk,
        "employee_no": row.employee_no,
        "name": row.get_full_name(),
        "team": row.team.code if row.team_id else None,
        "team_name": row.team.name if row.team_id else None,
        "department": row.department.code if row.department_id else None,
        "year": year,
        "hours": row.training_hours,
        "required_hours": row.required_hours,
        "hours_gap": max(row.required_hours - row.training_hours, Decimal("0.0")),
        "below_requirement": row.below_requirement,
        "mandatory_total": row.mandatory_total,
        "mandatory_done": _split_codes(row.mandatory_done_codes),
        "mandatory_missing": _split_codes(row.mandatory_missing_codes),
        "assessments_taken": row.assessments_taken,
        "assessments_passed": row.assessments_passed,
        "assessment_score_avg": None
        if row.assessment_score_avg is None
        else round(row.assessment_score_avg, 1),
        "top_performer": row.top_performer,
        "certifications": [
            {
                "qualification": c.qualification,
                "number": c.number,
                "issued_on": c.issued_on,
                "expires_on": c.expires_on,
                "status": c.status,
            }
            for c in certifications
        ],
        "open_assignments": [
            {
                "course": a.course.code,
                "course_title": a.course.title,
                "reason": a.reason,
                "reason_label": a.get_reason_display(),
                "due_on": a.due_on,
            }
            for a in assignments
        ],
    }


def certifications_expiring(
    *, within_days: int = 30, today: date | None = None
) -> QuerySet:
    """Valid certifications whose expiry falls within ``within_days`` from today."""
    today = today or timezone.localdate()
    return Certification.objects.filter(
        status=Certification.Status.VALID,
        expires_on__isnull=False,
        expires_on__lte=today + timedelta(days=within_days),
    ).select_related("staff")


# --- KPI sources ------------------------------------------------------------------
# Unscoped rows for the KPI snapshot (kpi.measures); readers see the results
# through crm.scoping on KpiResult.


def enrollments_attended_between(*, start, end) -> QuerySet[Enrollment]:
    """Attendances of sessions starting in [start, end) — the rule of
    ``training_records``' attended hours (``training_hours_ytd`` passes 1 January
    to the end of the period)."""
    return Enrollment.objects.filter(
        status=Enrollment.Status.ATTENDED,
        session__starts_at__gte=start,
        session__starts_at__lt=end,
    )


def assessments_graded_between(*, start: date, end: date) -> QuerySet[Assessment]:
    """Assessments taken on a day in [start, end) with a result (``passed`` is
    set when the result is recorded)."""
    return Assessment.objects.filter(
        taken_on__gte=start, taken_on__lt=end, passed__isnull=False
    )


def knowledge_tests_after_between(*, start: date, end: date) -> QuerySet[Assessment]:
    """Knowledge tests taken right after a session on a day in [start, end),
    with a score: the rows of the KPI ``training_effectiveness``, which
    averages ``knowledge_gain_expression()`` over them."""
    return assessments_graded_between(start=start, end=end).filter(
        kind=Assessment.Kind.KNOWLEDGE,
        window=Assessment.Window.IMMEDIATE,
        session__isnull=False,
        score__isnull=False,
    )


def _knowledge_tests_before() -> QuerySet[Assessment]:
    return Assessment.objects.filter(
        session=OuterRef("session"),
        staff=OuterRef("staff"),
        kind=Assessment.Kind.KNOWLEDGE,
        window=Assessment.Window.BEFORE,
        score__isnull=False,
    )


def has_knowledge_test_before() -> Exists:
    """True for a test whose staff member has a scored knowledge test before
    the same session (the pairs ``training_effectiveness`` counts)."""
    return Exists(_knowledge_tests_before())


def knowledge_gain_expression():
    """A knowledge test's ``score`` minus the same staff member's score on the
    session's test before the course; None without a scored test before."""
    before = _knowledge_tests_before().values("score")[:1]
    return ExpressionWrapper(
        F("score") - Subquery(before),
        output_field=DecimalField(max_digits=6, decimal_places=1),
    )


def yearly_hours_by_role() -> dict[str, Decimal]:
    """``{role: yearly training hours required}`` (the KPI hours target)."""
    return dict(TrainingRequirement.objects.values_list("role", "yearly_hours"))


def sessions_today(*, user) -> QuerySet[TrainingSession]:
    """Sessions ``user`` may see that start today (local date), not cancelled,
    by start time, with their course and the count of enrolments still to
    record (``to_record``): the trainer's home."""
    from django.db.models import Count

    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    return (
        scoping.visible_to(user, TrainingSession.objects.all())
        .filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=1))
        .exclude(status=TrainingSession.Status.CANCELLED)
        .select_related("course", "trainer")
        .annotate(
            to_record=Count(
                "enrollments", filter=Q(enrollments__status=Enrollment.Status.ENROLLED)
            )
        )
        .order_by("starts_at")
    )
