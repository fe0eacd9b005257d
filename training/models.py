"""Training: courses, sessions, attendance, assessments, certifications, requirements.

The service standard (seed: 培训 chapters) asks for courses with hours and target
roles, sessions with attendance, assessments immediately after a course, at one
month and at three months, certifications with expiry, and a yearly hours
requirement per role (front line: 80 h). State changes go through
``training.services``; reads (the staff training record) through
``training.selectors``.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.models import User
from crm.roles import Role

HOURS = {
    "max_digits": 5,
    "decimal_places": 1,
    "validators": [MinValueValidator(Decimal("0"))],
}


class Course(models.Model):
    class Topic(models.TextChoices):
        CULTURE = "culture", _("company culture")
        SERVICE_SKILLS = "service_skills", _("service skills")
        COMMUNICATION = "communication", _("communication")
        COMPLAINT_HANDLING = "complaint_handling", _("complaint handling")
        ETIQUETTE = "etiquette", _("service etiquette")
        PRODUCT = "product", _("product knowledge")
        PRIVACY = "privacy", _("privacy protection")
        TEAMWORK = "teamwork", _("teamwork")

    class Format(models.TextChoices):
        CLASSROOM = "classroom", _("classroom")
        ONLINE = "online", _("online course")
        MENTORING = "mentoring", _("mentoring")
        WORKSHOP = "workshop", _("workshop")

    code = models.SlugField(_("course code"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    topic = models.CharField(_("topic"), max_length=32, choices=Topic.choices)
    description = models.TextField(_("description"), blank=True)
    hours = models.DecimalField(_("hours"), **HOURS)
    format = models.CharField(
        _("format"), max_length=16, choices=Format.choices, default=Format.CLASSROOM
    )
    target_roles = models.ManyToManyField(
        Group,
        verbose_name=_("target roles"),
        blank=True,
        related_name="target_courses",
        help_text=_("Roles the course is meant for."),
    )
    is_mandatory = models.BooleanField(
        _("mandatory"),
        default=False,
        help_text=_("Mandatory every year for each of its target roles."),
    )
    remedial_course = models.ForeignKey(
        "self",
        verbose_name=_("remedial course"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "Assigned to staff who fail an assessment of this course "
            "(the course itself when empty)."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["code"]

    def __str__(self):
        return f"{self.title} ({self.code})"


class TrainingSession(models.Model):
    """One run of a course: when, where, by whom, for how many."""

    class Status(models.TextChoices):
        # A context of their own: "planned" is also a revisit's status (待回访).
        PLANNED = "planned", pgettext_lazy("training session", "planned")
        COMPLETED = "completed", pgettext_lazy("training session", "completed")
        CANCELLED = "cancelled", pgettext_lazy("training session", "cancelled")

    course = models.ForeignKey(
        Course,
        verbose_name=_("course"),
        on_delete=models.PROTECT,
        related_name="sessions",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="trained_sessions",
    )
    place = models.CharField(_("place or link"), max_length=300, blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="training_session_ends_after_start",
            )
        ]

    def __str__(self):
        return f"{self.course.title} {self.starts_at:%Y-%m-%d}"


class Enrollment(models.Model):
    """A staff member's place in a session, and their attendance."""

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("enrolled")
        ATTENDED = "attended", _("attended")
        ABSENT = "absent", _("absent")
        WITHDRAWN = "withdrawn", _("withdrawn")

    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("training session"),
        on_delete=models.CASCADE,
        related_name="enrollments",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="training_enrollments",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ENROLLED
    )
    attended_hours = models.DecimalField(_("attended hours"), default=0, **HOURS)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["session", "staff"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "staff"], name="training_enrollment_once"
            )
        ]
        indexes = [
            models.Index(fields=["staff", "status"], name="training_enr_staff_status")
        ]

    def __str__(self):
        return f"{self.staff} @ {self.session}"


class Assessment(models.Model):
    """A test of what a staff member took from a course (seed: 评估方法/评估周期).

    Completing a session schedules, per attendee: immediately a satisfaction
    survey and a knowledge test, at one month a skill test and a performance
    review, at three months a follow-up performance review. Graded kinds have a
    pass mark; ``passed`` is set when the result is recorded.
    """

    class Kind(models.TextChoices):
        SATISFACTION = "satisfaction", _("training satisfaction survey")
        KNOWLEDGE = "knowledge", _("knowledge test")
        SKILL = "skill", _("skill test")
        PERFORMANCE = "performance", _("performance review")

    class Window(models.TextChoices):
        BEFORE = "before", _("before the course")
        IMMEDIATE = "immediate", _("immediately after the course")
        ONE_MONTH = "one_month", _("one month after")
        THREE_MONTHS = "three_months", _("three months after")

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="training_assessments",
    )
    course = models.ForeignKey(
        Course,
        verbose_name=_("course"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("training session"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assessments",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    window = models.CharField(
        _("window"), max_length=16, choices=Window.choices, blank=True
    )
    due_on = models.DateField(_("due on"))
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    pass_mark = models.DecimalField(
        _("pass mark"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Empty for surveys, which are not graded."),
    )
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    taken_on = models.DateField(_("taken on"), null=True, blank=True)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["due_on", "pk"]
        constraints = [
            # Completing a session (twice, or concurrently) schedules each once.
            models.UniqueConstraint(
                fields=["session", "staff", "kind", "window"],
                name="training_assessment_once_per_window",
            )
        ]
        indexes = [
            models.Index(fields=["staff", "taken_on"], name="training_asm_staff_taken")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.staff} · {self.due_on}"


class Certification(models.Model):
    """A qualification held by a staff member (front-line staff need one)."""

    class Status(models.TextChoices):
        VALID = "valid", _("valid")
        EXPIRED = "expired", _("expired")
        REVOKED = "revoked", _("revoked")

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="certifications",
    )
    qualification = models.CharField(_("qualification"), max_length=200)
    number = models.CharField(_("certificate number"), max_length=64, blank=True)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.VALID
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ["expires_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(expires_on__gt=models.F("issued_on")),
                name="training_cert_expires_after_issue",
            )
        ]
        indexes = [
            models.Index(fields=["status", "expires_on"], name="training_cert_expiry")
        ]

    def __str__(self):
        return f"{self.qualification} · {self.staff}"


class TrainingRequirement(models.Model):
    """A role's yearly requirement: hours and the courses it must attend."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, unique=True)
    yearly_hours = models.DecimalField(_("yearly hours"), **HOURS)
    mandatory_courses = models.ManyToManyField(
        Course,
        verbose_name=_("mandatory courses"),
        blank=True,
        related_name="requirements",
    )

    class Meta:
        verbose_name = _("training requirement")
        verbose_name_plural = _("training requirements")
        ordering = ["role"]

    def __str__(self):
        return f"{self.get_role_display()}: {self.yearly_hours}"


class TrainingAssignment(models.Model):
    """A course a staff member must take, and why (open until done)."""

    class Reason(models.TextChoices):
        NEW_HIRE = "new_hire", _("new hire")
        FAILED_ASSESSMENT = "failed_assessment", _("failed assessment")
        COMPLAINT_PATTERN = "complaint_pattern", _("complaint pattern")
        CAPA = "capa", _("corrective action")
        COACHING = "coaching", _("coaching after a complaint")
        OTHER = "other", _("other")

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="training_assignments",
    )
    course = models.ForeignKey(
        Course,
        verbose_name=_("course"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    source_assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("failed assessment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="remedial_assignments",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Names the cause so that an automatic rule assigns once per cause.
    key = models.CharField(
        _("deduplication key"), max_length=200, unique=True, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("training assignment")
        verbose_name_plural = _("training assignments")
        ordering = ["done_at", "due_on", "pk"]
        indexes = [
            models.Index(fields=["staff", "done_at"], name="training_asg_staff_open")
        ]

    def __str__(self):
        return f"{self.course.title} → {self.staff}"

    @property
    def is_open(self) -> bool:
        return self.done_at is None


class TrainingRecord(User):
    """The staff training record (a read-only view of a staff member).

    A proxy so that the admin can list records with their own scope: everyone
    sees their own record, supervisors their team's, managers their department's,
    trainers all.
    """

    class Meta:
        proxy = True
        verbose_name = _("staff training record")
        verbose_name_plural = _("staff training records")
        default_permissions = ("view",)


class TrainingEvent(models.Model):
    """An immutable audit row written by every training service (who, what, when)."""

    class Kind(models.TextChoices):
        ENROLLED = "enrolled", _("enrolled")
        ATTENDANCE_RECORDED = "attendance_recorded", _("attendance recorded")
        SESSION_COMPLETED = "session_completed", _("session completed")
        SESSION_CANCELLED = "session_cancelled", _("session cancelled")
        RESULT_RECORDED = "result_recorded", _("assessment result recorded")
        ASSESSMENT_UPDATED = "assessment_updated", _("assessment changed")
        ASSIGNMENT_CREATED = "assignment_created", _("training assigned")
        ASSIGNMENT_DONE = "assignment_done", _("assignment done")
        ASSIGNMENT_UPDATED = "assignment_updated", _("assignment changed")
        CERTIFICATION_ISSUED = "certification_issued", _("certification issued")
        CERTIFICATION_REVOKED = "certification_revoked", _("certification revoked")
        CERTIFICATION_UPDATED = "certification_updated", _("certification changed")
        CERTIFICATION_EXPIRED = "certification_expired", _("certification expired")
        CERTIFICATION_REMINDED = "certification_reminded", _("expiry reminder sent")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="training_events",
    )
    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("training session"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
    )
    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("assessment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
    )
    assignment = models.ForeignKey(
        TrainingAssignment,
        verbose_name=_("training assignment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
    )
    certification = models.ForeignKey(
        Certification,
        verbose_name=_("certification"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("training event")
        verbose_name_plural = _("training events")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"
