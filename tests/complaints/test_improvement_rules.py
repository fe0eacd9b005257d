"""分类改进 — closing a complaint starts the improvement its cause type calls
for, exactly once per complaint: process → a CAPA draft for the department's
manager; product → the product owner is told; staff error → the attributed
staff member is coached (training's rule)."""

import pytest

from complaints import services as s
from complaints.models import CorrectiveAction
from crm.models import Notification
from tests.factories.complaints import make_complaint
from tests.factories.training import CourseFactory
from training.models import TrainingAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(org):
    """The organisation with department A's manager on record."""
    org.dept_a.manager = org.manager_a
    org.dept_a.save(update_fields=["manager"])
    org.dept_b.manager = org.manager_b
    org.dept_b.save(update_fields=["manager"])
    return org


def _closed(org, cause_type, *, attributed=None, category="service_quality"):
    lead = org.supervisor_a
    complaint = make_complaint(actor=org.agent_a, category=category)
    complaint = s.complaint_start_analysis(actor=lead, complaint=complaint)
    complaint = s.complaint_record_analysis(
        actor=lead,
        complaint=complaint,
        cause_hypothesis="分拣流程缺少复核环节",
        cause_type=cause_type,
        attributed_staff=attributed,
    )
    complaint = s.complaint_start_handling(actor=lead, complaint=complaint)
    complaint = s.complaint_reply(
        actor=lead, complaint=complaint, body="已处理，感谢反馈，我们会跟进确认。"
    )
    complaint = s.complaint_resolve(
        actor=lead, complaint=complaint, resolution_type="redelivery"
    )
    return s.complaint_close(
        actor=lead, complaint=complaint, root_cause="分拣环节没有二次扫描复核"
    )


def _reopen_and_close_again(org, complaint):
    lead = org.supervisor_a
    complaint = s.complaint_reopen(actor=lead, complaint=complaint, reason="客户不满意")
    complaint = s.complaint_start_handling(actor=lead, complaint=complaint)
    complaint = s.complaint_reply(
        actor=lead,
        complaint=complaint,
        body="感谢您的耐心，已再次处理，我们会跟进确认。",
    )
    complaint = s.complaint_resolve(
        actor=lead, complaint=complaint, resolution_type="redelivery"
    )
    return s.complaint_close(actor=lead, complaint=complaint)


def test_without_a_department_manager_the_team_supervisor_gets_the_draft(org):
    org.dept_a.manager = None
    org.dept_a.save(update_fields=["manager"])
    _closed(org, "process")
    assert CorrectiveAction.objects.get().owner == org.supervisor_a


def test_a_process_cause_drafts_one_capa_for_the_manager(org):
    complaint = _closed(org, "process")

    capa = CorrectiveAction.objects.get()
    assert capa.owner == org.manager_a
    assert capa.status == CorrectiveAction.Status.OPEN
    assert list(capa.complaints.all()) == [complaint]
    assert complaint.reference in capa.title
    assert capa.root_cause == "分拣环节没有二次扫描复核"
    assert capa.department == org.dept_a
    assert Notification.objects.filter(
        recipient=org.manager_a, kind="capa_assigned"
    ).exists()

    _reopen_and_close_again(org, complaint)
    assert CorrectiveAction.objects.count() == 1  # once per complaint


def test_a_product_cause_tells_the_product_owner_once(org, settings):
    complaint = _closed(org, "product")

    note = Notification.objects.get(kind="product_issue")
    assert note.recipient == org.manager_a  # no product owner configured
    assert complaint.reference in note.title
    assert note.body == "分拣环节没有二次扫描复核"
    assert not CorrectiveAction.objects.exists()

    _reopen_and_close_again(org, complaint)
    assert Notification.objects.filter(kind="product_issue").count() == 1

    settings.KEFU_PRODUCT_OWNER = org.manager_b.username
    _closed(org, "product")
    assert (
        Notification.objects.filter(
            kind="product_issue", recipient=org.manager_b
        ).count()
        == 1
    )


def test_a_staff_error_coaches_the_attributed_staff_member_once(org):
    course = CourseFactory(code="svc-skills-01", title="服务技巧提升")
    complaint = _closed(org, "staff_error", attributed=org.agent_a)

    assignment = TrainingAssignment.objects.get()
    assert (assignment.staff, assignment.course) == (org.agent_a, course)
    assert assignment.reason == TrainingAssignment.Reason.COACHING
    assert complaint.reference in assignment.note
    assert Notification.objects.filter(
        recipient=org.agent_a, kind="training.assignment"
    ).exists()

    _reopen_and_close_again(org, complaint)
    assert TrainingAssignment.objects.count() == 1
    assert not CorrectiveAction.objects.exists()


def test_a_staff_error_without_a_course_or_a_person_assigns_nothing(org):
    _closed(org, "staff_error", attributed=org.agent_a)  # no course yet
    CourseFactory(code="svc-skills-01")
    _closed(org, "staff_error")  # nobody attributed
    assert not TrainingAssignment.objects.exists()


def test_other_causes_start_nothing(org):
    _closed(org, "customer_misunderstanding", category="attitude")
    _closed(org, "system_fault")
    assert not CorrectiveAction.objects.exists()
    assert not Notification.objects.filter(kind="product_issue").exists()
    assert not TrainingAssignment.objects.exists()
