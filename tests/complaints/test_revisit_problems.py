"""A problem found on a revisit becomes a new complaint (complaints'
``revisit_complete_with_complaint``, above crm's revisit services)."""

import pytest

from complaints.models import Complaint
from complaints.services import revisit_complete_with_complaint
from config.errors import InvalidInput, NotPermitted
from crm.models import Interaction, Revisit
from crm.services import revisit_complete
from tests.factories.crm import CustomerFactory, RevisitFactory

pytestmark = pytest.mark.django_db


def test_completing_with_a_problem_found_registers_a_follow_up_complaint(org):
    # Given a planned revisit of an account manager's customer
    # (complaints lets account managers, not relations specialists, receive
    # complaints: the report asks the lead to add the latter.)
    customer = CustomerFactory(department=org.dept_a, owner=org.account_manager_a)
    revisit = RevisitFactory(customer=customer, assignee=org.account_manager_a)

    # When the call is recorded with a problem found
    done = revisit_complete_with_complaint(
        actor=org.account_manager_a,
        revisit=revisit,
        outcome="reached",
        satisfaction_score=2,
        feedback="快递员态度差",
        category="attitude",
        subject="回访发现：快递员态度差",
    )

    # Then the revisit is done and names a new complaint of the same customer
    assert done.status == Revisit.Status.DONE and done.satisfaction_score == 2
    follow_up = Revisit.objects.get(pk=revisit.pk).follow_up_complaint
    assert follow_up is not None and follow_up == done.follow_up_complaint
    assert follow_up.customer == customer and follow_up.status == "received"
    assert follow_up.category.code == "attitude"
    assert follow_up.subject == "回访发现：快递员态度差"
    assert follow_up.description == "快递员态度差"  # the feedback by default
    assert follow_up.channel == Complaint.Channel.PHONE
    assert Interaction.objects.filter(revisit=revisit).count() == 1


def test_a_follow_up_needs_a_known_category(org):
    revisit = RevisitFactory(customer=CustomerFactory(department=org.dept_a))
    with pytest.raises(InvalidInput) as refused:
        revisit_complete_with_complaint(
            actor=org.manager_a,
            revisit=revisit,
            outcome="reached",
            category="nope",
            subject="x",
        )
    assert refused.value.field == "category"
    # All or nothing: the revisit stays planned, no interaction, no complaint.
    assert Revisit.objects.get(pk=revisit.pk).status == "planned"
    assert not Interaction.objects.filter(revisit=revisit).exists()
    assert not Complaint.objects.exists()


def test_a_follow_up_needs_a_subject(org):
    revisit = RevisitFactory(customer=CustomerFactory(department=org.dept_a))
    with pytest.raises(InvalidInput) as refused:
        revisit_complete_with_complaint(
            actor=org.manager_a,
            revisit=revisit,
            outcome="reached",
            category="attitude",
            subject="  ",
        )
    assert refused.value.field == "subject"
    assert Revisit.objects.get(pk=revisit.pk).status == "planned"


def test_the_revisit_is_checked_before_the_complaint(org):
    # An invalid outcome is reported as such, whatever the complaint's fields.
    revisit = RevisitFactory(customer=CustomerFactory(department=org.dept_a))
    with pytest.raises(InvalidInput) as refused:
        revisit_complete_with_complaint(
            actor=org.manager_a,
            revisit=revisit,
            outcome="maybe",
            category="nope",
            subject="",
        )
    assert refused.value.field == "outcome"


def test_a_revisit_already_done_is_returned_unchanged_without_a_complaint(org):
    customer = CustomerFactory(department=org.dept_a, owner=org.account_manager_a)
    revisit = RevisitFactory(customer=customer, assignee=org.account_manager_a)
    revisit_complete(actor=org.account_manager_a, revisit=revisit, outcome="reached")

    again = revisit_complete_with_complaint(
        actor=org.account_manager_a,
        revisit=revisit,
        outcome="reached",
        category="attitude",
        subject="回访发现：再次投诉",
    )

    assert again.follow_up_complaint_id is None
    assert not Complaint.objects.exists()
    assert Interaction.objects.filter(revisit=revisit).count() == 1


def test_someone_outside_the_revisits_scope_is_refused(org):
    revisit = RevisitFactory(customer=CustomerFactory(department=org.dept_a))
    with pytest.raises(NotPermitted):
        revisit_complete_with_complaint(
            actor=org.agent_b,
            revisit=revisit,
            outcome="reached",
            category="attitude",
            subject="x",
        )
    assert not Complaint.objects.exists()


def test_query_count_of_a_problem_found(org, django_assert_num_queries):
    """Pinned: the revisit (lock, completion, interaction, link) plus the
    complaint's own intake (reference, routing, SLA clocks, event, follow-ups,
    the customer's acknowledgement: 4)."""
    customer = CustomerFactory(department=org.dept_a, owner=org.account_manager_a)
    revisit = RevisitFactory(customer=customer, assignee=org.account_manager_a)
    with django_assert_num_queries(47):
        revisit_complete_with_complaint(
            actor=org.account_manager_a,
            revisit=revisit,
            outcome="reached",
            category="attitude",
            subject="回访发现：快递员态度差",
        )
