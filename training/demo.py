"""Demo training data (called by ``seed_demo`` after crm and complaints).

A year of courses and sessions with attendance, the assessments their completion
scheduled (results recorded where due, a few failures with their remedial
assignments, a few top performers), certifications (some expiring within 30
days), hour requirements per role (some front-line staff below 80 h), a session
today waiting for its attendance sheet and a few upcoming ones: a trainer's
working day. Goes through the training services; deterministic for a seed and a
day, idempotent (a second run adds nothing).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from crm.models import User
from crm.roles import Role
from training import services
from training.models import (
    Assessment,
    Certification,
    Course,
    Enrollment,
    TrainingAssignment,
    TrainingRequirement,
    TrainingSession,
)

FRONT = [Role.AGENT.value, Role.COMPLAINT_HANDLER.value]
ALL_STAFF = [r.value for r in Role if r not in (Role.PARTNER, Role.ADMIN)]

# code, title, topic, hours, format, target roles, mandatory flag, remedial code
COURSES = [
    (
        "cul-101",
        "企业文化与服务理念",
        "culture",
        "4",
        "classroom",
        ALL_STAFF,
        False,
        "",
    ),
    (
        "svc-201",
        "客户服务基本技巧",
        "service_skills",
        "8",
        "classroom",
        FRONT,
        False,
        "",
    ),
    ("com-201", "沟通与倾听技巧", "communication", "6", "workshop", FRONT, False, ""),
    (
        "cmp-301",
        "投诉处理五步法：受理·分析·处理·反馈·改进",
        "complaint_handling",
        "8",
        "workshop",
        [*FRONT, Role.SUPERVISOR.value],
        False,
        "cmp-301",
    ),
    ("etq-101", "服务礼仪规范", "etiquette", "6", "classroom", FRONT, True, "etq-201"),
    ("etq-201", "服务礼仪强化辅导", "etiquette", "4", "mentoring", FRONT, False, ""),
    ("prd-101", "快递产品与服务知识", "product", "6", "online", FRONT, False, ""),
    ("prv-101", "客户隐私与数据保护", "privacy", "3", "online", ALL_STAFF, False, ""),
    (
        "tmw-101",
        "团队协作与跨部门沟通",
        "teamwork",
        "4",
        "workshop",
        ALL_STAFF,
        False,
        "",
    ),
    (
        "svc-301",
        "服务标准实操（师徒带教）",
        "service_skills",
        "16",
        "mentoring",
        FRONT,
        False,
        "",
    ),
]
DESCRIPTIONS = {
    "etq-101": "微笑服务、主动服务、耐心服务、诚信服务、礼貌服务；礼貌用语与仪容仪表。",
    "cmp-301": "受理—分析—处理—反馈—改进五步闭环，投诉分类与时限要求。",
    "prv-101": "个人信息最小化收集、同意记录、查询导出与删除、数据安全。",
}
# role, yearly hours, mandatory course codes
REQUIREMENTS = [
    (Role.AGENT, "80", ["cul-101", "prv-101", "svc-201"]),
    (Role.COMPLAINT_HANDLER, "80", ["cul-101", "prv-101", "cmp-301"]),
    (Role.SUPERVISOR, "60", ["cmp-301", "tmw-101"]),
    (Role.MANAGER, "40", ["tmw-101"]),
    (Role.ACCOUNT_MANAGER, "40", ["prv-101"]),
    (Role.RELATIONS_SPECIALIST, "60", ["prv-101", "com-201"]),
    (Role.QA_INSPECTOR, "40", ["cmp-301"]),
    (Role.TRAINER, "40", []),
]
# Rotation of the sessions over the year (mostly front-line courses).
ROTATION = [
    "svc-201",
    "etq-101",
    "com-201",
    "cmp-301",
    "prd-101",
    "svc-301",
    "prv-101",
    "cul-101",
    "tmw-101",
    "svc-301",
]
FRONT_LINE_QUALIFICATION = "客户服务专员资格证"
SUPERVISOR_QUALIFICATION = "投诉处理主管资格证"
# Staff who rarely attend (below the 80 h requirement) and stars (top performers).
RARE = {"agent03", "agent07", "agent12", "handler02", "handler05"}
STARS = {"agent01", "agent05", "handler01"}


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(
        day, time(hour, minute), tzinfo=timezone.get_default_timezone()
    )


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def seed(ctx) -> None:
    rng = random.Random(ctx.seed + 50)
    staff = ctx.shared.get("staff") or {
        u.username: u for u in User.objects.filter(is_active=True)
    }
    today = timezone.localdate()
    with transaction.atomic():
        courses = _seed_courses()
        _seed_requirements(courses)
    if TrainingSession.objects.exists():
        ctx.say("  training sessions: already there")
    else:
        _seed_sessions(ctx, rng, staff, courses, today)
    _seed_certifications(ctx, rng, staff, today)
    _seed_assignments(staff, courses)
    _apply_attitude_rule(ctx)


def _seed_courses() -> dict[str, Course]:
    courses = {
        c.code: c for c in Course.objects.filter(code__in=[c[0] for c in COURSES])
    }
    if len(courses) == len(COURSES):
        return courses  # a second run: one query
    groups = {g.name: g for g in Group.objects.all()}
    for code, title, topic, hours, fmt, roles, mandatory, _remedial in COURSES:
        if code in courses:
            continue
        course = Course.objects.create(
            code=code,
            title=title,
            topic=topic,
            hours=Decimal(hours),
            format=fmt,
            is_mandatory=mandatory,
            description=DESCRIPTIONS.get(code, ""),
        )
        course.target_roles.set([groups[r] for r in roles if r in groups])
        courses[code] = course
    for code, *_rest, remedial in COURSES:
        course = courses[code]
        if remedial and course.remedial_course_id is None:
            course.remedial_course = courses[remedial]
            course.save(update_fields=["remedial_course"])
    return courses


def _seed_requirements(courses) -> None:
    existing = set(TrainingRequirement.objects.values_list("role", flat=True))
    for role, hours, codes in REQUIREMENTS:
        if role.value in existing:
            continue
        requirement = TrainingRequirement.objects.create(
            role=role.value, yearly_hours=Decimal(hours)
        )
        requirement.mandatory_courses.set([courses[c] for c in codes])


def _participants(rng, staff, course, size) -> list[User]:
    """Front-line staff mostly; others for the courses that target them."""
    front = [
        u
        for name, u in sorted(staff.items())
        if name.startswith(("agent", "handler")) and not name.startswith("agentx")
    ]
    others = [
        u
        for name, u in sorted(staff.items())
        if name.startswith(("supervisor", "manager", "relations", "qa", "accountmgr"))
    ]
    pool = list(front)
    if course.code in ("cul-101", "prv-101", "tmw-101", "cmp-301"):
        pool += others
    # Rare attendees come to one session in four.
    pool = [u for u in pool if u.username not in RARE or rng.random() < 0.25]
    return rng.sample(pool, min(size, len(pool)))


def _seed_sessions(ctx, rng, staff, courses, today) -> None:
    trainers = [u for name, u in sorted(staff.items()) if name.startswith("trainer")]
    now = timezone.now()
    past: list[TrainingSession] = []
    number = 0
    # Three sessions a month over the past twelve months, then today's and upcoming.
    for months_back in range(12, -1, -1):
        month_start = services.add_months(today.replace(day=1), -months_back)
        for slot in range(3):
            day = _weekday(month_start + timedelta(days=3 + slot * 9))
            if day >= today:
                continue
            course = courses[ROTATION[number % len(ROTATION)]]
            number += 1
            past.append(_session(course, day, trainers[number % len(trainers)], number))
    upcoming = [
        (today, "etq-101"),
        (_weekday(today + timedelta(days=2)), "cmp-301"),
        (_weekday(today + timedelta(days=7)), "prv-101"),
        (_weekday(today + timedelta(days=14)), "svc-201"),
    ]
    planned = [
        _session(courses[code], day, trainers[i % len(trainers)], 101 + i)
        for i, (day, code) in enumerate(upcoming)
    ]
    attended = 0
    for session in past:
        people = _participants(rng, staff, session.course, rng.randint(8, 14))
        for person in people:
            services.enrollment_create(actor=None, session=session, staff=person)
        entries = [
            services.AttendanceEntry(
                staff_id=p.pk,
                status="attended" if rng.random() < 0.9 else "absent",
            )
            for p in people
        ]
        trainer = session.trainer
        with transaction.atomic():
            services.session_record_attendance(
                actor=trainer, session=session, entries=entries, complete=True, now=now
            )
        attended += sum(e.status == "attended" for e in entries)
    for session in planned:
        people = _participants(rng, staff, session.course, 10)
        for person in people:
            services.enrollment_create(actor=None, session=session, staff=person)
    results = _record_results(rng, today)
    ctx.say(
        f"  training: {len(past)} past and {len(planned)} upcoming sessions, "
        f"{attended} attendances, {results} assessment results"
    )


def _session(course, day, trainer, number) -> TrainingSession:
    starts = _at(day, 9 if number % 2 else 14)
    hours = float(course.hours)
    return TrainingSession.objects.create(
        course=course,
        starts_at=starts,
        ends_at=starts + timedelta(hours=max(hours, 1)),
        trainer=trainer,
        place=(
            f"https://learn.kefu.example.cn/live/{course.code}-{number}"
            if course.format == Course.Format.ONLINE
            else f"总部培训室 {'AB'[number % 2]}"
        ),
        capacity=20,
    )


def _record_results(rng, today) -> int:
    """Results of the assessments already due (the next days' stay open)."""
    due = (
        Assessment.objects.filter(due_on__lt=today, taken_on__isnull=True)
        .select_related("staff", "session__trainer")
        .order_by("pk")
    )
    count = 0
    for assessment in due:
        if assessment.window == Assessment.Window.BEFORE:
            # The knowledge test before the course: what people knew coming in,
            # below what they score right after it (the gain is the KPI
            # training_effectiveness; drawn like the test after, it averaged 0).
            score = max(0, min(100, int(rng.gauss(64, 10))))
        elif assessment.staff.username in STARS:
            score = rng.randint(91, 99)
        elif assessment.kind == Assessment.Kind.SATISFACTION:
            score = rng.randint(70, 100)
        else:
            score = max(0, min(100, int(rng.gauss(78, 11))))
        services.assessment_record_result(
            actor=assessment.session.trainer if assessment.session else None,
            assessment=assessment,
            score=score,
            taken_on=assessment.due_on,
        )
        count += 1
    return count


def _seed_certifications(ctx, rng, staff, today) -> None:
    holders = set(Certification.objects.values_list("staff__username", "qualification"))
    front = [
        u
        for name, u in sorted(staff.items())
        if name.startswith(("agent", "handler")) and not name.startswith("agentx")
    ]
    supervisors = [u for n, u in sorted(staff.items()) if n.startswith("supervisor")]
    # Days to expiry: four within the 30-day reminder window, one already expired.
    soon = {1: 6, 4: 13, 9: 21, 14: 28, 17: -12}
    created = 0
    for i, person in enumerate(front):
        days_left = soon.get(i, rng.randint(60, 900))
        if (person.username, FRONT_LINE_QUALIFICATION) in holders:
            continue
        expires = today + timedelta(days=days_left)
        services.certification_issue(
            actor=None,
            staff=person,
            qualification=FRONT_LINE_QUALIFICATION,
            number=f"ZG{ctx.seed % 100:02d}{i + 1:05d}",
            issued_on=services.add_months(expires, -36),
            expires_on=expires,
        )
        created += 1
    for i, person in enumerate(supervisors):
        if (person.username, SUPERVISOR_QUALIFICATION) in holders:
            continue
        expires = today + timedelta(days=200 + 90 * i)
        services.certification_issue(
            actor=None,
            staff=person,
            qualification=SUPERVISOR_QUALIFICATION,
            number=f"ZZ{ctx.seed % 100:02d}{i + 1:04d}",
            issued_on=services.add_months(expires, -24),
            expires_on=expires,
        )
        created += 1
    if created:
        # Reminders of the ones expiring soon, as the daily job would send them.
        services.certification_sweep()
    ctx.say(f"  certifications: {created} created")


def _seed_assignments(staff, courses) -> None:
    """The newest front-line hires must take the culture course."""
    front = sorted(
        (
            u
            for n, u in staff.items()
            if n.startswith(("agent", "handler")) and u.hired_on
        ),
        key=lambda u: (u.hired_on, u.username),
    )
    keys = {f"demo:new_hire:{person.pk}": person for person in front[-2:]}
    existing = set(
        TrainingAssignment.objects.filter(key__in=keys).values_list("key", flat=True)
    )
    for key, person in keys.items():
        if key in existing:
            continue
        services.assignment_create(
            actor=None,
            staff=person,
            course=courses["cul-101"],
            reason=TrainingAssignment.Reason.NEW_HIRE,
            key=key,
        )


def _apply_attitude_rule(ctx) -> None:
    """Run the attitude rule for staff with enough attitude complaints (if the
    complaints demo made any)."""
    try:
        from complaints.models import Complaint
    except ImportError:  # pragma: no cover - complaints is always installed
        return
    threshold = settings.KEFU_TRAINING_ATTITUDE_THRESHOLD
    since = timezone.now() - timedelta(days=settings.KEFU_TRAINING_ATTITUDE_WINDOW_DAYS)
    counts = (
        Complaint.objects.filter(
            category__code="attitude",
            attributed_staff__isnull=False,
            received_at__gte=since,
        )
        .exclude(status=Complaint.Status.REJECTED)
        .values("attributed_staff")
        .annotate(n=Count("pk"))
        .filter(n__gte=threshold)
    )
    candidates = User.objects.filter(
        pk__in=[row["attributed_staff"] for row in counts]
    ).order_by("pk")
    assigned = sum(
        services.assignment_check_attitude_complaints(staff=person) is not None
        for person in candidates
    )
    if assigned:
        ctx.say(
            f"  training: {assigned} etiquette assignments from attitude complaints"
        )
    open_count = Enrollment.objects.filter(status=Enrollment.Status.ENROLLED).count()
    ctx.say(f"  training: {open_count} enrolments waiting for attendance")
