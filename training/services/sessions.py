"""Sessions and attendance: enrol, record attendance in bulk, complete, cancel."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from config.errors import Conflict, IllegalTransition, InvalidInput
from crm import scoping
from crm.models import User
from training.models import (
    Enrollment,
    TrainingAssignment,
    TrainingEvent,
    TrainingSession,
)
from training.services.assessments import (
    assessments_schedule_for_session,
    knowledge_test_before_schedule,
)
from training.services.events import Kind, event, events

S = TrainingSession.Status
E = Enrollment.Status
# Statuses that hold a seat.
SEATED = (E.ENROLLED, E.ATTENDED)


@dataclass(frozen=True)
class AttendanceEntry:
    """One line of a bulk attendance sheet. ``hours=None`` means the course's hours
    for an attendee, 0 otherwise."""

    staff_id: int
    status: str
    hours: Decimal | None = None


def _lock_session(session: TrainingSession) -> TrainingSession:
    return (
        TrainingSession.objects.select_for_update(of=("self",))
        .select_related("course")
        .get(pk=session.pk)
    )


@transaction.atomic
def enrollment_create(
    *, actor: User | None, session: TrainingSession, staff: User
) -> tuple[Enrollment, bool]:
    """Enrol ``staff`` in ``session``; return (enrollment, created).

    Refused when the session is cancelled or full (capacity counts enrolled and
    attended places). Enrolling someone already enrolled returns their row; a
    withdrawn enrollment is re-opened.
    """
    scoping.require_visible(actor, session, field="session")
    scoping.require_visible(actor, staff, field="staff")
    session = _lock_session(session)
    if session.status == S.CANCELLED:
        raise IllegalTransition(_("The session is cancelled."))
    if not staff.is_active:
        raise InvalidInput(_("The staff member is not active."), field="staff")
    existing = Enrollment.objects.filter(session=session, staff=staff).first()
    if existing is not None and existing.status != E.WITHDRAWN:
        return existing, False
    if session.capacity is not None:
        seated = Enrollment.objects.filter(session=session, status__in=SEATED).count()
        if seated >= session.capacity:
            raise Conflict(_("The session is full."), code="session_full")
    if existing is not None:
        existing.status = E.ENROLLED
        existing.save(update_fields=["status"])
        event(Kind.ENROLLED, actor=actor, staff=staff, session=session)
        return existing, False
    enrollment = Enrollment(session=session, staff=staff, recorded_by=actor)
    enrollment.full_clean(exclude=["session", "staff"])
    enrollment.save()
    event(Kind.ENROLLED, actor=actor, staff=staff, session=session)
    if session.status == S.PLANNED:
        knowledge_test_before_schedule(session=session, staff_id=staff.pk)
    return enrollment, True


def _clean_hours(value, *, session: TrainingSession) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput(_("Hours must be a number."), field="hours") from None
    span = Decimal((session.ends_at - session.starts_at).total_seconds()) / 3600
    ceiling = max(session.course.hours, span.quantize(Decimal("0.1")))
    if hours <= 0 or hours > ceiling:
        raise InvalidInput(
            _("Attended hours must be more than 0 and at most %(max)s.")
            % {"max": ceiling},
            field="hours",
        )
    return hours


@transaction.atomic
def session_record_attendance(
    *,
    actor: User | None,
    session: TrainingSession,
    entries: Iterable[AttendanceEntry],
    complete: bool = False,
    now: datetime | None = None,
) -> dict:
    """Record attendance of enrolled staff in bulk (the trainer's sheet).

    Attended staff get their hours (default: the course's hours); absent and
    withdrawn get 0. Only rows that change are written. Attending closes the
    staff member's open assignments of the course made before the session
    ended. With ``complete=True`` (or when the session is already completed)
    the session is completed and the assessments of every attendee are
    scheduled (once). Returns counts: ``changed``, ``assignments_done``,
    ``assessments_created``.
    """
    now = now or timezone.now()
    session = _lock_session(session)
    if session.status == S.CANCELLED:
        raise IllegalTransition(_("The session is cancelled."))
    changed, attended_ids = _attendance_changes(
        session, list(entries), actor=actor, now=now
    )
    _save_attendance(session, changed, actor=actor)
    done = _close_assignments(session, attended_ids, actor=actor, now=now)
    created = 0
    if complete and session.status != S.COMPLETED:
        session = _complete(session, now=now, actor=actor)
    if session.status == S.COMPLETED:
        created = assessments_schedule_for_session(session=session)
    return {
        "changed": len(changed),
        "assignments_done": done,
        "assessments_created": created,
    }


def _attendance_changes(
    session: TrainingSession, entries: list[AttendanceEntry], *, actor, now
) -> tuple[list[Enrollment], list[int]]:
    """The session's enrollments (locked) that the sheet changes, set to their new
    values but not saved, and the staff ids marked attended. Refuses the whole
    sheet on a line that names no enrolled staff member or breaks a rule."""
    enrollments = {
        e.staff_id: e
        for e in Enrollment.objects.select_for_update().filter(session=session)
    }
    changed: list[Enrollment] = []
    attended_ids: list[int] = []
    for entry in entries:
        enrollment = enrollments.get(entry.staff_id)
        if enrollment is None:
            raise InvalidInput(
                _("Staff member %(id)s is not enrolled in this session.")
                % {"id": entry.staff_id},
                field="staff",
            )
        if entry.status not in E.values:
            raise InvalidInput(_("Unknown attendance status."), field="status")
        if entry.status == E.ATTENDED:
            # From the session's (local) day on: people sign in before it starts.
            if timezone.localdate(session.starts_at) > timezone.localdate(now):
                raise InvalidInput(
                    _("Attendance can be recorded from the day of the session on."),
                    field="status",
                )
            hours = _clean_hours(
                session.course.hours if entry.hours is None else entry.hours,
                session=session,
            )
            attended_ids.append(entry.staff_id)
        else:
            hours = Decimal("0.0")
        if enrollment.status == entry.status and enrollment.attended_hours == hours:
            continue
        enrollment.status = entry.status
        enrollment.attended_hours = hours
        enrollment.recorded_by = actor
        enrollment.recorded_at = now
        changed.append(enrollment)
    return changed, attended_ids


def _save_attendance(
    session: TrainingSession, changed: list[Enrollment], *, actor
) -> None:
    """Write the changed enrollments in one statement, and one event listing them."""
    Enrollment.objects.bulk_update(
        changed, ["status", "attended_hours", "recorded_by", "recorded_at"]
    )
    if changed:
        event(
            Kind.ATTENDANCE_RECORDED,
            actor=actor,
            session=session,
            data={
                "entries": [
                    {
                        "staff": e.staff_id,
                        "status": e.status,
                        "hours": str(e.attended_hours),
                    }
                    for e in changed
                ]
            },
        )


def _close_assignments(
    session: TrainingSession, attended_ids: list[int], *, actor, now
) -> int:
    """Mark done the attendees' open assignments of the session's course made
    before the session ended (one event each); returns their number."""
    if not attended_ids:
        return 0
    closing = list(
        TrainingAssignment.objects.select_for_update()
        .filter(
            staff_id__in=attended_ids,
            course_id=session.course_id,
            done_at__isnull=True,
            created_at__lte=session.ends_at,
        )
        .values_list("pk", "staff_id")
    )
    done = TrainingAssignment.objects.filter(
        pk__in=[pk for pk, _staff in closing]
    ).update(done_at=now)
    events(
        TrainingEvent(
            kind=Kind.ASSIGNMENT_DONE,
            actor=actor,
            staff_id=staff_id,
            assignment_id=pk,
            session=session,
        )
        for pk, staff_id in closing
    )
    return done


def _complete(session: TrainingSession, *, now: datetime, actor) -> TrainingSession:
    if session.ends_at > now:
        raise InvalidInput(
            _("The session runs until %(end)s: complete it after it ends.")
            % {"end": date_format(timezone.localtime(session.ends_at), "Y-m-d H:i")},
            field="complete",
        )
    session.status = S.COMPLETED
    session.completed_at = now
    session.save(update_fields=["status", "completed_at"])
    event(Kind.SESSION_COMPLETED, actor=actor, session=session)
    return session


@transaction.atomic
def session_complete(
    *, actor: User | None, session: TrainingSession, now: datetime | None = None
) -> tuple[TrainingSession, int]:
    """Complete a session and schedule each attendee's assessments at 0, +1 and
    +3 months (once: completing again creates nothing new). Returns the session
    and the number of assessments created."""
    now = now or timezone.now()
    session = _lock_session(session)
    if session.status == S.CANCELLED:
        raise IllegalTransition(_("A cancelled session cannot be completed."))
    if session.status != S.COMPLETED:
        session = _complete(session, now=now, actor=actor)
    return session, assessments_schedule_for_session(session=session)


@transaction.atomic
def session_cancel(*, actor: User | None, session: TrainingSession) -> TrainingSession:
    """Cancel a planned session (a completed one cannot be cancelled)."""
    session = _lock_session(session)
    if session.status == S.CANCELLED:
        return session
    if session.status == S.COMPLETED:
        raise IllegalTransition(_("A completed session cannot be cancelled."))
    session.status = S.CANCELLED
    session.save(update_fields=["status"])
    event(Kind.SESSION_CANCELLED, actor=actor, session=session)
    return session
