"""The improvement step's indicators (issue 16) on hand-built data sets, exact:
reply within 4 h, revisit satisfaction and problems found, CAPA on time and
CAPA effective — each with its numerator and denominator, per staff member and
rolled up to the team."""

from datetime import date
from decimal import Decimal as D

import pytest

from complaints import services as cs
from complaints.models import CorrectiveAction
from complaints.services.clock import at
from crm.services.revisits import revisit_cancel, revisit_complete, revisit_create
from kpi.models import KpiResult, SubjectType
from kpi.services import kpi_compute_period
from tests.factories import CustomerFactory
from tests.factories.kpi import (  # noqa: F401 - complaint_links is a fixture
    complaint_links,
    complaint_story,
    local,
    month,
    policy_24x7,
)

pytestmark = pytest.mark.django_db


def result(period, code, subject_type, subject_id):
    return KpiResult.objects.get(
        period=period,
        indicator__code=code,
        subject_type=subject_type,
        subject_id=subject_id,
    )


def figures(r):
    return (r.numerator, r.denominator, r.value)


# --- reply within 4 h -------------------------------------------------------------


@pytest.mark.usefixtures("complaint_links")
def test_reply_within_4h_counts_the_first_solution_reply_from_receipt(org):
    policy_24x7()
    a, lead = org.agent_a, org.supervisor_a

    def story(day, reply_at=None, **more):
        received = local(2026, 11, day, 10)
        if reply_at is None:
            return complaint_story(agent=a, lead=lead, received=received, **more)
        return complaint_story(
            agent=a,
            lead=lead,
            received=received,
            respond=local(2026, 11, day, 10, 5),
            analyse=(local(2026, 11, day, 10, 10), local(2026, 11, day, 10, 20)),
            handle=local(2026, 11, day, 10, 30),
            reply=reply_at,
            **more,
        )

    story(2, local(2026, 11, 2, 13, 59))  # 3 h 59 min: met
    story(3, local(2026, 11, 3, 14, 0))  # exactly 4 h: met
    story(4, local(2026, 11, 4, 14, 1))  # 4 h 01 min: missed
    # met; reopened and replied again days later: the first reply counts
    story(
        5,
        local(2026, 11, 5, 12),
        resolve=local(2026, 11, 5, 13),
        reopen=local(2026, 11, 6, 9),
        handle_again=local(2026, 11, 6, 10),
        reply_again=local(2026, 11, 9, 10),
    )
    story(6)  # never replied, long past 4 h: missed
    story(7, reject=local(2026, 11, 7, 10, 5))  # rejected: not counted
    # received 09:00 on the 20th, unreplied at 12:00: not yet a miss
    complaint_story(agent=a, lead=lead, received=local(2026, 11, 20, 9))
    period = month(2026, 11)

    kpi_compute_period(actor=None, period=period, now=local(2026, 11, 20, 12))

    r = result(period, "reply_4h_rate", SubjectType.STAFF, a.pk)
    assert figures(r) == (D(3), D(5), D("60.0000"))
    team = result(period, "reply_4h_rate", SubjectType.TEAM, org.team_a.pk)
    assert figures(team) == (D(3), D(5), D("60.0000"))
    # the agent of team B received nothing: no figure, not 0 %
    assert (
        result(period, "reply_4h_rate", SubjectType.STAFF, org.agent_b.pk).value is None
    )

    # Four hours later the complaint of the 20th has become a miss too.
    kpi_compute_period(actor=None, period=period, now=local(2026, 11, 20, 13, 1))
    r = result(period, "reply_4h_rate", SubjectType.STAFF, a.pk)
    assert figures(r) == (D(3), D(6), D("50.0000"))


# --- revisits ---------------------------------------------------------------------


def test_revisit_satisfaction_and_problems_found(org):
    rs = org.relations_specialist_a
    customer = CustomerFactory(department=org.dept_a)

    def plan(day, month_no=10):
        return revisit_create(
            actor=rs,
            customer=customer,
            purpose="satisfaction",
            due_at=local(2026, month_no, day, 10),
            assignee=rs,
        )

    def done(revisit, day, score=None, month_no=10, outcome="reached"):
        revisit_complete(
            actor=rs,
            revisit=revisit,
            outcome=outcome,
            satisfaction_score=score,
            done_at=local(2026, month_no, day, 11),
        )

    done(plan(3), 3, score=5)
    done(plan(4), 4, score=3)
    done(plan(5), 5, outcome="not_reached")  # not reached: no score, no problem
    problem = plan(6)
    cs.revisit_complete_with_complaint(
        actor=rs,
        revisit=problem,
        outcome="reached",
        satisfaction_score=2,
        category="service_quality",
        subject="回访中客户反映派送员态度差",
        done_at=local(2026, 10, 6, 11),
    )
    revisit_cancel(actor=rs, revisit=plan(7), reason="客户已注销")  # not done
    plan(8)  # still planned: not done
    done(plan(2, month_no=11), 2, score=1, month_no=11)  # done in November
    period = month(2026, 10)

    kpi_compute_period(actor=None, period=period, now=local(2026, 11, 5, 9))

    satisfaction = result(period, "revisit_satisfaction_avg", SubjectType.STAFF, rs.pk)
    assert (satisfaction.numerator, satisfaction.denominator) == (D(10), D(3))
    assert satisfaction.value == D("3.3333")
    problems = result(period, "revisit_problem_rate", SubjectType.STAFF, rs.pk)
    assert figures(problems) == (D(1), D(3), D("33.3333"))
    department = result(
        period, "revisit_problem_rate", SubjectType.DEPARTMENT, org.dept_a.pk
    )
    assert figures(department) == (D(1), D(3), D("33.3333"))


# --- CAPA -------------------------------------------------------------------------


def test_capa_on_time_and_effective_by_local_dates(org):
    owner, lead, manager = org.complaint_handler_a, org.supervisor_a, org.manager_a

    def capa(due_day, due_month=10):
        with at(local(2026, 10, 1, 9)):
            return cs.capa_create(
                actor=lead,
                title=f"整改 {due_month}-{due_day}",
                root_cause="派送员未按规范操作",
                action="专项培训并抽查",
                owner=owner,
                due_date=date(2026, due_month, due_day),
            )

    def complete(c, moment):
        with at(moment):
            c = cs.capa_start(actor=owner, capa=c)
            return cs.capa_complete(actor=owner, capa=c, note="已完成培训")

    def verify(c, moment, effective):
        with at(moment):
            return cs.capa_verify(
                actor=manager, capa=c, effective=effective, note="抽查十单"
            )

    k1 = complete(capa(10), local(2026, 10, 9, 16))  # a day early: on time
    # the last minutes of the due date (15:30 UTC the same day): on time
    k2 = complete(capa(12), local(2026, 10, 12, 23, 30))
    # ten past midnight after the due date (still the 14th in UTC): late
    k3 = complete(capa(14), local(2026, 10, 15, 0, 10))
    capa(16)  # never done: late
    cancelled = capa(18)
    CorrectiveAction.objects.filter(pk=cancelled.pk).update(
        status=CorrectiveAction.Status.CANCELLED
    )  # cancelled (no service cancels yet): left out
    k6 = complete(capa(20), local(2026, 10, 19, 10))
    k6 = verify(k6, local(2026, 10, 21, 10), effective=False)
    with at(local(2026, 10, 22, 9)):
        cs.capa_start(actor=owner, capa=k6)  # back to work: not done now
    capa(10, due_month=11)  # due in November: another period
    verify(k1, local(2026, 10, 11, 10), effective=True)
    verify(k2, local(2026, 10, 13, 10), effective=True)
    verify(k3, local(2026, 11, 2, 10), effective=True)  # checked in November
    period = month(2026, 10)

    kpi_compute_period(actor=None, period=period, now=local(2026, 11, 5, 9))

    on_time = result(period, "capa_on_time_rate", SubjectType.STAFF, owner.pk)
    assert figures(on_time) == (D(2), D(5), D("40.0000"))
    effective = result(period, "capa_effective_rate", SubjectType.STAFF, owner.pk)
    assert figures(effective) == (D(2), D(3), D("66.6667"))
    team = result(period, "capa_effective_rate", SubjectType.TEAM, org.team_a.pk)
    assert figures(team) == (D(2), D(3), D("66.6667"))

    # On 14 October only the CAPAs due on the 10th and the 12th had fallen due.
    kpi_compute_period(actor=None, period=period, now=local(2026, 10, 14, 23, 50))
    on_time = result(period, "capa_on_time_rate", SubjectType.STAFF, owner.pk)
    assert figures(on_time) == (D(2), D(2), D("100.0000"))


# --- first-contact resolution -----------------------------------------------------


@pytest.mark.usefixtures("complaint_links")
def test_first_contact_resolution_is_kept_by_the_taker_to_the_end(org):
    policy_24x7()
    a, lead, handler = org.agent_a, org.supervisor_a, org.complaint_handler_a

    def day(d, h, m=0):
        return local(2026, 11, d, h, m)

    def resolved(d, **more):
        return complaint_story(
            agent=a,
            lead=lead,
            received=day(d, 9),
            respond=day(d, 9, 5),
            analyse=(day(d, 9, 10), day(d, 9, 20)),
            handle=day(d, 9, 30),
            reply=day(d, 10),
            resolve=day(d, 11),
            **more,
        )

    resolved(2)  # taken and resolved by agent_a: first contact
    resolved(3)  # the same
    resolved(
        4,
        reopen=day(5, 9),
        handle_again=day(5, 10),
        reply_again=day(5, 11),
        resolve_again=day(5, 12),
    )  # reopened: not first contact
    handed = resolved(6, assignee=handler)  # handed to the handler: counts for them
    escalated = complaint_story(
        agent=a,
        lead=lead,
        received=day(9, 9),
        respond=day(9, 9, 5),
        analyse=(day(9, 9, 10), day(9, 9, 20)),
        handle=day(9, 9, 30),
    )
    with at(day(9, 9, 40)):
        escalated = cs.complaint_escalate(
            actor=lead, complaint=escalated, reason="客户要求主管回电"
        )
    with at(day(9, 10)):
        escalated = cs.complaint_reply(
            actor=a, complaint=escalated, body="感谢反馈，已处理，我们会跟进确认。"
        )
    with at(day(9, 11)):
        cs.complaint_resolve(actor=lead, complaint=escalated, resolution_type="apology")
    complaint_story(agent=a, lead=lead, received=day(10, 9))  # not resolved
    period = month(2026, 11)

    kpi_compute_period(actor=None, period=period, now=local(2026, 12, 1, 9))

    r = result(period, "first_contact_resolution_rate", SubjectType.STAFF, a.pk)
    assert figures(r) == (D(2), D(4), D("50.0000"))
    assert handed.assignee_id == handler.pk
    r = result(period, "first_contact_resolution_rate", SubjectType.STAFF, handler.pk)
    assert figures(r) == (D(0), D(1), D("0.0000"))
    team = result(
        period, "first_contact_resolution_rate", SubjectType.TEAM, org.team_a.pk
    )
    assert figures(team) == (D(2), D(5), D("40.0000"))
