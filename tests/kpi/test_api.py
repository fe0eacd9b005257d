"""GET /api/v1/kpi/results/: staff scoping, filters, cursor pagination."""

import pytest

from kpi.models import KpiResult, SubjectType
from kpi.services import kpi_compute_period
from tests.factories.kpi import inspection, local, month

URL = "/api/v1/kpi/results/"
NOW = local(2026, 12, 5, 9, 0)


@pytest.fixture
def results(org):
    inspection(
        inspector=org.qa_inspector_a, staff=org.agent_a, at=local(2026, 11, 3), score=9
    )
    kpi_compute_period(actor=None, period=month(2026, 11), now=NOW)
    kpi_compute_period(actor=None, period=month(2026, 10), now=NOW)
    return org


def _all(client, url):
    rows, pages = [], 0
    while url:
        body = client.get(url).json()
        rows += body["results"]
        url = body["next"]
        pages += 1
    return rows, pages


@pytest.mark.django_db
def test_anonymous_is_refused(client):
    assert client.get(URL).status_code in (401, 403)


@pytest.mark.django_db
def test_filters_period_subject_indicator(client, results):
    org = results
    client.force_login(org.manager_a)
    body = client.get(
        URL,
        {
            "period": "2026-11",
            "indicator": "qa_score_avg",
            "subject": f"staff:{org.agent_a.pk}",
        },
    ).json()
    assert len(body["results"]) == 1
    row = body["results"][0]
    assert row["value"] == "90.0000"
    assert row["period"] == "2026-11" and row["indicator"] == "qa_score_avg"
    assert row["subject"] == f"staff:{org.agent_a.pk}"
    assert row["sample_size"] == 1
    assert client.get(URL, {"subject": "nonsense"}).json()["results"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("manager_a", lambda o, r: r.department_id == o.dept_a.pk),
        (
            "supervisor_a",
            lambda o, r: r.team_id == o.team_a.pk or r.staff_id == o.supervisor_a.pk,
        ),
        ("agent_a", lambda o, r: r.staff_id == o.agent_a.pk),
    ],
)
def test_staff_see_only_their_scope(client, results, who, expected):
    org = results
    client.force_login(getattr(org, who))
    rows, _pages = _all(client, URL + "?period=2026-11&page_size=200")
    want = {
        r.pk
        for r in KpiResult.objects.filter(period__key="2026-11")
        if expected(org, r)
    }
    assert {row["id"] for row in rows} == want
    assert want  # not vacuous


@pytest.mark.django_db
def test_cursor_pages_and_constant_queries(
    client, results, django_assert_max_num_queries
):
    org = results
    client.force_login(org.admin)
    total = KpiResult.objects.filter(subject_type=SubjectType.STAFF).count()
    rows, pages = _all(client, URL + "?subject_type=staff&page_size=50")
    assert len(rows) == total and len({r["id"] for r in rows}) == total
    assert pages == -(-total // 50)
    with django_assert_max_num_queries(6):
        client.get(URL, {"page_size": 200})


@pytest.mark.django_db
def test_partner_keys_see_no_staff_results(results):
    from rest_framework.test import APIClient

    from tests.factories.crm import PartnerFactory
    from tests.factories.partners import make_api_key

    _key, raw = make_api_key(partner=PartnerFactory(code="suda"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    response = client.get(URL)
    # Staff KPIs are internal: a partner gets nothing (refused or an empty list).
    assert response.status_code in (200, 403)
    if response.status_code == 200:
        assert response.json()["results"] == []
