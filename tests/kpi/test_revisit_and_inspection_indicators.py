"""revisit_on_time_rate from crm revisits; quality inspections and qa_score_avg."""

from decimal import Decimal as D

import pytest

from config.errors import InvalidInput, NotPermitted
from crm.services.revisits import (
    revisit_cancel,
    revisit_complete,
    revisit_create,
    revisit_mark_missed,
)
from kpi.models import KpiResult, QualityInspection, SubjectType
from kpi.services import inspection_record, kpi_compute_period
from tests.factories import CustomerFactory
from tests.factories.kpi import interaction, local, month

# crm.revisit_complete refuses done times in the real future: use October.
REVISITS_NOW = local(2026, 11, 5, 9, 0)


def _staff(period, code, user):
    return KpiResult.objects.get(
        period=period,
        indicator__code=code,
        subject_type=SubjectType.STAFF,
        subject_id=user.pk,
    )


@pytest.mark.django_db
def test_revisit_on_time_rate(org):
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

    def done(revisit, at):
        revisit_complete(actor=rs, revisit=revisit, outcome="reached", done_at=at)

    done(plan(10), local(2026, 10, 10, 9))  # on time
    done(plan(11), local(2026, 10, 12, 10))  # a day late
    plan(12)  # still planned and overdue: missed
    revisit_cancel(actor=rs, revisit=plan(13), reason="客户已注销")  # not counted
    revisit_mark_missed(actor=rs, revisit=plan(14))
    done(plan(30), local(2026, 10, 29, 16))  # early
    plan(20, month_no=11)  # falls due after the computation: not counted

    period = month(2026, 10)
    kpi_compute_period(actor=None, period=period, now=REVISITS_NOW)
    r = _staff(period, "revisit_on_time_rate", rs)
    assert (r.numerator, r.denominator, r.value) == (D(2), D(5), D("40.0000"))
    team = KpiResult.objects.get(
        period=period,
        indicator__code="revisit_on_time_rate",
        subject_type=SubjectType.TEAM,
        subject_id=org.team_a.pk,
    )
    assert team.value == D("40.0000")
    assert _staff(period, "revisit_on_time_rate", org.agent_a).value is None

    # November so far: the revisit due on 20 November has not fallen due yet
    november = month(2026, 11)
    kpi_compute_period(actor=None, period=november, now=REVISITS_NOW)
    assert _staff(november, "revisit_on_time_rate", rs).value is None


@pytest.mark.django_db
def test_inspection_total_is_the_scaled_checklist_sum(org):
    call = interaction(staff=org.agent_a, at=local(2026, 11, 2, 10))
    inspection = inspection_record(
        actor=org.qa_inspector_a,
        interaction=call,
        scores={
            "polite_language": 10,
            "clarity": 9,
            "tone": 8,
            "listening": 7,
            "accuracy": 10,
            "compliance": 10,
        },
        comments="语气稍显急躁",
    )
    assert inspection.total == D("90.00")  # 54 / 60
    assert inspection.staff == org.agent_a  # the interaction's staff member
    assert inspection.inspector == org.qa_inspector_a


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("scores", "field"),
    [
        ({"polite_language": 11}, "polite_language"),
        ({"tone": None}, "tone"),
    ],
)
def test_inspection_refuses_bad_scores(org, scores, field):
    full = dict.fromkeys(QualityInspection.CHECKLIST, 8)
    full.update(scores)
    call = interaction(staff=org.agent_a, at=local(2026, 11, 2, 10))
    with pytest.raises(InvalidInput) as excinfo:
        inspection_record(actor=org.qa_inspector_a, interaction=call, scores=full)
    assert excinfo.value.field == field
    assert not QualityInspection.objects.exists()


@pytest.mark.django_db
def test_inspection_needs_a_record_and_an_inspector(org):
    scores = dict.fromkeys(QualityInspection.CHECKLIST, 8)
    with pytest.raises(InvalidInput):
        inspection_record(actor=org.qa_inspector_a, scores=scores, staff=org.agent_a)
    call = interaction(staff=org.agent_a, at=local(2026, 11, 2, 10))
    with pytest.raises(NotPermitted):
        inspection_record(actor=org.agent_b, interaction=call, scores=scores)
