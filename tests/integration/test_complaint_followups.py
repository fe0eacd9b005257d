"""Complaint state changes reach the other apps in the same transaction:
the CRM confirmation revisit and training's attitude rule."""

from datetime import timedelta

import pytest

from complaints import services as cs
from crm.models import Revisit
from tests.factories.complaints import make_complaint
from tests.factories.crm import CustomerFactory
from tests.factories.training import CourseFactory
from training.models import Course, TrainingAssignment

pytestmark = pytest.mark.django_db


def _resolve(complaint, handler, **analysis):
    complaint = cs.complaint_start_analysis(actor=handler, complaint=complaint)
    complaint = cs.complaint_record_analysis(
        actor=handler,
        complaint=complaint,
        cause_hypothesis="快递员态度问题",
        cause_type="staff_error",
        **analysis,
    )
    complaint = cs.complaint_start_handling(actor=handler, complaint=complaint)
    complaint = cs.complaint_reply(
        actor=handler,
        complaint=complaint,
        body="非常抱歉，感谢您的反馈，我们已处理，稍后回访确认。",
    )
    return cs.complaint_resolve(
        actor=handler, complaint=complaint, resolution_type="apology"
    )


def test_resolving_plans_one_confirmation_revisit_within_24_hours(org):
    # Given a complaint handled through to resolution
    customer = CustomerFactory(department=org.dept_a)
    complaint = make_complaint(
        actor=org.complaint_handler_a, customer=customer, channel="phone"
    )
    complaint = _resolve(complaint, org.complaint_handler_a)

    # Then exactly one confirmation revisit exists for it, due within 24 h
    revisits = Revisit.objects.filter(key=f"complaint:{complaint.pk}:confirmation")
    assert revisits.count() == 1
    revisit = revisits.get()
    assert revisit.customer == customer
    assert revisit.status == Revisit.Status.PLANNED
    assert (
        complaint.resolved_at
        < revisit.due_at
        <= complaint.resolved_at + timedelta(hours=24)
    )

    # When the complaint is reopened and resolved again, no second revisit appears
    complaint = cs.complaint_reopen(
        actor=org.supervisor_a, complaint=complaint, reason="客户不满意"
    )
    complaint = cs.complaint_start_handling(
        actor=org.complaint_handler_a, complaint=complaint
    )
    complaint = cs.complaint_reply(
        actor=org.complaint_handler_a,
        complaint=complaint,
        body="感谢您的反馈，已重新派送，我们会再次与您联系确认。",
    )
    cs.complaint_resolve(
        actor=org.complaint_handler_a, complaint=complaint, resolution_type="redelivery"
    )
    assert Revisit.objects.filter(customer=customer).count() == 1


def test_second_attitude_complaint_assigns_the_etiquette_course_once(org):
    CourseFactory(code="ETQ-101", topic=Course.Topic.ETIQUETTE, title="服务礼仪")
    courier = org.agent_a
    for _ in range(3):
        complaint = make_complaint(
            actor=org.complaint_handler_a, category="attitude", channel="phone"
        )
        _resolve(complaint, org.complaint_handler_a, attributed_staff=courier)

    assignments = TrainingAssignment.objects.filter(
        staff=courier, reason=TrainingAssignment.Reason.COMPLAINT_PATTERN
    )
    assert assignments.count() == 1
    assert assignments.get().course.code == "ETQ-101"


def test_a_partners_complaint_writes_webhook_rows_as_it_moves(org):
    from partners.models import WebhookDelivery
    from tests.factories.crm import PartnerFactory
    from tests.factories.partners import WebhookEndpointFactory

    # Given a partner subscribed to every event and one subscribed to nothing
    partner = PartnerFactory()
    endpoint = WebhookEndpointFactory(
        partner=partner,
        events=[
            "complaint.created",
            "complaint.status_changed",
            "complaint.replied",
            "complaint.resolved",
        ],
    )
    WebhookEndpointFactory(partner=PartnerFactory(), events=["complaint.created"])

    # When its complaint is received and resolved
    complaint = make_complaint(actor=None, source_partner=partner, channel="api")
    _resolve(complaint, org.admin)

    # Then its endpoint has one delivery per event, in order, and nobody else has any
    rows = list(WebhookDelivery.objects.order_by("pk"))
    assert {row.endpoint_id for row in rows} == {endpoint.pk}
    events = [row.event for row in rows]
    assert events[0] == "complaint.created"
    assert events.count("complaint.replied") == 1
    assert events[-1] == "complaint.resolved"
    changes = [
        (row.payload["data"]["previous_status"], row.payload["data"]["status"])
        for row in rows
        if row.event == "complaint.status_changed"
    ]
    assert ("replied", "resolved") in changes
    assert all(row.complaint_reference == complaint.reference for row in rows)


def test_a_staff_complaint_writes_no_webhook_rows(org):
    from partners.models import WebhookDelivery

    complaint = make_complaint(actor=org.complaint_handler_a)
    _resolve(complaint, org.complaint_handler_a)
    assert not WebhookDelivery.objects.exists()


def test_relations_specialist_registers_a_problem_found_on_a_revisit(org):
    from complaints.services import revisit_complete_with_complaint

    # Given a revisit of a resolved complaint assigned to a relations specialist
    customer = CustomerFactory(department=org.dept_a)
    complaint = make_complaint(actor=org.complaint_handler_a, customer=customer)
    _resolve(complaint, org.complaint_handler_a)
    revisit = Revisit.objects.get(key=f"complaint:{complaint.pk}:confirmation")
    revisit.assignee = org.relations_specialist_a
    revisit.save(update_fields=["assignee"])

    # When the customer reports a new problem on the call
    revisit = revisit_complete_with_complaint(
        actor=org.relations_specialist_a,
        revisit=revisit,
        outcome="reached",
        satisfaction_score=2,
        feedback="又一次延误",
        category="service_quality",
        subject="回访发现：再次延误",
        description="客户回访时反映第二个快件也延误。",
    )

    # Then the follow-up complaint exists for the same customer
    follow_up = revisit.follow_up_complaint
    assert follow_up is not None and follow_up.customer == customer
    assert follow_up.status == "received"
    assert revisit.status == Revisit.Status.DONE
