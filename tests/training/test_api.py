"""GET /api/v1/training/records/: scoped per role, filters, cursor pages."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.factories.training import (
    AssessmentFactory,
    CertificationFactory,
    CourseFactory,
    EnrollmentFactory,
    TrainingAssignmentFactory,
    TrainingRequirementFactory,
    TrainingSessionFactory,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/training/records/"


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _names(response):
    return {row["employee_no"] for row in response.json()["results"]}


def _emp(*users):
    return {u.employee_no for u in users}


@pytest.fixture
def data(org):
    year = timezone.localdate().year
    culture = CourseFactory(code="culture", hours=Decimal("4"))
    TrainingRequirementFactory(role="agent", yearly_hours=Decimal("80"))
    TrainingRequirementFactory(role="agent").mandatory_courses.add(culture)
    start = datetime.combine(
        date(year, 1, 10), time(9), tzinfo=timezone.get_default_timezone()
    )
    session = TrainingSessionFactory(
        course=culture, starts_at=start, ends_at=start + timedelta(hours=90)
    )
    EnrollmentFactory(
        session=session,
        staff=org.agent_a,
        status="attended",
        attended_hours=Decimal("85"),
    )
    AssessmentFactory(
        staff=org.agent_a,
        course=culture,
        score=88,
        passed=True,
        taken_on=date(year, 1, 11),
    )
    CertificationFactory(
        staff=org.agent_a,
        number="ZG-A",
        expires_on=timezone.localdate() + timedelta(days=20),
    )
    TrainingAssignmentFactory(staff=org.agent_b, course=culture, reason="new_hire")
    return {"year": year}


def test_agent_sees_exactly_their_own_record_with_every_field(org, data):
    response = _api(org.agent_a).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"next", "previous", "results"}
    [row] = body["results"]
    assert row["employee_no"] == org.agent_a.employee_no
    assert row["name"] == org.agent_a.name
    assert row["team"] == "team-a"
    assert row["department"] == "dept-a"
    assert row["year"] == data["year"]
    assert row["hours"] == 85.0
    assert row["required_hours"] == 80.0
    assert row["below_requirement"] is False
    assert row["mandatory_done"] == ["culture"]
    assert row["mandatory_missing"] == []
    assert (row["assessments_taken"], row["assessments_passed"]) == (1, 1)
    assert row["top_performer"] is False
    [cert] = row["certifications"]
    assert cert["number"] == "ZG-A" and cert["status"] == "valid"
    assert cert["expires_on"] == (timezone.localdate() + timedelta(days=20)).isoformat()
    assert row["open_assignments"] == []


@pytest.mark.parametrize(
    ("who", "scope"),
    [
        ("supervisor_a", "team"),
        ("manager_b", "department"),
        ("trainer_a", "all"),
        ("qa_inspector_a", "own"),
        ("account_manager_b", "own"),
    ],
)
def test_scoping_per_role(org, data, who, scope):
    from crm.models import User

    user = getattr(org, who)
    response = _api(user).get(URL, {"page_size": 200})
    assert response.status_code == 200
    active = User.objects.filter(is_active=True)
    expected = {
        "team": active.filter(team=user.team),
        "department": active.filter(department=user.department),
        "all": active,
        "own": active.filter(pk=user.pk),
    }[scope]
    assert _names(response) == set(expected.values_list("employee_no", flat=True))


def test_filters_team_department_below_requirement_and_year(org, data):
    trainer = _api(org.trainer_a)
    below = trainer.get(URL, {"below_requirement": "true", "page_size": 200})
    assert _names(below) == _emp(org.agent_b)
    met = trainer.get(URL, {"below_requirement": "false", "page_size": 200})
    assert org.agent_a.employee_no in _names(met)
    team = trainer.get(URL, {"team": "team-b", "page_size": 200})
    assert org.agent_b.employee_no in _names(team)
    assert org.agent_a.employee_no not in _names(team)
    dept = trainer.get(URL, {"department": str(org.dept_a.pk), "page_size": 200})
    assert org.agent_a.employee_no in _names(dept)
    assert org.agent_b.employee_no not in _names(dept)
    assert trainer.get(URL, {"team": "nope"}).json()["results"] == []
    last_year = trainer.get(
        URL, {"year": data["year"] - 1, "below_requirement": "true", "page_size": 200}
    )
    rows = {r["employee_no"]: r for r in last_year.json()["results"]}
    assert rows[org.agent_a.employee_no]["hours"] == 0.0
    assert rows[org.agent_a.employee_no]["year"] == data["year"] - 1
    agent_b = next(
        r
        for r in below.json()["results"]
        if r["employee_no"] == org.agent_b.employee_no
    )
    assert agent_b["mandatory_missing"] == ["culture"]
    assert agent_b["open_assignments"][0]["course"] == "culture"
    assert agent_b["open_assignments"][0]["reason"] == "new_hire"


@pytest.mark.parametrize("year", ["abc", "1999", "3000"])
def test_a_bad_year_is_a_400_naming_the_field(org, year):
    response = _api(org.trainer_a).get(URL, {"year": year})
    assert response.status_code == 400
    assert "year" in response.json()["errors"]  # the API error shape (partners)


def test_cursor_pagination_walks_every_record_once(org, data):
    client = _api(org.trainer_a)
    seen, url, pages = [], URL + "?page_size=5", 0
    while url:
        body = client.get(url).json()
        seen += [r["employee_no"] for r in body["results"]]
        url, pages = body["next"], pages + 1
    # 19 staff: two of each of the nine staff roles (technicians included) + admin
    assert len(seen) == len(set(seen)) == 19
    assert pages == 4


def test_anonymous_and_roleless_users_are_refused(org):
    assert APIClient().get(URL).status_code in (401, 403)
    nobody = UserFactory(username="norole")
    assert _api(nobody).get(URL).status_code == 403


def test_token_authentication_works(org, data):
    token = Token.objects.create(user=org.agent_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get(URL)
    assert response.status_code == 200
    assert _names(response) == _emp(org.agent_a)


def test_query_count_is_constant_in_the_number_of_staff(
    org, data, django_assert_max_num_queries
):
    client = _api(org.trainer_a)
    with django_assert_max_num_queries(6):
        small = client.get(URL, {"page_size": 200})
    for n in range(25):
        staff = UserFactory(username=f"api{n}", roles=["agent"])
        CertificationFactory(staff=staff)
        TrainingAssignmentFactory(staff=staff)
    with django_assert_max_num_queries(6):
        big = client.get(URL, {"page_size": 200})
    assert len(big.json()["results"]) == len(small.json()["results"]) + 25


def test_the_endpoint_is_in_the_openapi_schema(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/training/records/" in response.content


def test_partner_api_keys_see_no_staff_records(org, data):
    """§4 lists the endpoint for scoped partners: a partner's scope holds no
    staff, so it gets an empty page, never a record."""
    from tests.factories.partners import make_api_key

    _key, raw = make_api_key()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_a_bad_cursor_is_a_400(org):
    response = _api(org.trainer_a).get(URL, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
