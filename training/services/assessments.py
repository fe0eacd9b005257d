"""Assessments: the 0/+1/+3-month plan and recording results.

Seed (评估周期): immediately after the course a satisfaction survey and a
knowledge test; one month later a skill test (simulated scene) and a
performance review; three months later a follow-up performance review.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import Conflict, InvalidInput, NotPermitted
from crm import scoping
from crm.models import User
from training.models import (
    Assessment,
    Course,
    Enrollment,
    TrainingAssignment,
    TrainingSession,
)
from training.services.assignments import assignment_create
from training.services.events import Kind, event

K = Assessment.Kind
W = Assessment.Window


@dataclass(frozen=True)
class PlannedAssessment:
    window: str
    months: int
    kind: str
    graded: bool


ASSESSMENT_PLAN: tuple[PlannedAssessment, ...] = (
    PlannedAssessment(W.IMMEDIATE, 0, K.SATISFACTION, graded=False),
    PlannedAssessment(W.IMMEDIATE, 0, K.KNOWLEDGE, graded=True),
    PlannedAssessment(W.ONE_MONTH, 1, K.SKILL, graded=True),
    PlannedAssessment(W.ONE_MONTH, 1, K.PERFORMANCE, graded=True),
    PlannedAssessment(W.THREE_MONTHS, 3, K.PERFORMANCE, graded=True),
)


def add_months(day: date, months: int) -> date:
    """``day`` plus calendar months, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_pass_mark() -> Decimal:
    return Decimal(str(settings.KEFU_TRAINING_PASS_MARK))


@transaction.atomic
def assessments_schedule_for_session(*, session: TrainingSession) -> int:
    """Create the planned assessments of every attendee of a completed session.

    Due dates count from the session's last day (local date): +0, +1 and +3
    calendar months. Idempotent: a (session, staff, kind, window) exists once
    (unique constraint); rows already there are left as they are. Returns the
    number of assessments created.
    """
    if session.status != TrainingSession.Status.COMPLETED:
        return 0
    base = timezone.localdate(session.ends_at)
    attendees = list(
        Enrollment.objects.filter(
            session=session, status=Enrollment.Status.ATTENDED
        ).values_list("staff_id", flat=True)
    )
    existing = set(
        Assessment.objects.filter(session=session).values_list(
            "staff_id", "kind", "window"
        )
    )
    pass_mark = default_pass_mark()
    rows = [
        Assessment(
            staff_id=staff_id,
            course_id=session.course_id,
            session=session,
            kind=plan.kind,
            window=plan.window,
            due_on=add_months(base, plan.months),
            pass_mark=pass_mark if plan.graded else None,
        )
        for staff_id in attendees
        for plan in ASSESSMENT_PLAN
        if (staff_id, plan.kind, plan.window) not in existing
    ]
    # ignore_conflicts: a concurrent completion inserted the same rows first.
    Assessment.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def knowledge_test_before_schedule(
    *, session: TrainingSession, staff_id: int
) -> Assessment:
    """The knowledge test before the course of one enrolled staff member, due on
    the session's first day (local date), created once (unique per session,
    staff, kind and window). Not graded (no pass mark): its score is the
    baseline the test after the course is compared with (KPI
    ``training_effectiveness``)."""
    assessment, _created = Assessment.objects.get_or_create(
        session=session,
        staff_id=staff_id,
        kind=K.KNOWLEDGE,
        window=W.BEFORE,
        defaults={
            "course_id": session.course_id,
            "due_on": timezone.localdate(session.starts_at),
        },
    )
    return assessment


@transaction.atomic
def assessment_schedule(
    *,
    actor: User | None,
    staff: User,
    course: Course,
    kind: str,
    due_on: date,
    session: TrainingSession | None = None,
    window: str = "",
    pass_mark: Decimal | None = None,
    notes: str = "",
) -> Assessment:
    """Schedule one assessment by hand (e.g. an extra performance review) of a
    staff member in the actor's scope."""
    scoping.require_visible(actor, staff, field="staff")
    scoping.require_visible(actor, session, field="session")
    if kind not in K.values:
        raise InvalidInput(_("Unknown assessment kind."), field="kind")
    if pass_mark is None and kind != K.SATISFACTION:
        pass_mark = default_pass_mark()
    assessment = Assessment(
        staff=staff,
        course=course,
        session=session,
        kind=kind,
        window=window,
        due_on=due_on,
        pass_mark=pass_mark,
        notes=notes,
    )
    assessment.full_clean()
    assessment.save()
    return assessment


@transaction.atomic
def assessment_record_result(
    *,
    actor: User | None,
    assessment: Assessment,
    score,
    notes: str | None = None,
    taken_on: date | None = None,
) -> Assessment:
    """Record a result: score 0–100, ``passed`` from the pass mark.

    A failed graded assessment assigns the course's remedial course (or the
    course itself) once: not again for the same assessment, and not while the
    staff member has that course open already. Recording the same score again
    changes nothing.
    """
    try:
        score = Decimal(str(score)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput(_("The score must be a number."), field="score") from None
    if not Decimal("0") <= score <= Decimal("100"):
        raise InvalidInput(_("The score must be between 0 and 100."), field="score")
    assessment = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("course", "course__remedial_course", "staff", "session")
        .get(pk=assessment.pk)
    )
    today = timezone.localdate()
    taken_on = taken_on or today
    if taken_on > today:
        raise InvalidInput(
            _("The date taken cannot be in the future."), field="taken_on"
        )
    if assessment.session_id:
        first_day = timezone.localdate(assessment.session.starts_at)
        if assessment.window == W.BEFORE:
            if taken_on > first_day:
                raise Conflict(
                    _("A test before the course is taken by the session's first day.")
                )
        elif taken_on < first_day:
            raise Conflict(_("The assessment cannot be taken before its session."))
    passed = None if assessment.pass_mark is None else score >= assessment.pass_mark
    fields = {
        "score": score,
        "passed": passed,
        "taken_on": taken_on,
        "assessor": actor,
    }
    if notes is not None:
        fields["notes"] = notes
    if (
        assessment.score == score
        and assessment.passed == passed
        and (notes is None or notes == assessment.notes)
    ):
        return assessment
    for name, value in fields.items():
        setattr(assessment, name, value)
    # Only the result fields change: validate those, not the (locked) relations.
    assessment.full_clean(
        exclude=["staff", "course", "session", "assessor"],
        validate_unique=False,
        validate_constraints=False,
    )
    assessment.save(update_fields=list(fields))
    event(
        Kind.RESULT_RECORDED,
        actor=actor,
        staff=assessment.staff,
        session=assessment.session,
        assessment=assessment,
        data={"score": str(score), "passed": passed},
    )
    if passed is False:
        _assign_remedial(actor=actor, assessment=assessment)
    return assessment


@transaction.atomic
def assessment_update(
    *, actor: User | None, assessment: Assessment, notes: str
) -> Assessment:
    """Change the notes of an assessment (its result goes through
    ``assessment_record_result``). The actor must be allowed to change the
    assessment (permission and scope). Unchanged notes write nothing."""
    if actor is not None and not scoping.can_change(actor, assessment):
        raise NotPermitted(_("You may not change this assessment."))
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.notes == notes:
        return assessment
    assessment.notes = notes
    assessment.save(update_fields=["notes"])
    event(
        Kind.ASSESSMENT_UPDATED,
        actor=actor,
        staff_id=assessment.staff_id,
        session_id=assessment.session_id,
        assessment=assessment,
        data={"fields": ["notes"]},
    )
    return assessment


def _assign_remedial(*, actor, assessment: Assessment) -> TrainingAssignment | None:
    course = assessment.course.remedial_course or assessment.course
    if not course.is_active:
        return None
    if TrainingAssignment.objects.filter(
        staff_id=assessment.staff_id, course=course, done_at__isnull=True
    ).exists():
        return None
    assignment, _created = assignment_create(
        actor=actor,
        staff=assessment.staff,
        course=course,
        reason=TrainingAssignment.Reason.FAILED_ASSESSMENT,
        note=f"{assessment.get_kind_display()} {assessment.score}/{assessment.pass_mark}",
        key=f"remedial:assessment:{assessment.pk}",
        source_assessment=assessment,
    )
    return assignment
