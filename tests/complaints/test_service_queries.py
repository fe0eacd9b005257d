"""Query counts of every complaints write service, pinned exactly.

Each service runs once on a representative complaint: received by an agent of
team A for a customer of department A, assigned to the team's complaint handler,
and moved to the status the service needs by the services themselves. Everything
the caller hands in is re-read first, outside the count, the way a request has it
(the user from the session, the complaint from the view's ``get_object``), so the
counts include reading the actor's roles (one query, then cached on the user).
Counts include the SAVEPOINT/RELEASE pairs of the service's ``atomic`` (and of the
``get_or_create`` calls inside): the test runs in a transaction.

A count that rises means a new query on a write path: find it before raising the
number (a query in a loop, a foreign key read lazily twice...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints import services as s
from complaints.models import Complaint, CorrectiveAction
from complaints.services import clock
from complaints.services.surveys import survey_token
from crm.models import User
from tests.factories.complaints import (
    AssignmentRuleFactory,
    SlaPolicyFactory,
    make_complaint,
    walk,
)
from tests.factories.crm import CustomerFactory, PartnerFactory, RevisitFactory
from tests.factories.partners import WebhookEndpointFactory
from tests.factories.training import CourseFactory
from training.models import Course

pytestmark = pytest.mark.django_db

PLAIN_MAIL = (Path(__file__).parent / "maildir" / "plain.eml").read_bytes()
SUBJECT = "快件延误三天未送达"
DESCRIPTION = "客户反映快件已延误三天，物流信息未更新。"


def _kb_article(t, **overrides):
    """A published knowledge article of supervisor A's, in category "late"."""
    from complaints.models import Category

    values = {
        "title": "快件延误怎么办",
        "problem": "客户反映快件超过承诺时效仍未送达。",
        "solution": "查询物流节点，联系网点加急派送，并告知客户预计送达时间。",
        "owner": t.org.supervisor_a,
        "review_date": date(2027, 3, 1),
        "status": "published",
        "categories": [Category.objects.get(code="late")],
    }
    values.update(overrides)
    return s.article_create(actor=t.org.supervisor_a, **values)


@dataclass(frozen=True)
class Case:
    id: str
    service: str  # the name exported by complaints.services
    status: str | None  # the complaint is walked there; None: no complaint
    actor: str | None  # an ``org`` attribute; None: the system / a partner
    call: Callable  # (t) -> None, counted; t.actor, t.complaint, t.org, t.x
    queries: int
    setup: Callable | None = None  # (t) -> dict of objects made before counting


def _fresh(user):
    return User.objects.get(pk=user.pk)


def _complaint(org, status: str) -> Complaint:
    complaint = make_complaint(actor=org.agent_a)
    complaint = s.complaint_assign(
        actor=org.supervisor_a, complaint=complaint, assignee=org.complaint_handler_a
    )
    complaint = walk(complaint, status, actor=org.supervisor_a)
    return Complaint.objects.get(pk=complaint.pk)


def _capa(t, *, completed=False) -> dict:
    capa = s.capa_create(
        actor=t.org.supervisor_a,
        title="派送员服务礼仪整改",
        root_cause="派送员未经礼仪培训上岗",
        action="全员参加礼仪培训并抽查",
        owner=t.org.complaint_handler_a,
        due_date=date.today() + timedelta(days=30),
        complaints=[t.complaint],
    )
    if completed:
        s.capa_complete(actor=t.org.complaint_handler_a, capa=capa, note="已培训")
    return {"capa": CorrectiveAction.objects.get(pk=capa.pk)}


def _etiquette_and_one_attitude_complaint(t) -> dict:
    """The attitude rule's real work: a course to assign and a first complaint
    about the courier, so the one under test reaches the threshold (2)."""
    CourseFactory(code="ETQ-101", topic=Course.Topic.ETIQUETTE)
    make_complaint(
        actor=t.org.agent_a, category="attitude", attributed_staff=t.org.agent_a
    )
    return {
        "staff": _fresh(t.org.agent_a),
        "customer": CustomerFactory(department=t.org.dept_a),
    }


def _jpeg():
    return SimpleUploadedFile("照片.jpg", b"\xff\xd8\xff" + b"0" * 100, "image/jpeg")


CASES = [
    Case(
        "receive",
        "complaint_receive",
        None,
        "agent_a",
        # The biggest: roles, customer in scope, category, assignment rules, the
        # team's agents and their open load (least loaded), policy, reference
        # counter (get_or_create + UPDATE + read: 7 with savepoints), complaint,
        # ``created`` event, calendar days, the four clocks (one INSERT) and
        # their events (one INSERT), ``assigned`` event, mirrored due times.
        lambda t: s.complaint_receive(
            actor=t.actor,
            customer=t.x["customer"],
            channel="phone",
            category="service_quality",
            subject=SUBJECT,
            description=DESCRIPTION,
        ),
        # + the customer's message (customer_messages): its lookups and INSERT
        # + the assignee's open count (AgentLoad upsert, issue 18)
        29,
        setup=lambda t: {
            "customer": CustomerFactory(department=t.org.dept_a),
            "rule": AssignmentRuleFactory(team=t.org.team_a),
        },
    ),
    Case(
        "receive_from_partner",
        "complaint_receive",
        None,
        None,
        # no roles, scope or auto-assignee; plus the partner's event feed row,
        # its webhook endpoints and the ``complaint.created`` outbox row
        lambda t: s.complaint_receive(
            actor=None,
            customer=t.x["customer"],
            channel="api",
            category="service_quality",
            subject=SUBJECT,
            description=DESCRIPTION,
            source_partner=t.x["partner"],
        ),
        # + the customer's message (customer_messages): its lookups and INSERT
        26,
        setup=lambda t: {
            "customer": CustomerFactory(),
            "partner": WebhookEndpointFactory(partner=PartnerFactory()).partner,
        },
    ),
    Case(
        "receive_attributed_attitude",
        "complaint_receive",
        None,
        "agent_a",
        # no rule routing (the actor's team is read instead); plus training's
        # attitude rule assigning the etiquette course (~17: course, staff row
        # lock, open and previous assignments, the pattern's complaints, the
        # assignment with its checks, training event, notification)
        lambda t: s.complaint_receive(
            actor=t.actor,
            customer=t.x["customer"],
            channel="phone",
            category="attitude",
            subject="快递员态度恶劣",
            description="客户反映快递员态度恶劣。",
            attributed_staff=t.x["staff"],
        ),
        # + the customer's message (customer_messages): its lookups and INSERT
        # + the assignee's open count (AgentLoad upsert, issue 18)
        45,
        setup=_etiquette_and_one_attitude_complaint,
    ),
    Case(
        "assign",
        "complaint_assign",
        "received",
        "supervisor_a",
        lambda t: s.complaint_assign(
            actor=t.actor, complaint=t.complaint, assignee=t.x["agent"]
        ),
        # + the assignee's open count (AgentLoad upsert, issue 18)
        16,
        setup=lambda t: {"agent": _fresh(t.org.agent_a)},
    ),
    Case(
        "escalate",
        "complaint_escalate",
        "received",
        "supervisor_a",
        lambda t: s.complaint_escalate(
            actor=t.actor, complaint=t.complaint, reason="加急"
        ),
        14,
    ),
    Case(
        "start_analysis",
        "complaint_start_analysis",
        "received",
        "complaint_handler_a",
        lambda t: s.complaint_start_analysis(actor=t.actor, complaint=t.complaint),
        6,
    ),
    Case(
        "record_analysis",
        "complaint_record_analysis",
        "analyzing",
        "complaint_handler_a",
        # walk() recorded it once (clock met); recorded again, nothing else moves
        lambda t: s.complaint_record_analysis(
            actor=t.actor,
            complaint=t.complaint,
            cause_hypothesis="派送员未按约定时间派送",
            cause_type="staff_error",
        ),
        7,
    ),
    Case(
        "record_analysis_attributing",
        "complaint_record_analysis",
        "analyzing",
        "complaint_handler_a",
        # re-filed as attitude (policy re-picked, running clocks recomputed in
        # one UPDATE) and attributed: the attitude rule (~17, see above) assigns
        # the etiquette course
        lambda t: s.complaint_record_analysis(
            actor=t.actor,
            complaint=t.complaint,
            cause_hypothesis="快递员态度问题",
            category="attitude",
            attributed_staff=t.x["staff"],
        ),
        32,
        setup=_etiquette_and_one_attitude_complaint,
    ),
    Case(
        "start_handling",
        "complaint_start_handling",
        "analyzing",
        "complaint_handler_a",
        lambda t: s.complaint_start_handling(actor=t.actor, complaint=t.complaint),
        # + the customer's message (customer_messages): its lookups and INSERT
        10,
    ),
    Case(
        "reply",
        "complaint_reply",
        "handling",
        "complaint_handler_a",
        # the solution reply: first response and reply clocks met, → replied
        lambda t: s.complaint_reply(
            actor=t.actor, complaint=t.complaint, body="感谢反馈，已处理，稍后回访。"
        ),
        # + the customer's message (customer_messages): its lookups and INSERT
        20,
    ),
    Case(
        "record_contact",
        "complaint_record_contact",
        "received",
        "complaint_handler_a",
        lambda t: s.complaint_record_contact(actor=t.actor, complaint=t.complaint),
        10,
    ),
    Case(
        "add_note",
        "complaint_add_note",
        "received",
        "complaint_handler_a",
        lambda t: s.complaint_add_note(
            actor=t.actor, complaint=t.complaint, body="内部"
        ),
        6,
    ),
    Case(
        "hold",
        "complaint_hold",
        "received",
        "complaint_handler_a",
        lambda t: s.complaint_hold(actor=t.actor, complaint=t.complaint, reason="等待"),
        # + the customer's message (customer_messages): its lookups and INSERT;
        # + the complaint's SLA state (sla_paused, issue 18)
        15,
    ),
    Case(
        "resume",
        "complaint_resume",
        "on_hold",
        "complaint_handler_a",
        lambda t: s.complaint_resume(actor=t.actor, complaint=t.complaint),
        # + the complaint's SLA state (sla_paused, issue 18)
        12,
    ),
    Case(
        "change_severity",
        "complaint_change_severity",
        "received",
        "complaint_handler_a",
        lambda t: s.complaint_change_severity(
            actor=t.actor, complaint=t.complaint, severity="urgent"
        ),
        10,
    ),
    Case(
        "override_due",
        "complaint_override_due",
        "received",
        "manager_a",
        lambda t: s.complaint_override_due(
            actor=t.actor,
            complaint=t.complaint,
            kind="resolution",
            due_at=clock.now() + timedelta(days=9),
            reason="客户同意延期",
        ),
        10,
    ),
    Case(
        "resolve",
        "complaint_resolve",
        "replied",
        "complaint_handler_a",
        # resolution clock met, confirmation clock and survey started (get_or_
        # create: 4), and crm's confirmation revisit planned (~9: rule, customer,
        # its owner, existing revisit, insert with savepoints)
        lambda t: s.complaint_resolve(
            actor=t.actor, complaint=t.complaint, resolution_type="apology"
        ),
        # + the customer's message (customer_messages): its lookups and INSERT
        # + the assignee's open count (AgentLoad upsert, issue 18)
        30,
    ),
    Case(
        "confirm",
        "complaint_confirm",
        "resolved",
        "complaint_handler_a",
        lambda t: s.complaint_confirm(actor=t.actor, complaint=t.complaint),
        9,
    ),
    Case(
        "survey_answer",
        "survey_record_answer",
        "resolved",
        "complaint_handler_a",
        lambda t: s.survey_record_answer(actor=t.actor, complaint=t.complaint, csat=4),
        7,
    ),
    Case(
        "close",
        "complaint_close",
        "resolved",
        "complaint_handler_a",
        lambda t: s.complaint_close(
            actor=t.actor, complaint=t.complaint, root_cause="未培训"
        ),
        7,
    ),
    Case(
        "reopen",
        "complaint_reopen",
        "resolved",
        "supervisor_a",
        lambda t: s.complaint_reopen(
            actor=t.actor, complaint=t.complaint, reason="不满意"
        ),
        # + the assignee's open count (AgentLoad upsert, issue 18)
        15,
    ),
    Case(
        "reject",
        "complaint_reject",
        "received",
        "supervisor_a",
        lambda t: s.complaint_reject(
            actor=t.actor, complaint=t.complaint, reason="重复"
        ),
        # + the assignee's open count (AgentLoad upsert, issue 18)
        10,
    ),
    Case(
        "archive",
        "complaint_archive",
        "closed",
        "manager_a",
        lambda t: s.complaint_archive(actor=t.actor, complaint=t.complaint),
        7,
    ),
    Case(
        "attach",
        "complaint_attach",
        "received",
        "complaint_handler_a",
        lambda t: s.complaint_attach(
            actor=t.actor, complaint=t.complaint, file=t.x["file"]
        ),
        6,
        setup=lambda t: {"file": _jpeg()},
    ),
    Case(
        "capa_create",
        "capa_create",
        "received",
        "supervisor_a",
        lambda t: s.capa_create(
            actor=t.actor,
            title="派送员服务礼仪整改",
            root_cause="派送员未经礼仪培训上岗",
            action="全员参加礼仪培训并抽查",
            owner=t.x["owner"],
            due_date=date.today() + timedelta(days=30),
            complaints=[t.complaint],
        ),
        14,
        setup=lambda t: {"owner": _fresh(t.org.complaint_handler_a)},
    ),
    Case(
        "capa_link_complaints",
        "capa_link_complaints",
        "received",
        "supervisor_a",
        lambda t: s.capa_link_complaints(
            actor=t.actor, capa=t.x["capa"], complaints=[t.x["other"]]
        ),
        10,
        setup=lambda t: {
            **_capa(t),
            "other": Complaint.objects.get(pk=make_complaint(actor=t.org.agent_a).pk),
        },
    ),
    Case(
        "capa_start",
        "capa_start",
        "received",
        "complaint_handler_a",
        lambda t: s.capa_start(actor=t.actor, capa=t.x["capa"]),
        5,
        setup=_capa,
    ),
    Case(
        "capa_attach_evidence",
        "capa_attach_evidence",
        "received",
        "complaint_handler_a",
        lambda t: s.capa_attach_evidence(
            actor=t.actor, capa=t.x["capa"], file=t.x["file"]
        ),
        5,
        setup=lambda t: {**_capa(t), "file": _jpeg()},
    ),
    Case(
        "capa_complete",
        "capa_complete",
        "received",
        "complaint_handler_a",
        lambda t: s.capa_complete(actor=t.actor, capa=t.x["capa"], note="已培训"),
        5,
        setup=_capa,
    ),
    Case(
        "capa_verify",
        "capa_verify",
        "received",
        "supervisor_a",
        lambda t: s.capa_verify(
            actor=t.actor, capa=t.x["capa"], effective=True, note="抽查合格"
        ),
        6,
        setup=lambda t: _capa(t, completed=True),
    ),
    Case(
        "capa_cancel",
        "capa_cancel",
        "received",
        "supervisor_a",
        lambda t: s.capa_cancel(actor=t.actor, capa=t.x["capa"], note="无需整改"),
        6,
        setup=_capa,
    ),
    Case(
        "capa_update",
        "capa_update",
        "received",
        "supervisor_a",
        # lock, roles, scope, the UPDATE of what differs and one event
        lambda t: s.capa_update(
            actor=t.actor,
            capa=t.x["capa"],
            changes={"title": "派送员服务礼仪整改（第二轮）"},
        ),
        6,
        setup=_capa,
    ),
    Case(
        "sla_policy_update",
        "sla_policy_update",
        None,
        "manager_a",
        # roles, lock, the UPDATE of what differs and one SlaPolicyChange row
        lambda t: s.sla_policy_update(
            actor=t.actor, policy=t.x["policy"], changes={"name": "加急投诉"}
        ),
        6,
        setup=lambda t: {"policy": SlaPolicyFactory()},
    ),
    Case(
        "submit_from_partner",
        "complaint_submit",
        None,
        None,
        # customer_upsert (the partner's own customers by identifier digests, the
        # new customer, its external id) plus receive_from_partner's 22
        lambda t: s.complaint_submit(
            actor=None,
            partner=t.x["partner"],
            customer={"name": "王女士", "phone": "13800138000"},
            channel="api",
            category="service_quality",
            subject=SUBJECT,
            description=DESCRIPTION,
        ),
        # + the customer's message (customer_messages): its lookups and INSERT
        43,
        setup=lambda t: {
            "partner": WebhookEndpointFactory(partner=PartnerFactory()).partner,
        },
    ),
    Case(
        "revisit_with_complaint",
        "revisit_complete_with_complaint",
        None,
        "account_manager_a",
        # The revisit's lock, crm's revisit_complete (its interaction), then a
        # whole complaint_receive, then the link back to the revisit.
        lambda t: s.revisit_complete_with_complaint(
            actor=t.actor,
            revisit=t.x["revisit"],
            outcome="reached",
            satisfaction_score=2,
            feedback="快递员态度差",
            category="attitude",
            subject="回访发现：快递员态度差",
        ),
        # + the customer's message (customer_messages): its lookups and INSERT
        48,
        setup=lambda t: {
            "revisit": RevisitFactory(
                customer=CustomerFactory(
                    department=t.org.dept_a, owner=t.org.account_manager_a
                ),
                assignee=t.org.account_manager_a,
            )
        },
    ),
    Case(
        "survey_low_score",
        "survey_record_answer",
        "resolved",
        "complaint_handler_a",
        # + the supervisor's notification (key check, insert) and the recovery
        # revisit (key check, insert).
        lambda t: s.survey_record_answer(actor=t.actor, complaint=t.complaint, csat=1),
        21,
    ),
    Case(
        "survey_by_token",
        "survey_answer_by_token",
        "resolved",
        None,
        lambda t: s.survey_answer_by_token(token=t.x["token"], csat=5, nps=9),
        10,
        setup=lambda t: {"token": survey_token(t.complaint)},
    ),
    Case(
        "auto_close",
        "complaint_auto_close",
        "resolved",
        None,
        lambda t: s.complaint_auto_close(
            complaint=t.complaint, now=clock.now() + timedelta(days=8)
        ),
        7,
    ),
    Case(
        "inbound_email",
        "inbound_email_receive",
        None,
        None,
        # parse, the Message-ID check, a new customer (upsert), a whole
        # complaint_receive, the row's update.
        lambda t: s.inbound_email_receive(raw=PLAIN_MAIL, source="maildir"),
        # + the customer's message (customer_messages): its lookups and INSERT
        # + the default team when no rule routes it (KEFU_INBOUND_TEAM: the
        # team lookup and the ``assigned`` event)
        44,
    ),
    Case(
        "inbound_retry",
        "inbound_email_retry",
        None,
        "admin",
        # the admin's roles, the row's lock and delete, then the message again
        # (still unreadable: quarantined anew)
        lambda t: s.inbound_email_retry(actor=t.actor, inbound_email=t.x["row"]),
        9,
        setup=lambda t: {
            "row": s.inbound_email_receive(raw=b"no headers at all", source="maildir")[
                0
            ]
        },
    ),
    Case(
        "revisit_confirmation",
        "revisit_complete_confirmation",
        "resolved",
        "relations_specialist_a",
        # crm's revisit_complete, the survey answer, complaint_confirm.
        lambda t: s.revisit_complete_confirmation(
            actor=t.actor,
            revisit=t.x["revisit"],
            outcome="reached",
            satisfaction_score=5,
            feedback="满意",
        ),
        37,
        setup=lambda t: {
            "revisit": RevisitFactory(
                customer=t.complaint.customer,
                complaint=t.complaint,
                purpose="confirmation",
                assignee=t.org.relations_specialist_a,
            )
        },
    ),
    Case(
        "article_create",
        "article_create",
        None,
        "supervisor_a",
        # the test's category lookup; SAVEPOINT, the actor's roles, the
        # owner's validation, the INSERT, the categories' set (read the
        # current ones, add), RELEASE
        lambda t: _kb_article(t),
        8,
    ),
    Case(
        "article_update",
        "article_update",
        None,
        "supervisor_a",
        # roles; the lock; the earlier text kept as a version; the UPDATE
        lambda t: s.article_update(
            actor=t.actor,
            article=t.x["article"],
            changes={"solution": "先致歉，再查询物流节点并加急派送。"},
        ),
        7,
        setup=lambda t: {"article": _kb_article(t)},
    ),
    Case(
        "article_use",
        "article_use",
        "handling",
        "complaint_handler_a",
        # roles; the scope check; the use row (its savepoint); the counter
        lambda t: s.article_use(
            actor=t.actor, article=t.x["article"], complaint=t.complaint
        ),
        7,
        setup=lambda t: {"article": _kb_article(t)},
    ),
    Case(
        "article_review_reminders",
        "article_review_reminders",
        None,
        None,
        # the due articles; per article: the claim, the re-read with its
        # owner, the notification (get_or_create)
        lambda t: s.article_review_reminders(today=date(2027, 3, 2)),
        9,
        setup=lambda t: {"article": _kb_article(t)},
    ),
]


def test_every_exported_write_service_has_a_pinned_count():
    exported = {name for name in s.__all__ if name != "TRANSITIONS"}
    assert exported == {case.service for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_service_query_count(org, settings, tmp_path, django_assert_num_queries, case):
    settings.MEDIA_ROOT = tmp_path
    t = SimpleNamespace(org=org, actor=None, complaint=None, x={})
    if case.status:
        t.complaint = _complaint(org, case.status)
    if case.setup:
        t.x = case.setup(t)
    if case.actor:
        t.actor = _fresh(getattr(org, case.actor))
    with django_assert_num_queries(case.queries):
        case.call(t)
