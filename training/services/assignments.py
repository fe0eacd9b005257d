"""Training assignments: who must take which course, and why.

Automatic rules (a failed assessment, a pattern of attitude complaints) name
their cause in ``TrainingAssignment.key`` (unique), so that running a rule again,
or concurrently, assigns once.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints.categories import ATTITUDE
from complaints.models import Complaint
from config.errors import InvalidInput, NotPermitted
from crm import scoping
from crm.models import User
from crm.notifications import notify
from training.models import Course, TrainingAssignment
from training.services.events import Kind, event

logger = logging.getLogger(__name__)


_NO_COURSE_LOGGED = []


def _log_no_course_once() -> None:
    """The missing course is a configuration fact, not news on every complaint:
    said once per process (the demo seeds hundreds of complaints before its
    courses)."""
    if not _NO_COURSE_LOGGED:
        _NO_COURSE_LOGGED.append(True)
        logger.info(
            "attitude rule: no active etiquette course to assign "
            "(said once; complaint patterns are not turned into assignments)"
        )


def _default_due_on(today: date | None = None) -> date:
    days = settings.KEFU_TRAINING_ASSIGNMENT_DUE_DAYS
    return (today or timezone.localdate()) + timedelta(days=days)


@transaction.atomic
def assignment_create(
    *,
    actor: User | None,
    staff: User,
    course: Course,
    reason: str,
    due_on: date | None = None,
    note: str = "",
    key: str | None = None,
    source_assessment=None,
) -> tuple[TrainingAssignment, bool]:
    """Assign ``course`` to ``staff``; return (assignment, created).

    With a ``key``, a second call returns the first assignment and creates
    nothing. The staff member is notified once (``crm.notifications``).
    """
    scoping.require_visible(actor, staff, field="staff")
    if reason not in TrainingAssignment.Reason.values:
        raise InvalidInput(_("Unknown assignment reason."), field="reason")
    if not course.is_active:
        raise InvalidInput(_("The course is not active."), field="course")
    if key:
        existing = TrainingAssignment.objects.filter(key=key).first()
        if existing is not None:
            return existing, False
    assignment = TrainingAssignment(
        staff=staff,
        course=course,
        reason=reason,
        due_on=due_on or _default_due_on(),
        note=note,
        key=key or None,
        source_assessment=source_assessment,
        assigned_by=actor,
    )
    assignment.full_clean(exclude=["key"] if key else None)
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError:
        if not key:
            raise
        # A concurrent run of the same rule assigned it first.
        return TrainingAssignment.objects.get(key=key), False
    event(
        Kind.ASSIGNMENT_CREATED,
        actor=actor,
        staff=staff,
        assignment=assignment,
        assessment=source_assessment,
        data={"reason": reason, "course": course.code, "key": key or ""},
    )
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipient=staff,
            kind="training.assignment",
            title=_("Training assigned: %(course)s") % {"course": course.title},
            body=_("Reason: %(reason)s. Please complete it by %(due)s.")
            % {
                "reason": assignment.get_reason_display(),
                "due": assignment.due_on.isoformat(),
            },
            key=f"training:assignment:{assignment.pk}",
            link=f"/admin/training/trainingrecord/{staff.pk}/change/",
        )
    return assignment, True


@transaction.atomic
def assignment_complete(
    *,
    actor: User | None,
    assignment: TrainingAssignment,
    done_at: datetime | None = None,
) -> TrainingAssignment:
    """Mark an assignment done (idempotent: an assignment done stays as it was)."""
    assignment = TrainingAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.done_at is not None:
        return assignment
    assignment.done_at = done_at or timezone.now()
    assignment.save(update_fields=["done_at"])
    event(
        Kind.ASSIGNMENT_DONE,
        actor=actor,
        staff_id=assignment.staff_id,
        assignment=assignment,
    )
    return assignment


@transaction.atomic
def assignment_update(
    *,
    actor: User | None,
    assignment: TrainingAssignment,
    due_on: date | None = None,
    note: str | None = None,
) -> TrainingAssignment:
    """Change the due date or the note of an assignment (who, which course and
    why stay as assigned). The actor must be allowed to change the assignment
    (permission and scope). Unchanged values write nothing."""
    if actor is not None and not scoping.can_change(actor, assignment):
        raise NotPermitted(_("You may not change this assignment."))
    assignment = TrainingAssignment.objects.select_for_update().get(pk=assignment.pk)
    changes = {
        name: value
        for name, value in (("due_on", due_on), ("note", note))
        if value is not None and getattr(assignment, name) != value
    }
    if not changes:
        return assignment
    before = {name: getattr(assignment, name) for name in changes}
    for name, value in changes.items():
        setattr(assignment, name, value)
    assignment.full_clean(
        exclude=["staff", "course", "source_assessment", "assigned_by", "key"],
        validate_unique=False,
        validate_constraints=False,
    )
    assignment.save(update_fields=list(changes))
    event(
        Kind.ASSIGNMENT_UPDATED,
        actor=actor,
        staff_id=assignment.staff_id,
        assignment=assignment,
        data={name: [str(before[name]), str(value)] for name, value in changes.items()},
    )
    return assignment


def etiquette_course() -> Course | None:
    """The course that the attitude rule assigns: ``KEFU_TRAINING_ETIQUETTE_COURSE``
    (a course code), else the first active etiquette course by code."""
    code = settings.KEFU_TRAINING_ETIQUETTE_COURSE
    qs = Course.objects.filter(is_active=True)
    if code:
        return qs.filter(code=code).first()
    return qs.filter(topic=Course.Topic.ETIQUETTE).order_by("code").first()


@transaction.atomic
def assignment_check_attitude_complaints(
    *, staff: User, now: datetime | None = None
) -> TrainingAssignment | None:
    """Assign the etiquette course to ``staff`` when they collected
    ``KEFU_TRAINING_ATTITUDE_THRESHOLD`` (default 2) or more attitude complaints
    in ``KEFU_TRAINING_ATTITUDE_WINDOW_DAYS`` (default 90) days.

    Counts complaints whose top-level category code is ``attitude``, attributed
    to ``staff``, received within the window before ``now``, not rejected.
    Complaints already behind an earlier complaint-pattern assignment do not
    count again, and nothing is assigned while such an assignment is open: the
    course is assigned once per pattern. Returns the new assignment, or None.
    Locks the staff row so that concurrent checks for one person serialise.
    """
    now = now or timezone.now()
    threshold = settings.KEFU_TRAINING_ATTITUDE_THRESHOLD
    window_days = settings.KEFU_TRAINING_ATTITUDE_WINDOW_DAYS
    course = etiquette_course()
    if course is None:
        _log_no_course_once()
        return None
    User.objects.select_for_update().filter(pk=staff.pk).first()
    previous = TrainingAssignment.objects.filter(
        staff=staff, reason=TrainingAssignment.Reason.COMPLAINT_PATTERN, course=course
    ).order_by("-created_at", "-pk")
    if previous.filter(done_at__isnull=True).exists():
        return None
    complaints = Complaint.objects.filter(
        attributed_staff=staff,
        category__code=ATTITUDE,
        received_at__gt=now - timedelta(days=window_days),
        received_at__lte=now,
    ).exclude(status=Complaint.Status.REJECTED)
    last = previous.first()
    if last is not None:
        complaints = complaints.filter(created_at__gt=last.created_at)
    pks = sorted(complaints.values_list("pk", flat=True))
    if len(pks) < threshold:
        return None
    with translation.override(settings.LANGUAGE_CODE):
        note = _("%(count)s attitude complaints in %(days)s days") % {
            "count": len(pks),
            "days": window_days,
        }
    assignment, created = assignment_create(
        actor=None,
        staff=staff,
        course=course,
        reason=TrainingAssignment.Reason.COMPLAINT_PATTERN,
        note=note,
        key=f"attitude:{staff.pk}:{pks[-1]}",
    )
    return assignment if created else None


_NO_COACHING_COURSE_LOGGED: list[bool] = []


def coaching_course() -> Course | None:
    """The course assigned as coaching: ``KEFU_TRAINING_COACHING_COURSE`` (a
    course code), else the first active service-skills course by code."""
    code = settings.KEFU_TRAINING_COACHING_COURSE
    qs = Course.objects.filter(is_active=True)
    if code:
        return qs.filter(code=code).first()
    return qs.filter(topic=Course.Topic.SERVICE_SKILLS).order_by("code").first()


def assignment_coaching_for_complaint(*, complaint) -> TrainingAssignment | None:
    """分类改进 of a complaint closed with a staff-error cause: coach the
    attributed staff member (once per complaint: the assignment's key)."""
    staff = complaint.attributed_staff
    if staff is None or not staff.is_active:
        return None
    course = coaching_course()
    if course is None:
        if not _NO_COACHING_COURSE_LOGGED:  # a configuration fact: said once
            _NO_COACHING_COURSE_LOGGED.append(True)
            logger.info(
                "coaching rule: no active service-skills course to assign "
                "(said once; staff-error complaints are not turned into coaching)"
            )
        return None
    with translation.override(settings.LANGUAGE_CODE):
        note = _("Coaching after complaint %(reference)s (cause: staff error)") % {
            "reference": complaint.reference
        }
    assignment, created = assignment_create(
        actor=None,
        staff=staff,
        course=course,
        reason=TrainingAssignment.Reason.COACHING,
        note=note,
        key=f"coaching:complaint:{complaint.pk}",
    )
    return assignment if created else None


def assignment_coaching(
    *, staff: User, note: str, key: str
) -> TrainingAssignment | None:
    """Coach ``staff`` on the coaching course, once per ``key`` (a rule of
    another app names its cause in the key, e.g. a failed quality inspection);
    None when nothing new was assigned (inactive staff, no coaching course, or
    already assigned)."""
    if staff is None or not staff.is_active:
        return None
    course = coaching_course()
    if course is None:
        if not _NO_COACHING_COURSE_LOGGED:  # a configuration fact: said once
            _NO_COACHING_COURSE_LOGGED.append(True)
            logger.info("coaching: no active service-skills course to assign")
        return None
    assignment, created = assignment_create(
        actor=None,
        staff=staff,
        course=course,
        reason=TrainingAssignment.Reason.COACHING,
        note=note,
        key=key,
    )
    return assignment if created else None
