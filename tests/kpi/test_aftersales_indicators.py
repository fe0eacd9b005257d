"""The after-sales indicators (issue 17) on a hand-built data set, exact: on-time
visits, first-time fix, repair turnaround, repair cost per order and the
return/exchange rate with its breakdown by product — numerators, denominators,
values, the local-date boundaries (23:30 UTC is 07:30 the next day in
Shanghai) and the records the drill-down lists.

Every order is moved through the real services at the moment given
(``time_machine``), as the desk and the technician would."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal as D

import pytest
import time_machine

from aftersales import services as s
from aftersales.models import AppointmentSlot, ServiceOrder, Technician
from kpi import selectors
from kpi.models import KpiResult, ScorecardResult, ScorecardTemplate, SubjectType
from kpi.services import kpi_compute_period
from tests.factories.aftersales import make_order
from tests.factories.kpi import local, month

pytestmark = pytest.mark.django_db

S = ServiceOrder.Status


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def result(period, code, subject_type, subject_id):
    return KpiResult.objects.get(
        period=period,
        indicator__code=code,
        subject_type=subject_type,
        subject_id=subject_id,
    )


def figures(r):
    return (r.numerator, r.denominator, r.value)


class World:
    """The desk (supervisor A), the technician (technician A) and their orders."""

    def __init__(self, org):
        self.org = org
        self.desk = org.supervisor_a
        self.tech_user = org.technician_a
        self.tech = Technician.objects.create(
            user=org.technician_a,
            department=org.dept_a,
            skills=["repair", "installation", "maintenance"],
            areas=["浦东"],
        )
        self.refs: dict[str, str] = {}

    def slot(self, day: date, start: int, end: int, kind="repair"):
        return AppointmentSlot.objects.create(
            technician=self.tech,
            date=day,
            start=time(start),
            end=time(end),
            area="浦东",
            kind=kind,
            capacity=3,
        )

    def visit(
        self,
        name: str,
        *,
        requested: datetime,
        slot_day: date,
        hours: tuple[int, int],
        check_in: datetime | None,
        completed: datetime | None = None,
        first_time_fix: bool | None = None,
        costs: tuple[str, str, str] = ("0", "0", "0"),
        kind: str = "repair",
        product: str = "洗衣机 W5",
    ) -> ServiceOrder:
        """Request → approve → book ``slot_day`` ``hours`` → check in → check
        out and complete (each step at its moment)."""
        with time_machine.travel(requested, tick=False):
            order = make_order(
                actor=self.desk, kind=kind, product_name=product, reason="不工作"
            )
            order = s.order_transition(
                actor=self.desk, order=order, to_status=S.APPROVED
            )
            s.appointment_book(
                actor=self.desk, order=order, slot=self.slot(slot_day, *hours, kind)
            )
        self.refs[name] = order.reference
        if check_in is None:
            return order
        with time_machine.travel(check_in, tick=False):
            order = s.order_check_in(actor=self.tech_user, order=order)
        if completed is None:
            return order
        with time_machine.travel(completed, tick=False):
            order = s.order_check_out(
                actor=self.tech_user, order=order, first_time_fix=first_time_fix
            )
            parts, labour, logistics = costs
            order = s.order_complete(
                actor=self.tech_user,
                order=order,
                outcome="已修复",
                parts_cost=parts,
                labour_cost=labour,
                logistics_cost=logistics,
            )
        return order


@pytest.fixture
def world(org):
    w = World(org)
    nov = 11
    # Requested on 30 October, visited on the 31st (October), completed at
    # 16:10 UTC on the 31st = 00:10 on 1 November in Shanghai: a November
    # repair, 36 h 10 min after the request.
    w.visit(
        "v0",
        requested=local(2026, 10, 30, 12),
        slot_day=date(2026, 10, 31),
        hours=(20, 22),
        check_in=local(2026, 10, 31, 21),
        completed=utc(2026, 10, 31, 16, 10),
        first_time_fix=True,
        costs=("90", "0", "0"),
    )
    # On time (09:30 in 09–11), 26 h, fixed first time, 160 yuan.
    w.visit(
        "v1",
        requested=local(2026, nov, 2, 10),
        slot_day=date(2026, nov, 3),
        hours=(9, 11),
        check_in=local(2026, nov, 3, 9, 30),
        completed=local(2026, nov, 3, 12),
        first_time_fix=True,
        costs=("100", "50", "10"),
    )
    # Checked in at the slot's last minute (11:00 sharp): on time; 27.5 h; a
    # second visit was needed; 300 yuan.
    w.visit(
        "v2",
        requested=local(2026, nov, 3, 9),
        slot_day=date(2026, nov, 4),
        hours=(9, 11),
        check_in=local(2026, nov, 4, 11),
        completed=local(2026, nov, 4, 12, 30),
        first_time_fix=False,
        costs=("200", "80", "20"),
    )
    # A minute late (11:01); 28 h; no first-time-fix flag given; 60 yuan.
    w.visit(
        "v3",
        requested=local(2026, nov, 4, 8),
        slot_day=date(2026, nov, 5),
        hours=(9, 11),
        check_in=local(2026, nov, 5, 11, 1),
        completed=local(2026, nov, 5, 12),
        costs=("0", "60", "0"),
    )
    # An installation, checked in early (08:50 for 09–11): a visit, not on
    # time; completed but not a repair.
    w.visit(
        "v4",
        kind="installation",
        requested=local(2026, nov, 5, 9),
        slot_day=date(2026, nov, 6),
        hours=(9, 11),
        check_in=local(2026, nov, 6, 8, 50),
        completed=local(2026, nov, 6, 11),
        costs=("0", "500", "0"),
    )
    # Checked in at 23:30 UTC on the 9th = 07:30 on the 10th in Shanghai, in
    # the 07–09 slot of the 10th: on time (the UTC date would say otherwise).
    w.visit(
        "v9",
        requested=local(2026, nov, 8, 9),
        slot_day=date(2026, nov, 10),
        hours=(7, 9),
        check_in=utc(2026, nov, 9, 23, 30),
    )
    # Booked for the 12th, moved to the 13th, visited on time on the 13th:
    # one visit (the booking given up is none).
    moved = w.visit(
        "v7",
        requested=local(2026, nov, 10, 9),
        slot_day=date(2026, nov, 12),
        hours=(9, 11),
        check_in=None,
    )
    with time_machine.travel(local(2026, nov, 11, 9), tick=False):
        s.appointment_reschedule(
            actor=w.desk, order=moved, slot=w.slot(date(2026, nov, 13), 9, 11)
        )
    with time_machine.travel(local(2026, nov, 13, 10), tick=False):
        s.order_check_in(actor=w.tech_user, order=moved)
    # Booked for the 20th, never visited: not in the sample.
    w.visit(
        "v8",
        requested=local(2026, nov, 15, 9),
        slot_day=date(2026, nov, 20),
        hours=(9, 11),
        check_in=None,
    )
    # The 21–23 slot of the 30th, checked in at 15:30 UTC = 23:30 local: late,
    # and a November visit; completed at 15:45 UTC = 23:45 on the 30th (still
    # November), 37 h 45 min after the request; fixed first time; 40 yuan.
    w.visit(
        "v6",
        requested=local(2026, nov, 29, 10),
        slot_day=date(2026, nov, 30),
        hours=(21, 23),
        check_in=utc(2026, nov, 30, 15, 30),
        completed=utc(2026, nov, 30, 15, 45),
        first_time_fix=True,
        costs=("40", "0", "0"),
    )
    # Checked in at 23:30 UTC on 30 November = 07:30 on 1 December (on time
    # in its 07–09 slot), completed 08:30 local on 1 December: December's.
    w.visit(
        "v5",
        requested=local(2026, nov, 30, 9),
        slot_day=date(2026, 12, 1),
        hours=(7, 9),
        check_in=utc(2026, nov, 30, 23, 30),
        completed=local(2026, 12, 1, 8, 30),
        first_time_fix=True,
        costs=("10", "10", "10"),
    )
    return w


def test_on_time_visits_by_local_slot_and_check_in(org, world):
    november, december = month(2026, 11), month(2026, 12)

    kpi_compute_period(actor=None, period=november, now=local(2026, 12, 5, 9))
    kpi_compute_period(actor=None, period=december, now=local(2026, 12, 5, 9))

    tech = org.technician_a
    # November's visits: v1, v2, v9, v7 on time; v3 late, v4 early, v6 late.
    r = result(november, "on_time_visit_rate", SubjectType.STAFF, tech.pk)
    assert figures(r) == (D(4), D(7), D("57.1429"))
    team = result(november, "on_time_visit_rate", SubjectType.TEAM, org.team_a.pk)
    assert figures(team) == (D(4), D(7), D("57.1429"))
    # v5, checked in at 23:30 UTC on 30 November, is December's and on time.
    r = result(december, "on_time_visit_rate", SubjectType.STAFF, tech.pk)
    assert figures(r) == (D(1), D(1), D("100.0000"))
    # Another technician made no visit: no figure, not 0 %.
    other = result(november, "on_time_visit_rate", SubjectType.STAFF, org.agent_a.pk)
    assert other.value is None


def test_repairs_first_time_fix_turnaround_and_cost(org, world):
    november = month(2026, 11)

    kpi_compute_period(actor=None, period=november, now=local(2026, 12, 5, 9))

    tech = org.technician_a
    # November's completed repairs: v0 (00:10 on the 1st), v1, v2, v3, v6
    # (23:45 on the 30th); v4 is an installation, v5 December's.
    ftf = result(november, "first_time_fix_rate", SubjectType.STAFF, tech.pk)
    assert figures(ftf) == (D(3), D(5), D("60.0000"))
    # 2170 + 1560 + 1650 + 1680 + 2265 minutes = 9325; ÷ 5 = 1865 min = 31.0833 h
    turnaround = result(november, "repair_turnaround_avg", SubjectType.STAFF, tech.pk)
    assert figures(turnaround) == (D(9325), D(5), D("31.0833"))
    # 90 + 160 + 300 + 60 + 40 yuan = 650; ÷ 5 = 130
    cost = result(november, "repair_cost_avg", SubjectType.STAFF, tech.pk)
    assert figures(cost) == (D(650), D(5), D("130.0000"))
    department = result(
        november, "repair_cost_avg", SubjectType.DEPARTMENT, org.dept_a.pk
    )
    assert figures(department) == (D(650), D(5), D("130.0000"))
    # the stored turnaround of the boundary repair
    v0 = ServiceOrder.objects.get(reference=world.refs["v0"])
    assert v0.turnaround_minutes == 2170


def test_technician_scorecard_weighs_the_after_sales_indicators(org, world):
    november = month(2026, 11)
    template = ScorecardTemplate.objects.get(role="technician")
    assert {line.indicator.code: line.weight for line in template.lines.all()} == {
        "on_time_visit_rate": D(35),
        "first_time_fix_rate": D(40),
        "repair_turnaround_avg": D(25),
    }

    kpi_compute_period(actor=None, period=november, now=local(2026, 12, 5, 9))

    card = ScorecardResult.objects.get(period=november, staff=org.technician_a)
    assert card.template_id == template.pk
    assert card.weight_covered == D(100)
    # on time 57.1429 of 95 → 60.15; first-time fix 60 of 85 → 70.59;
    # turnaround 31.08 h within 72 h → 100: (35×60.15 + 40×70.59 + 25×100) / 100
    assert card.score == D("74.29")


def test_drill_down_lists_the_visits_and_repairs(org, world, client):
    november = month(2026, 11)
    kpi_compute_period(actor=None, period=november, now=local(2026, 12, 5, 9))
    november.refresh_from_db()
    subject = f"staff:{org.technician_a.pk}"

    def refs(code, part, attr):
        _result, _measure, records = selectors.drill_records(
            org.manager_a, code=code, period=november, subject=subject, part=part
        )
        return sorted(
            {world_ref(attr(r)) for r in records}, key=lambda n: int(n.lstrip("v"))
        )

    def world_ref(reference):
        return {v: k for k, v in world.refs.items()}[reference]

    visit = lambda a: a.order.reference  # noqa: E731
    order = lambda o: o.reference  # noqa: E731
    assert refs("on_time_visit_rate", "denominator", visit) == [
        "v1",
        "v2",
        "v3",
        "v4",
        "v6",
        "v7",
        "v9",
    ]
    assert refs("on_time_visit_rate", "numerator", visit) == ["v1", "v2", "v7", "v9"]
    assert refs("first_time_fix_rate", "denominator", order) == [
        "v0",
        "v1",
        "v2",
        "v3",
        "v6",
    ]
    assert refs("first_time_fix_rate", "numerator", order) == ["v0", "v1", "v6"]

    client.force_login(org.manager_a)
    url = f"/kpi/drill/repair_cost_avg/?period=2026-11&subject={subject}"
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["breakdown"] == []
    rows = {cells[0]: cells for _link, cells in response.context["rows"]}
    v2 = rows[world.refs["v2"]]
    assert (v2[7], v2[8], v2[9]) == (1650, D("300.00"), False)
    assert len(rows) == 5

    # a visit's row opens its service order
    url = f"/kpi/drill/on_time_visit_rate/?period=2026-11&subject={subject}&part=numerator"
    response = client.get(url)
    links = {cells[0]: link for link, cells in response.context["rows"]}
    v7 = ServiceOrder.objects.get(reference=world.refs["v7"])
    assert len(links) == 4
    assert links[v7.reference] == f"/admin/aftersales/serviceorder/{v7.pk}/change/"


# --- return/exchange rate ----------------------------------------------------------


def _request(actor, moment, kind, product, category="appliance", then=None):
    with time_machine.travel(moment, tick=False):
        order = make_order(
            actor=actor,
            kind=kind,
            product_name=product,
            product_category=category,
            reason="客户申请",
        )
        if then is not None:
            order = s.order_transition(
                actor=actor.team.supervisor, order=order, to_status=then, note="不符"
            )
    return order


def test_return_exchange_rate_and_its_breakdown_by_product(org, client):
    agent = org.agent_a
    x1, p3 = "扫地机器人 X1", "空气净化器 P3"
    _request(agent, local(2026, 11, 2, 10), "return", x1)
    _request(agent, local(2026, 11, 3, 10), "exchange", x1)
    _request(agent, local(2026, 11, 4, 10), "repair", x1)
    _request(agent, local(2026, 11, 5, 10), "return", x1, then=S.CANCELLED)  # out
    _request(agent, local(2026, 11, 6, 10), "return", x1, then=S.REFUSED)  # counts
    _request(agent, local(2026, 11, 7, 10), "repair", p3)
    _request(agent, local(2026, 11, 8, 10), "installation", p3)
    # 16:30 UTC on 31 October = 00:30 on 1 November: November's
    _request(agent, utc(2026, 10, 31, 16, 30), "return", p3)
    # 16:30 UTC on 30 November = 00:30 on 1 December: not November's
    _request(agent, utc(2026, 11, 30, 16, 30), "exchange", p3)
    # team B's return: another team, another department
    _request(org.agent_b, local(2026, 11, 9, 10), "return", x1)
    november = month(2026, 11)

    kpi_compute_period(actor=None, period=november, now=local(2026, 12, 5, 9))

    r = result(november, "return_exchange_rate", SubjectType.STAFF, agent.pk)
    assert figures(r) == (D(4), D(7), D("57.1429"))
    team = result(november, "return_exchange_rate", SubjectType.TEAM, org.team_a.pk)
    assert figures(team) == (D(4), D(7), D("57.1429"))
    b = result(november, "return_exchange_rate", SubjectType.TEAM, org.team_b.pk)
    assert figures(b) == (D(1), D(1), D("100.0000"))

    client.force_login(org.manager_a)
    url = (
        f"/kpi/drill/return_exchange_rate/?period=2026-11&subject=team:{org.team_a.pk}"
    )
    response = client.get(url)
    assert response.status_code == 200
    breakdown = [
        (row.category, row.label, row.numerator, row.denominator, row.rate)
        for row in response.context["breakdown"]
    ]
    assert breakdown == [
        ("appliance", x1, 3, 4, D(75)),
        ("appliance", p3, 1, 3, D(100) / 3),
    ]
    html = response.content.decode()
    assert "75.0%" in html and "33.3%" in html
    assert len(response.context["rows"]) == 7
    numerator = client.get(url + "&part=numerator")
    assert len(numerator.context["rows"]) == 4
    # the breakdown is of the whole sample on the numerator page too
    assert len(numerator.context["breakdown"]) == 2


@pytest.mark.parametrize(
    "code", ["on_time_visit_rate", "first_time_fix_rate", "return_exchange_rate"]
)
def test_drill_down_pages_cost_no_query_per_row(org, world, client, code):
    """The numerator page lists fewer records than the sample page with the
    same number of queries: nothing is read row by row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _request(org.agent_a, local(2026, 11, 2, 10), "return", "扫地机器人 X1")
    november = month(2026, 11)
    kpi_compute_period(actor=None, period=november, now=local(2026, 12, 5, 9))
    client.force_login(org.manager_a)
    url = f"/kpi/drill/{code}/?period=2026-11&subject=team:{org.team_a.pk}"
    client.get(url)  # warm the session and caches

    with CaptureQueriesContext(connection) as few:
        small = client.get(url + "&part=numerator")
    with CaptureQueriesContext(connection) as many:
        large = client.get(url)

    assert len(small.context["rows"]) < len(large.context["rows"])
    assert len(many.captured_queries) == len(few.captured_queries)


def test_repair_cost_is_shown_in_yuan():
    from django.utils import translation

    from kpi.templatetags.kpi_tags import kpi_value

    with translation.override("zh-hans"):
        assert kpi_value(D("130.0000"), "yuan") == "130.00 元"
    with translation.override("en"):
        assert kpi_value(D("130.0000"), "yuan") == "130.00 yuan"
