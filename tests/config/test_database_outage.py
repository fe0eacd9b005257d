"""Issue 14, point 5: a database outage answers 503 with Retry-After and the
API's JSON error shape (a plain 503 page outside the API), not a 500."""

import pytest
from django.db import InterfaceError, OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client
from rest_framework.test import APIClient

from config.api.exceptions import RETRY_AFTER_SECONDS
from tests.factories.crm import PartnerFactory
from tests.factories.partners import make_api_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down(monkeypatch):
    """Every query fails as when PostgreSQL restarts under the web process."""

    def down(error):
        def fail(self, *args, **kwargs):
            raise error("server closed the connection unexpectedly")

        monkeypatch.setattr(CursorWrapper, "execute", fail)
        monkeypatch.setattr(CursorWrapper, "executemany", fail)

    return down


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_the_api_answers_503_with_retry_after_when_the_database_is_down(
    database_down, error
):
    _key, raw = make_api_key(partner=PartnerFactory())
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    database_down(error)

    response = client.get("/api/v1/complaints/")

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    body = response.json()
    assert body["code"] == "database_unavailable"
    assert set(body) == {"code", "message", "errors"} and body["errors"] == {}
    assert body["message"]


def test_a_post_during_an_outage_is_503_too(database_down):
    _key, raw = make_api_key(partner=PartnerFactory())
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    database_down(OperationalError)

    response = client.post(
        "/api/v1/complaints/",
        {
            "customer": {"name": "王伟", "phone": "13800138000"},
            "channel": "online",
            "category": "service_quality",
            "subject": "包裹",
            "description": "丢失",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="outage-1",
    )

    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"


def test_an_outage_met_by_a_middleware_on_the_api_is_json_503(database_down, org):
    """Session auth: the session and the user are read before DRF runs."""
    client = Client(raise_request_exception=False)
    client.force_login(org.manager_a)
    database_down(OperationalError)

    response = client.get("/api/v1/complaints/")

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.json()["code"] == "database_unavailable"


def test_pages_get_a_plain_503_page(database_down, org):
    client = Client(raise_request_exception=False)
    client.force_login(org.manager_a)
    database_down(OperationalError)

    response = client.get("/admin/")

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("text/html")
    assert "<h1>" in response.content.decode()


def test_other_server_errors_stay_500(monkeypatch):
    _key, raw = make_api_key(partner=PartnerFactory())
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")

    def boom(self, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(CursorWrapper, "execute", boom)
    response = client.get("/api/v1/complaints/")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
