"""Revisits: rules plan them once; completion, transitions, scoping."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from complaints.models import Complaint
from config.errors import IllegalTransition, InvalidInput, NotPermitted
from crm import scoping
from crm.models import Customer, Interaction, Revisit, RevisitRule
from crm.services import (
    customer_create,
    revisit_cancel,
    revisit_complete,
    revisit_create,
    revisit_mark_missed,
    revisit_plan_by_rules,
    revisit_plan_for_new_customer,
    revisit_plan_for_resolved_complaint,
    revisit_reassign,
    revisit_reschedule,
)
from tests.factories.complaints import make_complaint
from tests.factories.crm import CustomerFactory, RevisitFactory

pytestmark = pytest.mark.django_db


def _resolved_complaint(customer, assignee=None, resolved_at=None):
    # The planner reads customer, assignee and resolved_at; the complaint's own
    # lifecycle is complaints' business (its followups call the planner).
    complaint = make_complaint(customer=customer)
    Complaint.objects.filter(pk=complaint.pk).update(
        status="resolved", assignee=assignee, resolved_at=resolved_at or timezone.now()
    )
    return Complaint.objects.select_related("customer", "assignee").get(pk=complaint.pk)


def test_default_rules_exist_after_migrate():
    triggers = set(
        RevisitRule.objects.filter(is_active=True).values_list("trigger", flat=True)
    )
    assert {"complaint_resolved", "customer_created", "periodic"} <= triggers


def test_a_resolved_complaint_gets_one_confirmation_revisit_within_24h(org):
    customer = CustomerFactory(department=org.dept_a)
    resolved_at = timezone.now()
    complaint = _resolved_complaint(customer, org.complaint_handler_a, resolved_at)
    first = revisit_plan_for_resolved_complaint(complaint=complaint)
    again = revisit_plan_for_resolved_complaint(complaint=complaint)
    assert first == again
    assert Revisit.objects.filter(customer=customer).count() == 1
    assert first.purpose == Revisit.Purpose.CONFIRMATION
    assert first.assignee == org.complaint_handler_a
    assert resolved_at < first.due_at <= resolved_at + timedelta(hours=24)
    assert first.key == f"complaint:{complaint.pk}:confirmation"
    assert first.complaint == complaint
    assert list(complaint.revisits.all()) == [first]


def test_no_confirmation_revisit_when_the_rule_is_switched_off(org):
    RevisitRule.objects.filter(trigger="complaint_resolved").update(is_active=False)
    customer = CustomerFactory()
    assert (
        revisit_plan_for_resolved_complaint(complaint=_resolved_complaint(customer))
        is None
    )


def test_new_customers_get_a_revisit_at_seven_days_once(org):
    customer = customer_create(
        actor=org.account_manager_a,
        name="新客户",
        phone="13800001000",
        owner=org.account_manager_a,
    )
    revisit = Revisit.objects.get(customer=customer)
    assert revisit.due_at == customer.created_at + timedelta(days=7)
    assert revisit.assignee == org.account_manager_a
    revisit_plan_for_new_customer(customer=customer)
    assert revisit_plan_by_rules() == 0  # the catch-up finds it planned already
    assert Revisit.objects.filter(customer=customer).count() == 1


def test_the_daily_planner_catches_up_customers_created_in_bulk():
    Customer.objects.bulk_create(
        [
            Customer(code=f"B{i}", name=f"批量{i}", phone=f"+8613700000{i:03d}")
            for i in range(5)
        ]
    )
    assert revisit_plan_by_rules() == 5
    assert revisit_plan_by_rules() == 0
    assert Revisit.objects.count() == 5


def test_key_accounts_are_revisited_monthly_and_planning_twice_adds_nothing(org):
    key = CustomerFactory(
        tier=Customer.Tier.KEY, owner=org.account_manager_a, consent_to_contact=True
    )
    CustomerFactory(tier=Customer.Tier.REGULAR)
    Revisit.objects.all().delete()  # only the periodic rule's revisits below
    now = timezone.make_aware(datetime(2026, 3, 28, 9, 0))
    RevisitRule.objects.exclude(trigger="periodic").update(is_active=False)
    planned = revisit_plan_by_rules(now=now)
    assert planned == 1  # April 1st 10:00 is within a week; March 1st is long past
    revisit = Revisit.objects.get()
    assert revisit.customer == key and revisit.assignee == org.account_manager_a
    assert timezone.localtime(revisit.due_at) == timezone.make_aware(
        datetime(2026, 4, 1, 10, 0)
    )
    assert revisit_plan_by_rules(now=now) == 0
    assert revisit_plan_by_rules(now=now + timedelta(days=3)) == 0
    # The following month plans the next one.
    assert revisit_plan_by_rules(now=now + timedelta(days=31)) == 1


def test_birthday_care_is_planned_once_a_year():
    RevisitRule.objects.exclude(trigger="birthday").update(is_active=False)
    RevisitRule.objects.filter(trigger="birthday").update(is_active=True, tier="")
    now = timezone.make_aware(datetime(2026, 6, 10, 8, 0))
    CustomerFactory(birthday=date(1990, 6, 12), consent_to_contact=True)
    CustomerFactory(birthday=date(1990, 9, 1), consent_to_contact=True)
    assert revisit_plan_by_rules(now=now) == 1
    assert revisit_plan_by_rules(now=now + timedelta(days=1)) == 0
    revisit = Revisit.objects.get()
    assert timezone.localtime(revisit.due_at).date() == date(2026, 6, 12)


def test_complete_records_outcome_and_an_interaction(org):
    revisit = RevisitFactory(
        customer=CustomerFactory(department=org.dept_a),
        assignee=org.relations_specialist_a,
    )
    done = revisit_complete(
        actor=org.relations_specialist_a,
        revisit=revisit,
        outcome="reached",
        satisfaction_score=4,
        feedback="满意",
    )
    assert done.status == Revisit.Status.DONE and done.satisfaction_score == 4
    assert done.on_time and done.done_by == org.relations_specialist_a
    interaction = Interaction.objects.get(revisit=done)
    assert interaction.direction == "outbound" and interaction.summary == "满意"
    # Twice: unchanged, no second interaction.
    revisit_complete(
        actor=org.relations_specialist_a, revisit=revisit, outcome="not_reached"
    )
    assert Revisit.objects.get(pk=revisit.pk).outcome == "reached"
    assert Interaction.objects.filter(revisit=done).count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "reached", "satisfaction_score": 6}, "satisfaction_score"),
        ({"outcome": "not_reached", "satisfaction_score": 3}, "satisfaction_score"),
    ],
)
def test_complete_refuses_bad_input(org, kwargs, field):
    revisit = RevisitFactory(customer=CustomerFactory(department=org.dept_a))
    with pytest.raises(InvalidInput) as exc:
        revisit_complete(actor=org.manager_a, revisit=revisit, **kwargs)
    assert exc.value.field == field
    assert Revisit.objects.get(pk=revisit.pk).status == "planned"


def test_complete_refuses_staff_outside_scope(org):
    revisit = RevisitFactory(customer=CustomerFactory(department=org.dept_b))
    with pytest.raises(NotPermitted):
        revisit_complete(
            actor=org.relations_specialist_a, revisit=revisit, outcome="reached"
        )


def test_cancelled_revisits_cannot_be_completed(org):
    revisit = RevisitFactory(customer=CustomerFactory(department=org.dept_a))
    revisit_cancel(actor=org.manager_a, revisit=revisit, reason="客户要求")
    with pytest.raises(IllegalTransition):
        revisit_complete(actor=org.manager_a, revisit=revisit, outcome="reached")


def test_missed_then_done_late_counts_as_not_on_time(org):
    revisit = RevisitFactory(
        customer=CustomerFactory(department=org.dept_a),
        due_at=timezone.now() - timedelta(days=2),
    )
    revisit_mark_missed(actor=org.manager_a, revisit=revisit)
    done = revisit_complete(actor=org.manager_a, revisit=revisit, outcome="reached")
    assert done.status == "done" and not done.on_time


def test_reassign_and_reschedule_reset_the_reminder(org):
    revisit = RevisitFactory(
        customer=CustomerFactory(department=org.dept_a),
        assignee=org.relations_specialist_a,
        reminded_at=timezone.now(),
    )
    revisit = revisit_reassign(
        actor=org.manager_a, revisit=revisit, assignee=org.account_manager_a
    )
    assert revisit.reminded_at is None and revisit.assignee == org.account_manager_a
    revisit = revisit_reschedule(
        actor=org.manager_a, revisit=revisit, due_at=timezone.now() + timedelta(days=3)
    )
    assert revisit.escalated_at is None


def test_manual_revisit_needs_the_add_permission(org):
    customer = CustomerFactory(department=org.dept_a)
    with pytest.raises(NotPermitted):
        revisit_create(
            actor=org.agent_a, customer=customer, purpose="care", due_at=timezone.now()
        )
    revisit = revisit_create(
        actor=org.relations_specialist_a,
        customer=customer,
        purpose="win_back",
        due_at=timezone.now(),
        assignee=org.relations_specialist_a,
    )
    assert revisit.key.startswith("manual:")


def test_revisit_scoping_per_role(org):
    mine = RevisitFactory(
        customer=CustomerFactory(department=org.dept_a), assignee=org.agent_a
    )
    dept_a = RevisitFactory(customer=CustomerFactory(department=org.dept_a))
    owned = RevisitFactory(
        customer=CustomerFactory(department=org.dept_b, owner=org.account_manager_a)
    )
    dept_b = RevisitFactory(customer=CustomerFactory(department=org.dept_b))
    qs = Revisit.objects.all()

    def visible(user):
        return set(scoping.visible_to(user, qs))

    assert visible(org.relations_specialist_a) == {mine, dept_a}
    assert visible(org.manager_a) == {mine, dept_a}
    assert visible(org.supervisor_a) == {mine}  # their team's assignee
    assert visible(org.agent_a) == {mine}
    assert visible(org.account_manager_a) == {owned}
    assert visible(org.relations_specialist_b) == {owned, dept_b}
    assert visible(org.admin) == {mine, dept_a, owned, dept_b}
    assert visible(org.trainer_a) == set()


def test_holiday_care_plans_one_revisit_per_customer_and_year(org):
    RevisitRule.objects.update(is_active=False)
    RevisitRule.objects.create(
        name="春节关怀",
        trigger="holiday",
        tier="key",
        purpose="care",
        method="sms",
        offset_hours=9,
        holiday_month=2,
        holiday_day=17,
    )
    key = CustomerFactory(tier=Customer.Tier.KEY, consent_to_contact=True)
    CustomerFactory(tier=Customer.Tier.REGULAR, consent_to_contact=True)
    now = timezone.make_aware(datetime(2026, 2, 12, 8, 0))
    assert revisit_plan_by_rules(now=now) == 1
    assert revisit_plan_by_rules(now=now + timedelta(days=2)) == 0
    revisit = Revisit.objects.get()
    assert revisit.customer == key
    assert timezone.localtime(revisit.due_at) == timezone.make_aware(
        datetime(2026, 2, 17, 9, 0)
    )
    # Next year's holiday is a new occasion.
    assert revisit_plan_by_rules(now=now + timedelta(days=365)) == 1


def test_periodic_revisits_and_greetings_need_marketing_consent(org):
    """Issue 13: periodic revisits and greetings (birthday, holiday) only for
    customers who consented to be contacted; the confirmation revisit after a
    complaint is transactional and needs no consent."""
    from tests.factories.complaints import walk

    RevisitRule.objects.filter(trigger="birthday").update(is_active=True, tier="")
    RevisitRule.objects.create(
        name="春节关怀",
        trigger="holiday",
        purpose="care",
        method="sms",
        offset_hours=9,
        holiday_month=6,
        holiday_day=12,
    )
    Revisit.objects.all().delete()
    yes = CustomerFactory(
        tier=Customer.Tier.KEY, birthday=date(1990, 6, 12), consent_to_contact=True
    )
    no = CustomerFactory(
        tier=Customer.Tier.KEY,
        birthday=date(1990, 6, 12),
        consent_to_contact=False,
        department=org.dept_a,
    )
    now = timezone.make_aware(datetime(2026, 6, 10, 8, 0))

    revisit_plan_by_rules(now=now)

    planned = set(Revisit.objects.values_list("customer_id", "rule__trigger"))
    assert (yes.pk, "birthday") in planned and (yes.pk, "holiday") in planned
    marketing = {"periodic", "birthday", "holiday"}
    assert not {(c, t) for c, t in planned if c == no.pk and t in marketing}
    # (the new customer's welcome call is transactional: both get it)
    assert (no.pk, "customer_created") in planned
    # Transactional: the confirmation revisit of a resolved complaint.
    complaint = make_complaint(actor=org.agent_a, customer=no)
    walk(complaint, "resolved", actor=org.admin)
    revisit_plan_for_resolved_complaint(complaint=complaint)
    assert Revisit.objects.filter(customer=no, purpose="confirmation").exists()
