"""Every scoped training selector, read by each role (and by a partner where
the API reaches it): the rows in the reader's scope come back, the others not.

Personal training rows (enrolment, assessment, certification, assignment,
audit event) exist for agent A (``a``) and agent B (``b``): own rows, the
supervisor's team, the manager's department; trainers and admins see all.
"""

from __future__ import annotations

import pytest

from crm.models import User
from crm.roles import STAFF_ROLES
from tests.factories.readers import READERS, STAFF_READERS, labels, reader
from tests.factories.training import (
    AssessmentFactory,
    CertificationFactory,
    EnrollmentFactory,
    TrainingAssignmentFactory,
    TrainingSessionFactory,
)
from training import selectors
from training.models import TrainingEvent

pytestmark = pytest.mark.django_db

PERSONAL = {
    "admin": {"a", "b"},
    "manager": {"a"},  # department
    "supervisor": {"a"},  # team
    "agent": {"a"},  # own
    "complaint_handler": set(),
    "account_manager": set(),
    "relations_specialist": set(),
    "qa_inspector": set(),
    "trainer": {"a", "b"},  # everyone's
}


@pytest.fixture
def world(org):
    w = org
    w.session = TrainingSessionFactory()
    w.rows = {name: {} for name in ("enrollment", "assessment", "certification")}
    w.rows |= {"training_assignment": {}, "training_event": {}}
    for side in ("a", "b"):
        staff = getattr(org, f"agent_{side}")
        made = {
            "enrollment": EnrollmentFactory(session=w.session, staff=staff),
            "assessment": AssessmentFactory(staff=staff),
            "certification": CertificationFactory(staff=staff),
            "training_assignment": TrainingAssignmentFactory(staff=staff),
            "training_event": TrainingEvent.objects.create(
                kind=TrainingEvent.Kind.CERTIFICATION_EXPIRED, staff=staff
            ),
        }
        for name, row in made.items():
            w.rows[name][row.pk] = side
    return w


@pytest.mark.parametrize(
    "name",
    [
        "enrollment",
        "assessment",
        "certification",
        "training_assignment",
        "training_event",
    ],
)
def test_personal_row_selectors(world, name, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            rows = getattr(selectors, f"{name}_list")(user=reader(world, role))
            assert labels(rows, world.rows[name]) == PERSONAL[role]


def test_session_attendance_sheet(world, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            rows = selectors.session_attendance_sheet(
                user=reader(world, role), session=world.session
            )
            assert labels(rows, world.rows["enrollment"]) == PERSONAL[role]


# every staff member has a training record, after-sales engineers included
STAFF_A = {f"{role}_a" for role in STAFF_ROLES if role != "admin"}
STAFF_B = {f"{role}_b" for role in STAFF_ROLES if role != "admin"}
EVERYONE = STAFF_A | STAFF_B | {"admin_x"}
RECORDS = {
    "admin": EVERYONE,
    "manager": STAFF_A,  # department
    "supervisor": STAFF_A,  # team
    "agent": {"agent_a"},  # own
    "complaint_handler": {"complaint_handler_a"},
    "account_manager": {"account_manager_a"},
    "relations_specialist": {"relations_specialist_a"},
    "qa_inspector": {"qa_inspector_a"},
    "trainer": EVERYONE,
    "partner": set(),  # staff data belongs to no partner
}


def test_training_record_list(world, subtests):
    for role in READERS:
        with subtests.test(role=role):
            User.objects.filter(username="trainer_b").update(is_active=False)
            names = {u.pk: u.username for u in User.objects.all()}
            rows = list(
                selectors.training_record_list(user=reader(world, role), year=2026)
            )
            # active staff only
            assert labels(rows, names) == RECORDS[role] - {"trainer_b"}
            for row in rows:
                assert hasattr(row, "training_hours") and hasattr(
                    row, "below_requirement"
                )
                assert not hasattr(row, "valid_certifications")  # no details asked


def test_training_record_list_details_prefetch_the_lists(world):
    rows = list(selectors.training_record_list(user=world.agent_a, details=True))
    assert [r.username for r in rows] == ["agent_a"]
    assert [c.staff_id for c in rows[0].valid_certifications] == [world.agent_a.pk]
    assert [a.staff_id for a in rows[0].open_assignment_list] == [world.agent_a.pk]


def test_may_see_training_record(world, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            seen = selectors.may_see_training_record(
                user=reader(world, role), staff=world.agent_a
            )
            assert seen is ("agent_a" in RECORDS[role])
