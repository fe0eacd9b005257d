"""Every scoped crm selector, read by each role (and by a partner where the API
reaches it): the rows in the reader's scope come back, the others do not.

The world: customers of department A (``a``), of account manager A (``am``, in
department A), of department B (``b``) and of partner P (``p``); each has a
contact, an interaction and a revisit (A's assigned to relations specialist A,
overdue; B's to relations specialist B; the others unassigned), a privacy request
and an access-log row where it has a department; partner P knows ``a`` and
``b`` by its own ids.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.models import Category
from crm import selectors
from crm.models import (
    Department,
    Notification,
    PersonalDataAccess,
    Revisit,
    RevisitRule,
    Team,
    User,
)
from crm.services import personal_data_access_log, privacy_request_create
from tests.factories import CustomerFactory, PartnerFactory
from tests.factories.crm import (
    ContactFactory,
    CustomerExternalIdFactory,
    InteractionFactory,
    RevisitFactory,
)
from tests.factories.readers import READERS, STAFF_READERS, labels, reader

pytestmark = pytest.mark.django_db

DEPT_A = {"a", "am"}
CUSTOMERS = {
    "admin": {"a", "am", "b", "p"},
    "manager": DEPT_A,  # front-line roles find any caller of their department
    "supervisor": DEPT_A,
    "agent": DEPT_A,
    "complaint_handler": DEPT_A,
    "account_manager": {"am"},  # their own customers
    "relations_specialist": DEPT_A,
    "qa_inspector": DEPT_A,
    "trainer": set(),
    "partner": {"p"},  # the customers it registered
}
REVISITS = {
    "admin": {"a", "am", "b", "p"},
    "manager": DEPT_A,  # department
    "supervisor": {"a"},  # the assignee is in their team
    "agent": set(),
    "complaint_handler": set(),
    "account_manager": {"am"},  # their customer's
    "relations_specialist": DEPT_A,  # department
    "qa_inspector": set(),
    "trainer": set(),
    "partner": {"p"},
}


@pytest.fixture
def world(org):
    w = org
    w.partner = PartnerFactory(code="partner-p")
    w.customers = {
        "a": CustomerFactory(department=org.dept_a),
        "am": CustomerFactory(owner=org.account_manager_a),
        "b": CustomerFactory(department=org.dept_b),
        "p": CustomerFactory(partner=w.partner),
    }
    w.names = {c.pk: label for label, c in w.customers.items()}
    w.contacts, w.interactions, w.revisits = {}, {}, {}
    assignees = {"a": org.relations_specialist_a, "b": org.relations_specialist_b}
    for label, customer in w.customers.items():
        w.contacts[ContactFactory(customer=customer).pk] = label
        w.interactions[InteractionFactory(customer=customer).pk] = label
        revisit = RevisitFactory(
            customer=customer,
            assignee=assignees.get(label),
            due_at=timezone.now() - timedelta(hours=1),
        )
        w.revisits[revisit.pk] = label
    w.external_ids = {
        CustomerExternalIdFactory(customer=w.customers[label], partner=w.partner).pk: (
            label
        )
        for label in ("a", "b")
    }
    w.privacy, w.access = {}, {}
    for side in ("a", "b"):
        manager = getattr(org, f"manager_{side}")
        customer = w.customers[side]
        request = privacy_request_create(
            actor=manager, customer=customer, kind="export", requested_by="客户本人"
        )
        w.privacy[request.pk] = side
        row = personal_data_access_log(
            actor=manager, customer=customer, action=PersonalDataAccess.Action.VIEW
        )
        w.access[row.pk] = side
    return w


def test_customer_list(world, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            rows = selectors.customer_list(user=reader(world, role))
            assert labels(rows, world.names) == CUSTOMERS[role]


def test_customer_list_for_api(world, subtests):
    """The API's list, with the caller's own id of each customer."""
    for role in READERS:
        with subtests.test(role=role):
            user = reader(world, role, partner=world.partner)
            partner = world.partner if role == "partner" else None
            rows = list(selectors.customer_list_for_api(user=user, partner=partner))
            assert labels(rows, world.names) == CUSTOMERS[role]
            for row in rows:
                expected = (
                    world.customers[world.names[row.pk]].external_ids.get().external_id
                    if partner is not None and world.names[row.pk] in ("a", "b")
                    else None
                )
                assert row.caller_external_id == expected


def test_customer_for_caller_reads_the_callers_external_id(world):
    customer = world.customers["a"]
    mine = selectors.customer_for_caller(customer=customer, partner=world.partner)
    assert mine.caller_external_id == customer.external_ids.get().external_id
    in_house = selectors.customer_for_caller(customer=customer, partner=None)
    assert in_house.caller_external_id is None


def test_contact_list(world, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            rows = selectors.contact_list(user=reader(world, role))
            assert labels(rows, world.contacts) == CUSTOMERS[role]


def test_customer_external_id_list(world, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            rows = selectors.customer_external_id_list(user=reader(world, role))
            assert labels(rows, world.external_ids) == CUSTOMERS[role] & {"a", "b"}


def test_interaction_list(world, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            rows = selectors.interaction_list(user=reader(world, role))
            assert labels(rows, world.interactions) == CUSTOMERS[role]


def test_revisit_list(world, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            rows = selectors.revisit_list(user=reader(world, role))
            assert labels(rows, world.revisits) == REVISITS[role]


def test_revisit_list_for_api(world, subtests):
    for role in READERS:
        with subtests.test(role=role):
            user = reader(world, role, partner=world.partner)
            rows = list(selectors.revisit_list_for_api(user=user))
            assert labels(rows, world.revisits) == REVISITS[role]
            for row in rows:
                assert "phone" in row.customer.get_deferred_fields()


def test_revisits_due_today_are_the_readers_own(world, subtests):
    """Only relations specialist A is the assignee of a revisit due today (it
    is overdue); an administrator sees every revisit, yet only their own here."""
    for role in STAFF_READERS:
        with subtests.test(role=role):
            rows = selectors.revisits_due_today(user=reader(world, role))
            expected = {"a"} if role == "relations_specialist" else set()
            assert labels(rows, world.revisits) == expected


PRIVACY = {
    "admin": {"a", "b"},
    "manager": {"a"},  # department (and recorded by them)
    **{role: set() for role in STAFF_READERS if role not in ("admin", "manager")},
}


def test_privacy_request_list(world, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            rows = selectors.privacy_request_list(user=reader(world, role))
            assert labels(rows, world.privacy) == PRIVACY[role]


def test_personal_data_access_list(world, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            rows = selectors.personal_data_access_list(user=reader(world, role))
            assert labels(rows, world.access) == PRIVACY[role]


def test_notification_inbox_is_ones_own(org, subtests):
    names = {}
    for user in (org.admin, org.agent_a, org.agent_b):
        row = Notification.objects.create(
            recipient=user, kind="test", title="提醒", key=f"test:{user.pk}"
        )
        names[row.pk] = user.username
    for role in STAFF_READERS:
        with subtests.test(role=role):
            user = reader(org, role)
            rows = selectors.notification_inbox(user=user)
            expected = {user.username} & {"admin_x", "agent_a"}
            assert labels(rows, names) == expected


def _staff(org) -> dict[int, str]:
    return {u.pk: u.username for u in User.objects.all()}


# the org's staff of each side: every role's member, the technician included
STAFF_A = {f"{role}_a" for role in (*STAFF_READERS, "technician") if role != "admin"}
STAFF_B = {f"{role}_b" for role in (*STAFF_READERS, "technician") if role != "admin"}
EVERYONE = STAFF_A | STAFF_B | {"admin_x"}
STAFF = {
    "admin": EVERYONE,
    "manager": STAFF_A,  # department
    "supervisor": STAFF_A,  # team
    "agent": {"agent_a"},  # themselves
    "complaint_handler": {"complaint_handler_a"},
    "account_manager": {"account_manager_a"},
    "relations_specialist": {"relations_specialist_a"},
    "qa_inspector": EVERYONE,
    "trainer": EVERYONE,
}


def test_staff_list(org, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            rows = list(selectors.staff_list(user=reader(org, role)))
            assert labels(rows, _staff(org)) == STAFF[role]
            if rows:  # the roles come prefetched (the list shows them)
                assert "groups" in rows[0]._prefetched_objects_cache


def test_department_list(org, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            names = {d.pk: d.code for d in Department.objects.all()}
            rows = selectors.department_list(user=reader(org, role))
            everything = {"dept-a", "dept-b"}
            expected = (
                everything
                if role in ("admin", "qa_inspector", "trainer")
                else {"dept-a"}
            )
            assert labels(rows, names) == expected


def test_team_list(org, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            names = {t.pk: t.code for t in Team.objects.all()}
            rows = selectors.team_list(user=reader(org, role))
            everything = {"team-a", "team-b"}
            expected = (
                everything
                if role in ("admin", "qa_inspector", "trainer")
                else {"team-a"}
            )
            assert labels(rows, names) == expected


def test_configuration_rows(org, subtests):
    """Configuration is whole for every staff role, nothing for a partner."""
    for role in READERS:
        with subtests.test(role=role):
            partner = PartnerFactory()
            rows = selectors.configuration_rows(
                user=reader(org, role, partner=partner), model=Category
            )
            assert Category.objects.count() > 0
            expected = 0 if role == "partner" else Category.objects.count()
            assert rows.count() == expected


def test_configuration_rows_refuses_a_scoped_model(org):
    with pytest.raises(selectors.NotConfiguration):
        selectors.configuration_rows(user=org.admin, model=Revisit)


# --- system reads (sweeps and the planner) ---------------------------------------


def test_revisit_sweep_selectors(world):
    now = timezone.now()
    overdue = set(world.revisits)  # every revisit of the world is an hour late
    assert {r.pk for r in selectors.revisits_to_remind(until=now)} == overdue
    assert {r.pk for r in selectors.revisits_to_escalate(now=now)} == overdue
    later = RevisitFactory(
        customer=world.customers["a"], due_at=now + timedelta(minutes=30)
    )
    assert later not in selectors.revisits_to_escalate(now=now)
    assert later in selectors.revisits_to_remind(until=now + timedelta(hours=1))
    Revisit.objects.filter(pk=later.pk).update(reminded_at=now)
    assert later not in selectors.revisits_to_remind(until=now + timedelta(hours=1))
    Revisit.objects.filter(pk=later.pk).update(status=Revisit.Status.CANCELLED)
    assert later not in selectors.revisits_to_escalate(now=now + timedelta(days=1))


def test_planner_selectors(world):
    active = set(selectors.revisit_rules_active())
    assert active == set(RevisitRule.objects.filter(is_active=True))
    rule = RevisitRule(tier="key", is_active=True)
    key_account = CustomerFactory(tier="key")
    churned = CustomerFactory(tier="key", lifecycle="churned")
    found = set(selectors.customers_for_revisit_rule(rule=rule))
    assert key_account in found and churned not in found
    assert world.customers["a"] not in found  # another tier
    anyone = set(selectors.customers_for_revisit_rule(rule=RevisitRule(tier="")))
    assert set(world.customers.values()) <= anyone
