"""Every complaints selector, read by each role (and by a partner where the API
reaches it): the rows in the reader's scope come back, the others do not.

The world: complaints of department A (``a``: team A, unassigned; ``am``: the
customer of account manager A; ``arch``: closed and archived, team A), of
department B (``b``) and of partner P's intake (``p``); each has a note, a reply
and an attachment besides its events and SLA clocks, and a survey.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from complaints import selectors
from complaints import services as s
from complaints.models import (
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    ComplaintNote,
    ComplaintReply,
    SatisfactionSurvey,
    SlaTarget,
)
from tests.factories import CustomerFactory, PartnerFactory
from tests.factories.complaints import make_complaint, walk
from tests.factories.readers import READERS, STAFF_READERS, labels, reader

pytestmark = pytest.mark.django_db

A = {"a", "am", "arch"}
ALL = A | {"b", "p"}
# Complaints (and every child row of a complaint) per reader.
COMPLAINTS = {
    "admin": ALL,
    "manager": A,  # department
    "supervisor": A,  # team
    "agent": A,  # unassigned complaints of the team
    "complaint_handler": A,
    "account_manager": {"am"},  # their customer's
    "relations_specialist": A,  # department
    "qa_inspector": A,  # department
    "trainer": set(),
    "partner": {"p"},  # its own intake
}


@pytest.fixture
def world(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = org
    w.partner = PartnerFactory(code="partner-p")
    cust_a = CustomerFactory(department=org.dept_a)
    cust_am = CustomerFactory(owner=org.account_manager_a)
    cust_b = CustomerFactory(department=org.dept_b)
    cust_p = CustomerFactory(partner=w.partner)
    w.complaints = {
        "a": make_complaint(actor=org.supervisor_a, customer=cust_a),
        "am": make_complaint(actor=org.account_manager_a, customer=cust_am),
        "arch": make_complaint(actor=org.supervisor_a, customer=cust_a),
        "b": make_complaint(actor=org.supervisor_b, customer=cust_b),
        "p": make_complaint(actor=None, customer=cust_p, source_partner=w.partner),
    }
    for complaint in w.complaints.values():
        s.complaint_add_note(actor=org.admin, complaint=complaint, body="内部备注")
        s.complaint_reply(actor=org.admin, complaint=complaint, body="您好")
        s.complaint_attach(
            actor=org.admin,
            complaint=complaint,
            file=SimpleUploadedFile("a.txt", b"hello", "text/plain"),
        )
    arch = walk(w.complaints["arch"], "closed", actor=org.supervisor_a)
    w.complaints["arch"] = s.complaint_archive(actor=org.manager_a, complaint=arch)
    for label in ("a", "am", "b", "p"):  # "arch" got its survey at resolution
        complaint = w.complaints[label]
        SatisfactionSurvey.objects.create(
            complaint=complaint, customer=complaint.customer, created_at=timezone.now()
        )
    w.names = {c.pk: label for label, c in w.complaints.items()}
    return w


def _by_complaint(rows, world) -> set[str]:
    return {world.names.get(row.complaint_id, f"unexpected:{row.pk}") for row in rows}


def test_the_world_is_what_the_tables_say(world):
    arch = world.complaints["arch"]
    assert arch.is_archived and arch.status == Complaint.Status.CLOSED
    assert world.complaints["a"].team == world.team_a
    assert world.complaints["a"].assignee is None
    assert world.complaints["p"].team is None
    for model in (ComplaintNote, ComplaintReply, ComplaintAttachment):
        assert _by_complaint(model.objects.all(), world) == ALL, model
    assert _by_complaint(SatisfactionSurvey.objects.all(), world) == ALL


def test_complaint_list(world, subtests):
    for role in READERS:
        with subtests.test(role=role):
            user = reader(world, role, partner=world.partner)
            rows = selectors.complaint_list(user=user)
            assert labels(rows, world.names) == COMPLAINTS[role]


def test_complaint_list_for_api(world, subtests):
    """The API's list: same rows (archived included), the partner's external
    id of the customer, no identifiers loaded."""
    for role in READERS:
        with subtests.test(role=role):
            user = reader(world, role, partner=world.partner)
            rows = list(selectors.complaint_list_for_api(user=user))
            assert labels(rows, world.names) == COMPLAINTS[role]
            for row in rows:
                assert "phone" in row.customer.get_deferred_fields()
                assert hasattr(row, "customer_external_id")


def test_complaint_timeline(world, subtests):
    """The events of one complaint of department A (partners: of their own,
    customer-visible ones only)."""
    for role in READERS:
        with subtests.test(role=role):
            user = reader(world, role, partner=world.partner)
            mine = "p" if role == "partner" else "a"
            complaint = world.complaints[mine]
            events = list(
                selectors.complaint_timeline(
                    user=user,
                    complaint=complaint,
                    customer_visible_only=role == "partner",
                )
            )
            if mine in COMPLAINTS[role]:
                everything = ComplaintEvent.objects.filter(complaint=complaint)
                if role == "partner":
                    everything = everything.filter(customer_visible=True)
                assert [e.pk for e in events] == list(
                    everything.order_by("created_at", "pk").values_list("pk", flat=True)
                )
                assert events
            else:
                assert events == []
            # Another complaint's events never come back.
            other = world.complaints["b"]
            assert not [e for e in events if e.complaint_id == other.pk]


CHILD_SELECTORS = {
    "complaint_event_list": ComplaintEvent,
    "complaint_reply_list": ComplaintReply,
    "complaint_note_list": ComplaintNote,
    "complaint_attachment_list": ComplaintAttachment,
    "sla_target_list": SlaTarget,
    "satisfaction_survey_list": SatisfactionSurvey,
}


@pytest.mark.parametrize("name", sorted(CHILD_SELECTORS))
def test_child_row_selectors_follow_the_complaint(world, name, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            user = reader(world, role)
            rows = list(getattr(selectors, name)(user=user))
            assert {type(row) for row in rows} <= {CHILD_SELECTORS[name]}
            assert _by_complaint(rows, world) == COMPLAINTS[role]


WORKERS_A = {"manager_a", "supervisor_a", "agent_a", "complaint_handler_a"}
WORKERS_B = {"manager_b", "supervisor_b", "agent_b", "complaint_handler_b"}
WORKERS = {
    "admin": WORKERS_A | WORKERS_B,
    "manager": WORKERS_A,  # staff of the department
    "supervisor": WORKERS_A,  # of the department
    # themselves, and whom they hand a complaint to: handlers, supervisors
    "agent": {"agent_a", "complaint_handler_a", "supervisor_a"},
    "complaint_handler": {"complaint_handler_a", "supervisor_a"},
    "account_manager": set(),  # themselves, not a worker
    "relations_specialist": set(),
    "qa_inspector": WORKERS_A | WORKERS_B,  # all staff
    "trainer": WORKERS_A | WORKERS_B,
}


def test_complaint_worker_list(world, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            user = reader(world, role)
            rows = selectors.complaint_worker_list(user=user)
            assert {u.username for u in rows} == WORKERS[role]


CAPA = {
    "admin": {"a", "b"},
    "manager": {"a"},  # department
    "supervisor": {"a"},  # team, and its creator
    "agent": set(),
    "complaint_handler": {"a"},  # its owner
    "account_manager": set(),
    "relations_specialist": set(),
    "qa_inspector": {"a"},  # department
    "trainer": set(),
}


def test_corrective_action_list(org, subtests):
    due = timezone.localdate() + timedelta(days=30)
    names = {}
    for side in ("a", "b"):
        capa = s.capa_create(
            actor=getattr(org, f"supervisor_{side}"),
            title="派送员培训",
            root_cause="派送员未按约定时间派送",
            action="组织礼仪培训",
            owner=getattr(org, f"complaint_handler_{side}"),
            due_date=due,
        )
        names[capa.pk] = side
    for role in STAFF_READERS:
        with subtests.test(role=role):
            rows = selectors.corrective_action_list(user=reader(org, role))
            assert labels(rows, names) == CAPA[role]


def test_capa_event_list(org, subtests):
    """A CAPA's history is read by whoever may read the CAPA (same table)."""
    due = timezone.localdate() + timedelta(days=30)
    names = {}
    for side in ("a", "b"):
        capa = s.capa_create(
            actor=getattr(org, f"supervisor_{side}"),
            title="派送员培训",
            root_cause="派送员未按约定时间派送",
            action="组织礼仪培训",
            owner=getattr(org, f"complaint_handler_{side}"),
            due_date=due,
        )
        for event in capa.events.all():
            names[event.pk] = side
    assert len(names) == 2  # one "created" event each
    for role in STAFF_READERS:
        with subtests.test(role=role):
            rows = selectors.capa_event_list(user=reader(org, role))
            assert labels(rows, names) == CAPA[role]


ATTACHMENT_READERS = {"admin", "manager", "supervisor", "agent", "complaint_handler"}


def test_attachment_for_download(world, subtests):
    """Roles with the permission download the files of complaints in scope."""
    for role in STAFF_READERS:
        with subtests.test(role=role):
            user = reader(world, role)
            for label, complaint in world.complaints.items():
                attachment = complaint.attachments.get()
                found = selectors.attachment_for_download(user=user, pk=attachment.pk)
                may = role in ATTACHMENT_READERS and label in COMPLAINTS[role]
                assert (found == attachment) is may, label
                assert found is None or found.complaint_id == complaint.pk


# --- system reads and figures ---------------------------------------------------


def test_sla_targets_excludes_cancelled_clocks_and_follows_the_complaints(world):
    arch = world.complaints["arch"]
    everything = selectors.sla_targets()
    assert not everything.filter(cancelled_at__isnull=False).exists()
    assert SlaTarget.objects.filter(complaint=arch, cancelled_at__isnull=False)
    only_a = selectors.sla_targets(
        Complaint.objects.filter(pk=world.complaints["a"].pk)
    )
    assert {t.complaint_id for t in only_a} == {world.complaints["a"].pk}


def test_sla_sweep_selectors_pick_running_clocks_past_their_points(world):
    complaint = world.complaints["b"]
    target = SlaTarget.objects.filter(complaint=complaint, met_at__isnull=True).first()
    assert target is not None
    before_warning = target.warn_at - timedelta(minutes=1)
    after_due = target.due_at + timedelta(minutes=1)
    assert target not in selectors.sla_targets_to_warn(now=before_warning)
    assert target in selectors.sla_targets_to_warn(now=target.warn_at)
    assert target not in selectors.sla_targets_to_breach(now=target.due_at)
    assert target in selectors.sla_targets_to_breach(now=after_due)
    # warned / breached / paused / met / cancelled clocks are not picked again
    SlaTarget.objects.filter(pk=target.pk).update(warned_at=target.warn_at)
    assert target not in selectors.sla_targets_to_warn(now=after_due)
    SlaTarget.objects.filter(pk=target.pk).update(paused_at=target.warn_at)
    assert target not in selectors.sla_targets_to_breach(now=after_due)
    # archived (closed) complaints' clocks are cancelled: never swept
    arch = world.complaints["arch"]
    far = timezone.now() + timedelta(days=365)
    assert not selectors.sla_targets_to_breach(now=far).filter(complaint=arch)
    assert not selectors.sla_targets_to_warn(now=far).filter(complaint=arch)


def test_open_complaints_under_policy_leaves_out_final_ones(world):
    policy_id = world.complaints["a"].sla_policy_id
    rows = selectors.open_complaints_under_policy(policy_id=policy_id)
    assert labels(rows, world.names) == {
        label
        for label, c in world.complaints.items()
        if c.sla_policy_id == policy_id and label != "arch"
    }
    assert "a" in labels(rows, world.names)
