"""qa01 records an inspection by the complaint's reference; manager01 opens
the KPI dashboard and drills into a figure."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from kpi.models import QualityInspection
from kpi.services import kpi_compute_period
from tests.browser.world import make_world
from tests.factories.complaints import make_complaint, walk
from tests.factories.kpi import inspection, local, month

QA_BUDGET = 4
MANAGER_BUDGET = 2


def test_qa_records_an_inspection_by_reference(desk):
    w = make_world()
    c = make_complaint(actor=w.agent01, customer=w.customer)
    c = walk(c, "resolved", actor=w.supervisor01)
    d = desk("qa01")
    d.check("home")
    d.click(f"#desk-inspections a[href*='complaint={c.reference}']")
    d.check("add-form")
    assert d.page.input_value("#id_complaint") == c.reference
    for item, score in zip(
        QualityInspection.CHECKLIST, (9, 8, 10, 7, 9, 10), strict=True
    ):
        d.page.fill(f"#id_{item}", str(score))
    d.page.fill("#id_comments", "用语规范，解释清楚，结尾未确认客户是否还有其他问题。")
    d.click("input[name=_save]")
    d.check("saved")
    row = QualityInspection.objects.get(complaint=c)
    assert row.inspector == w.qa01 and row.staff == w.agent01
    assert row.total == Decimal("88.33")  # 53 of 60 points
    assert d.clicks <= QA_BUDGET, d.clicks


def test_manager_opens_the_dashboard_and_drills_into_a_figure(desk):
    w = make_world()
    today = timezone.localdate()
    last = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    for day, score in ((3, 8), (10, 9)):
        inspection(
            inspector=w.qa01,
            staff=w.agent01,
            at=local(last.year, last.month, day, 10),
            score=score,
        )
    kpi_compute_period(
        actor=None, period=month(last.year, last.month), now=timezone.now()
    )
    d = desk("manager01")
    d.check("home")
    d.click("a[href='/kpi/']")
    text = d.check("dashboard")
    assert f"{last:%Y}" in text
    d.click("a[href*='/kpi/drill/qa_score_avg/']")
    text = d.check("drill")
    assert "/kpi/drill/qa_score_avg/" in d.page.url
    assert d.page.locator("table tbody tr").count() >= 2
    assert d.clicks <= MANAGER_BUDGET, d.clicks
    assert date(last.year, last.month, 1) <= today
