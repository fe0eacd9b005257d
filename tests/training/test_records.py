"""The staff training record: computed by the database, one query per list."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import User
from tests.factories import UserFactory
from tests.factories.training import (
    AssessmentFactory,
    CertificationFactory,
    CourseFactory,
    EnrollmentFactory,
    TrainingAssignmentFactory,
    TrainingRequirementFactory,
    TrainingSessionFactory,
)
from training.models import Certification
from training.selectors import training_record_for, training_records

pytestmark = pytest.mark.django_db
YEAR = 2026


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_default_timezone())


def _attend(staff, course, day, hours):
    session = TrainingSessionFactory(
        course=course, starts_at=_at(day), ends_at=_at(day, 18)
    )
    return EnrollmentFactory(
        session=session, staff=staff, status="attended", attended_hours=hours
    )


@pytest.fixture
def catalogue(org):
    """Front line needs 80 h and the culture course; etiquette is mandatory for
    agents by its own flag; supervisors need 40 h."""
    culture = CourseFactory(code="culture", hours=Decimal("4"))
    etiquette = CourseFactory(
        code="etiquette", is_mandatory=True, target_roles=["agent"]
    )
    privacy = CourseFactory(code="privacy")
    for role in ("agent", "complaint_handler"):
        TrainingRequirementFactory(role=role, yearly_hours=Decimal("80"))
        TrainingRequirementFactory(role=role).mandatory_courses.add(culture)
    TrainingRequirementFactory(role="supervisor", yearly_hours=Decimal("40"))
    return {"culture": culture, "etiquette": etiquette, "privacy": privacy}


def test_hours_this_year_against_the_role_requirement(org, catalogue):
    # given attendance inside and outside 2026 (local time), and an absence
    _attend(org.agent_a, catalogue["culture"], date(2026, 1, 1), Decimal("4"))
    _attend(org.agent_a, catalogue["etiquette"], date(2026, 6, 1), Decimal("7.5"))
    _attend(org.agent_a, catalogue["privacy"], date(2025, 12, 31), Decimal("8"))
    absent = _attend(org.agent_a, catalogue["privacy"], date(2026, 3, 1), Decimal("0"))
    absent.status = "absent"
    absent.save()
    _attend(org.supervisor_a, catalogue["privacy"], date(2026, 2, 1), Decimal("40"))

    rows = {
        u.username: u for u in training_records(staff_qs=User.objects.all(), year=YEAR)
    }

    agent = rows["agent_a"]
    assert agent.training_hours == Decimal("11.5")
    assert agent.required_hours == Decimal("80")
    assert training_record_for(staff=org.agent_a, year=YEAR)["hours_gap"] == Decimal(
        "68.5"
    )
    assert agent.below_requirement is True
    assert (agent.mandatory_total, agent.mandatory_done, agent.mandatory_missing) == (
        2,
        2,
        0,
    )
    supervisor = rows["supervisor_a"]
    assert supervisor.training_hours == Decimal("40")
    assert supervisor.required_hours == Decimal("40")
    assert supervisor.below_requirement is False
    assert supervisor.mandatory_total == 0
    # roles without a requirement require nothing
    assert rows["qa_inspector_a"].required_hours == Decimal("0")
    assert rows["qa_inspector_a"].below_requirement is False
    # 2025's attendance counts for 2025
    previous = training_records(
        staff_qs=User.objects.filter(pk=org.agent_a.pk), year=2025
    ).get()
    assert previous.training_hours == Decimal("8")


def test_below_requirement_is_a_database_filter(org, catalogue):
    _attend(org.agent_a, catalogue["privacy"], date(2026, 5, 5), Decimal("8"))
    _attend(org.supervisor_a, catalogue["privacy"], date(2026, 5, 5), Decimal("8"))
    qs = training_records(staff_qs=User.objects.all(), year=YEAR)
    below = set(qs.filter(below_requirement=True).values_list("username", flat=True))
    assert {"agent_a", "agent_b", "complaint_handler_a", "supervisor_a"} <= below
    assert "trainer_a" not in below
    ordered = list(qs.filter(username__startswith="agent").order_by("-training_hours"))
    assert [u.username for u in ordered][0] == "agent_a"


def test_mandatory_courses_done_and_missing_by_code(org, catalogue):
    _attend(org.agent_a, catalogue["etiquette"], date(2026, 4, 1), Decimal("8"))
    record = training_record_for(staff=org.agent_a, year=YEAR)
    assert record["mandatory_done"] == ["etiquette"]
    assert record["mandatory_missing"] == ["culture"]
    # the complaint handler needs culture only (etiquette targets agents)
    handler = training_record_for(staff=org.complaint_handler_a, year=YEAR)
    assert handler["mandatory_missing"] == ["culture"]
    assert handler["mandatory_done"] == []


def test_a_staff_member_with_two_roles_needs_the_larger_requirement(org, catalogue):
    both = UserFactory(username="both", roles=["supervisor", "agent"])
    record = training_record_for(staff=both, year=YEAR)
    assert record["required_hours"] == Decimal("80")
    assert record["mandatory_total"] == 2


@pytest.mark.usefixtures("local_day_edge")  # also at 23:30 UTC = 07:30 CST
def test_assessments_certifications_assignments_and_top_performer(org, catalogue):
    today = timezone.localdate()
    year = today.year
    for score in (95, 92, 90):
        AssessmentFactory(staff=org.agent_a, score=score, passed=True, taken_on=today)
    AssessmentFactory(staff=org.agent_a)  # scheduled, not taken
    AssessmentFactory(staff=org.agent_b, score=95, passed=True, taken_on=today)
    AssessmentFactory(staff=org.agent_b, score=40, passed=False, taken_on=today)
    soon = CertificationFactory(
        staff=org.agent_a, expires_on=today + timedelta(days=10)
    )
    CertificationFactory(staff=org.agent_a, expires_on=today + timedelta(days=400))
    CertificationFactory(staff=org.agent_a, status=Certification.Status.REVOKED)
    TrainingAssignmentFactory(staff=org.agent_a, course=catalogue["privacy"])
    TrainingAssignmentFactory(staff=org.agent_a, done_at=timezone.now())

    record = training_record_for(staff=org.agent_a, year=year)

    assert (record["assessments_taken"], record["assessments_passed"]) == (3, 3)
    assert record["top_performer"] is True
    assert [c["expires_on"] for c in record["certifications"]] == [
        soon.expires_on,
        today + timedelta(days=400),
    ]
    assert [a["course"] for a in record["open_assignments"]] == ["privacy"]
    other = training_record_for(staff=org.agent_b, year=year)
    assert (other["assessments_taken"], other["assessments_passed"]) == (2, 1)
    assert other["top_performer"] is False
    row = training_records(
        staff_qs=User.objects.filter(pk=org.agent_a.pk), year=year
    ).get()
    assert row.next_certification_expiry == soon.expires_on
    assert row.open_assignments == 1
    assert row.certifications_valid == 2


def test_query_count_does_not_grow_with_the_number_of_staff(
    org, catalogue, django_assert_num_queries
):
    def evaluate():
        return [
            (u.training_hours, u.mandatory_missing, u.assessments_taken)
            for u in training_records(staff_qs=User.objects.all(), year=YEAR)
        ]

    _attend(org.agent_a, catalogue["culture"], date(2026, 2, 2), Decimal("4"))
    with django_assert_num_queries(1):
        few = evaluate()
    for n in range(30):
        staff = UserFactory(username=f"extra{n}", roles=["agent"])
        _attend(staff, catalogue["privacy"], date(2026, 3, 3), Decimal("8"))
        AssessmentFactory(staff=staff, score=70, passed=True, taken_on=date(2026, 3, 4))
    with django_assert_num_queries(1):
        many = evaluate()
    assert len(many) == len(few) + 30
