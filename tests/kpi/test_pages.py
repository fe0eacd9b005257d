"""Manager pages: login, role scoping, drill-down, recompute, export, query counts."""

import csv
import io
import re
from decimal import Decimal as D
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from kpi.models import KpiResult, SubjectType
from kpi.services import kpi_compute_period
from tests.factories import UserFactory
from tests.factories.kpi import (  # noqa: F401 - complaint_links is a fixture
    complaint_links,
    inspection,
    local,
    month,
)

NOW = local(2026, 12, 5, 9, 0)


@pytest.fixture
def computed(org):
    qa = org.qa_inspector_a
    for staff in (org.agent_a, org.complaint_handler_a, org.agent_b):
        # Each department's inspector samples the calls of their own department.
        inspector = qa if staff.department_id == org.dept_a.pk else org.qa_inspector_b
        inspection(inspector=inspector, staff=staff, at=local(2026, 11, 3, 10), score=8)
    inspection(inspector=qa, staff=org.agent_a, at=local(2026, 10, 3, 10), score=6)
    for m in (10, 11):
        kpi_compute_period(actor=None, period=month(2026, m), now=NOW)
    return org


def _login(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_pages_require_login(client):
    for url in ("/kpi/", "/kpi/staff/1/", "/kpi/export/?period=2026-11"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_manager_dashboard_shows_their_department_in_chinese(client, computed):
    org = computed
    html = _login(client, org.manager_a).get("/kpi/?period=2026-11").content.decode()
    assert "绩效看板" in html and "质检平均分" in html  # indicator name in Chinese
    assert org.agent_a.name in html and org.complaint_handler_a.name in html
    assert org.agent_b.name not in html  # department B is not theirs
    # trend charts rendered server-side, as well-formed SVG
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert svgs
    for svg in svgs:
        ElementTree.fromstring(svg)
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


@pytest.mark.django_db
def test_manager_cannot_pick_another_departments_scope(client, computed):
    org = computed
    html = (
        _login(client, org.manager_a)
        .get(f"/kpi/?period=2026-11&scope=department:{org.dept_b.pk}")
        .content.decode()
    )
    assert org.agent_b.name not in html
    assert org.agent_a.name in html  # falls back to their own department


@pytest.mark.django_db
def test_supervisor_sees_their_team_only(client, computed):
    org = computed
    other = UserFactory(username="agent_a2", team=org.team_b, roles=["agent"])
    kpi_compute_period(actor=None, period=month(2026, 11), now=NOW)
    html = _login(client, org.supervisor_a).get("/kpi/?period=2026-11").content.decode()
    assert org.agent_a.name in html
    assert other.name not in html and org.agent_b.name not in html


@pytest.mark.django_db
def test_agent_is_sent_to_their_own_card_and_cannot_open_others(client, computed):
    org = computed
    _login(client, org.agent_a)
    response = client.get("/kpi/")
    assert response.status_code == 302
    assert response["Location"] == f"/kpi/staff/{org.agent_a.pk}/"
    html = client.get(f"/kpi/staff/{org.agent_a.pk}/?period=2026-11").content.decode()
    assert "质检平均分" in html and "80.0" in html
    assert client.get(f"/kpi/staff/{org.complaint_handler_a.pk}/").status_code == 404
    assert client.get(f"/kpi/staff/{org.agent_b.pk}/").status_code == 404


@pytest.mark.django_db
def test_drill_down_lists_the_records_behind_a_figure(client, computed):
    org = computed
    _login(client, org.manager_a)
    url = f"/kpi/drill/qa_score_avg/?period=2026-11&subject=team:{org.team_a.pk}"
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<tr>") - 1 == 2  # header + the two inspections of team A
    result = KpiResult.objects.get(
        period__key="2026-11",
        indicator__code="qa_score_avg",
        subject_type=SubjectType.TEAM,
        subject_id=org.team_a.pk,
    )
    assert result.sample_size == 2
    # another department's figure is refused
    url_b = f"/kpi/drill/qa_score_avg/?period=2026-11&subject=team:{org.team_b.pk}"
    assert client.get(url_b).status_code == 403
    assert (
        client.get("/kpi/drill/nope/?period=2026-11&subject=team:1").status_code == 404
    )


@pytest.mark.django_db
def test_only_managers_recompute(client, computed):
    org = computed
    _login(client, org.supervisor_a)
    assert client.post("/kpi/recompute/", {"period": "2026-11"}).status_code == 403
    _login(client, org.manager_a)
    before = KpiResult.objects.filter(period__key="2026-11").count()
    response = client.post("/kpi/recompute/", {"period": "2026-11"})
    assert response.status_code == 302
    assert KpiResult.objects.filter(period__key="2026-11").count() == before
    # A period that is no key: back to the dashboard with a message (not a 404).
    response = client.post("/kpi/recompute/", {"period": "nonsense"})
    assert response.status_code == 302
    assert response["Location"] == "/kpi/"


@pytest.mark.django_db
def test_export_csv_is_scoped(client, computed):
    org = computed
    _login(client, org.manager_a)
    response = client.get("/kpi/export/?period=2026-11&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    subjects = {row[2] for row in rows[1:]}
    assert org.agent_a.name in subjects and org.dept_a.name in subjects
    assert org.agent_b.name not in subjects and org.dept_b.name not in subjects
    expected = KpiResult.objects.filter(
        period__key="2026-11", department=org.dept_a
    ).count()
    assert len(rows) - 1 == expected


@pytest.mark.django_db
def test_export_xlsx_of_an_agent_holds_only_their_rows(client, computed):
    org = computed
    _login(client, org.agent_a)
    response = client.get("/kpi/export/?period=2026-11&format=xlsx")
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert {row[2] for row in rows[1:]} == {org.agent_a.name}
    qa_row = next(row for row in rows[1:] if row[4] == "qa_score_avg")
    assert D(str(qa_row[7])) == D(80)


@pytest.mark.django_db
def test_dashboard_query_count_does_not_grow_with_staff(
    client, computed, django_assert_max_num_queries
):
    org = computed
    _login(client, org.manager_a)
    client.get("/kpi/?period=2026-11")  # warm up session/caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get("/kpi/?period=2026-11")
    # when the department grows by many staff with data
    for n in range(15):
        staff = UserFactory(username=f"more{n}", team=org.team_a, roles=["agent"])
        inspection(
            inspector=org.qa_inspector_a, staff=staff, at=local(2026, 11, 5), score=7
        )
    kpi_compute_period(actor=None, period=month(2026, 11), now=NOW)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get("/kpi/?period=2026-11").content.decode()
    assert staff.name in html  # the newest member is in the table


@pytest.mark.django_db
def test_pages_switch_to_english(client, computed):
    org = computed
    _login(client, org.manager_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/kpi/"})
    html = client.get("/kpi/?period=2026-11").content.decode()
    assert "KPI dashboard" in html and "Average QA score" in html
    assert "质检平均分" not in html


@pytest.mark.django_db
@pytest.mark.usefixtures("complaint_links")
def test_dashboard_with_complaints_keeps_a_constant_query_count(
    client, org, django_assert_max_num_queries
):
    """Category/channel mix and SLA breaches come from grouped queries: adding
    staff and complaints does not add queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories.kpi import complaint_story, policy_24x7

    policy_24x7()

    def story(agent, day, category="service_quality"):
        return complaint_story(
            agent=agent,
            lead=org.supervisor_a,
            received=local(2026, 11, day, 10),
            respond=local(2026, 11, day, 11),  # late: a first-response breach
            category=category,
        )

    story(org.agent_a, 2)
    period = month(2026, 11)
    kpi_compute_period(actor=None, period=period, now=NOW)
    _login(client, org.manager_a)
    client.get("/kpi/?period=2026-11")
    with CaptureQueriesContext(connection) as small:
        html = client.get("/kpi/?period=2026-11").content.decode()
    assert "服务质量" in html or "service" in html.lower()  # category mix
    # when more staff and complaints arrive
    for n in range(4):
        extra = UserFactory(username=f"extra{n}", team=org.team_a, roles=["agent"])
        story(extra, 3 + n, category="attitude" if n % 2 else "process")
    kpi_compute_period(actor=None, period=period, now=NOW)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get("/kpi/?period=2026-11").content.decode()
    assert (
        "extra3" in html
        or UserFactory._meta.model.objects.get(username="extra3").name in html
    )
    # 5 complaints × 4 intake clocks, all past due on 5 December, none met in time
    assert "SLA 超时 (20)" in html


@pytest.mark.django_db
def test_dashboard_opens_on_the_last_complete_month_with_units(client, computed):
    import time_machine

    org = computed
    # Given November and a two-day-old December computed
    kpi_compute_period(actor=None, period=month(2026, 12), now=NOW)
    _login(client, org.manager_a)
    with time_machine.travel(NOW, tick=False):
        response = client.get("/kpi/")
    # Then the dashboard opens on November, the last complete month
    assert response.context["period"].key == "2026-11"
    html = response.content.decode()
    # figures carry their unit, definitions are Chinese
    assert "/ 100" in html  # QA score out of 100
    assert "本期对该员工的投诉和通话质检的平均总分" in html
    assert "Mean quality-inspection total" not in html


@pytest.mark.django_db
def test_drill_down_numbers_are_plain(client, computed):
    org = computed
    _login(client, org.manager_a)
    url = f"/kpi/drill/qa_score_avg/?period=2026-11&subject=team:{org.team_a.pk}"
    html = client.get(url).content.decode()
    # 2 inspections of 80 points: 160 / 2, not "160.0000 / 2.0000"
    assert "分子 160 " in html.replace("\n", " ") or "160</" in html or " 160 " in html
    assert ".0000" not in html


def test_kpi_number_and_value_formats():
    from decimal import Decimal

    from django.utils import translation

    from kpi.templatetags.kpi_tags import kpi_number, kpi_value

    assert kpi_number(Decimal("450.0000")) == "450"
    assert kpi_number(Decimal("7.5000")) == "7.5"
    assert kpi_number(None) == "—"
    with translation.override("zh-hans"):
        assert kpi_value(Decimal("7.5"), "hours") == "7.5 小时"
        assert kpi_value(Decimal("92.46"), "percent") == "92.5%"
