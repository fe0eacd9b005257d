"""Every endpoint refuses an API key that lacks its scope (403) and accepts one
that has it; staff-only endpoints refuse every key."""

import pytest

from config.api.scopes import Scope
from tests.factories.complaints import make_complaint
from tests.factories.crm import CustomerFactory

pytestmark = pytest.mark.django_db

# (method, path template, scope it needs)
ENDPOINTS = [
    ("get", "/api/v1/complaints/", Scope.COMPLAINTS_READ),
    ("get", "/api/v1/complaints/{ref}/", Scope.COMPLAINTS_READ),
    ("get", "/api/v1/complaints/{ref}/events/", Scope.COMPLAINTS_READ),
    ("post", "/api/v1/complaints/", Scope.COMPLAINTS_WRITE),
    ("post", "/api/v1/complaints/{ref}/feedback/", Scope.FEEDBACK_WRITE),
    ("get", "/api/v1/customers/", Scope.CUSTOMERS_READ),
    ("get", "/api/v1/customers/{customer}/", Scope.CUSTOMERS_READ),
    ("post", "/api/v1/customers/", Scope.CUSTOMERS_WRITE),
    ("get", "/api/v1/revisits/", Scope.CUSTOMERS_READ),
    ("get", "/api/v1/webhooks/", Scope.WEBHOOKS_MANAGE),
    ("post", "/api/v1/webhooks/", Scope.WEBHOOKS_MANAGE),
]


@pytest.fixture
def complaint(partner_a):
    customer = CustomerFactory(partner=partner_a)
    return make_complaint(customer=customer, source_partner=partner_a)


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS)
def test_endpoint_needs_its_scope(
    partner_a, key_client, complaint, method, path, scope
):
    url = path.format(ref=complaint.reference, customer=complaint.customer.code)
    others = [s for s in Scope.values if s != scope]
    without = key_client(partner_a, scopes=others)
    with_scope = key_client(partner_a, scopes=[scope])

    refused = getattr(without, method)(url, {}, format="json")
    allowed = getattr(with_scope, method)(url, {}, format="json")

    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert scope in refused.json()["message"]
    # With the scope the request gets past permissions (200, 201 or a 4xx about
    # the body or the state — never 401/403).
    assert allowed.status_code not in (401, 403), allowed.json()


@pytest.mark.parametrize(
    "action",
    [
        "assign",
        "start-analysis",
        "analysis",
        "start-handling",
        "reply",
        "hold",
        "resume",
        "resolve",
        "confirm",
        "close",
        "reopen",
        "reject",
        "escalate",
        "severity",
        "note",
    ],
)
def test_staff_only_endpoints_refuse_every_key(
    partner_a, key_client, complaint, action
):
    client = key_client(partner_a, scopes=list(Scope.values))

    response = client.post(f"/api/v1/complaints/{complaint.reference}/{action}/", {})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_unauthenticated_requests_are_401_everywhere(complaint):
    from rest_framework.test import APIClient

    client = APIClient()
    for method, path, _scope in ENDPOINTS:
        url = path.format(ref=complaint.reference, customer=complaint.customer.code)
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"].startswith("Api-Key")
