"""Bad input never gives a server error (issue 11, "Low — server errors").

Every list endpoint and every operation of the API (read from the OpenAPI
schema, so that a new endpoint is covered without touching this file), every
admin changelist with every one of its filter parameters (read from
``admin.site._registry`` and the changelist's own filter specs) and every page
under /kpi/ (read from ``kpi.urls``) get the payloads of the outside test:
bogus but well-formed cursors, 5,000 nested ``[``, NUL characters in the path,
the query string and form fields, years 0 / 10000 / 9999-12, huge, negative
and non-numeric ``page_size``, invalid UTF-8 and lone surrogates. The answer
is never a 5xx; the API answers its JSON error shape
(``{"code", "message", "errors"}``), and bad input changes nothing.

NUL characters only break PostgreSQL (``DataError``); CI runs this file on
PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.urls import reverse
from django.urls.converters import IntConverter
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from complaints.models import Complaint
from complaints.services import capa_create
from config.api.pagination import KefuCursorPagination
from config.api.scopes import Scope
from crm.models import Customer
from kpi import urls as kpi_urls
from kpi.models import Indicator, KpiPeriod, KpiResult
from kpi.services import kpi_compute_period
from partners.models import WebhookEndpoint
from tests.factories.complaints import make_complaint
from tests.factories.crm import CustomerFactory, PartnerFactory, RevisitFactory
from tests.factories.kpi import inspection, local, month
from tests.factories.partners import WebhookEndpointFactory, make_api_key

pytestmark = pytest.mark.django_db


def _cursor(query: str) -> str:
    """A cursor as DRF encodes one: the base64 of a little query string."""
    return base64.b64encode(query.encode()).decode()


# Query-string values, already percent-encoded as they travel on the wire.
NUL = "%00"
BAD_VALUES = [
    NUL,
    "a%00b",
    "%ff",  # invalid UTF-8
    "%ed%a0%80",  # a UTF-8-encoded lone surrogate
    "%c3%28",  # invalid two-byte sequence
    "%c2%b2",  # "²": a digit to str.isdigit(), not to int()
    "0",
    "1",
    "9999",
    "10000",
    "9999-12",
    "0000-01",
    "-1",
    "abc",
    "1e400",
    "100000000000000000000",  # 10**20
    "9" * 5000,  # past Python's int-from-text digit limit
]
# The admin gets one value of each kind (its pages are the slow ones).
ADMIN_VALUES = [
    NUL,
    "%ff",
    "%c2%b2",
    "0",
    "1",
    "9999",
    "10000",
    "9999-12",
    "-1",
    "abc",
    "100000000000000000000",
    "9" * 5000,
]
MANAGER_VALUES = [NUL, "%ff", "abc", "-1", "100000000000000000000"]
PAGE_SIZES = ["100000000000000000000", "-1", "0", "abc", "1.5", "9" * 5000, NUL]
# Cursors that decode (base64 of a query string) but whose position is no value
# of the ordering column, or whose offset/direction are nonsense.
BOGUS_CURSORS = [
    "bz0xJnA9YWJj",  # o=1&p=abc, the outside test's
    _cursor("p=abc"),
    _cursor("r=1&p=abc"),
    _cursor("o=1&p=99999999999999999999999"),
    _cursor("p=1e5"),
    _cursor("p=2026-13-45"),
    _cursor("p=a%00b"),
    _cursor("p=%ff"),
    _cursor("o=-5&p=1"),
    _cursor("o=abc"),
    _cursor("r=abc"),
    "%ff%fe",
    "not-base64!",
]
# Cursors that can never be a position, whatever the ordering column.
ALWAYS_INVALID_CURSORS = {_cursor("p=a%00b"), _cursor("o=abc"), _cursor("r=abc")}
PATH_VALUES = [NUL, "a%00b", "%ff", "%ed%a0%80", "0", "-1", "abc", "9" * 30, "%20"]

DEEP_LIST = "[" * 5000
DEEP_CLOSED = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000
SHALLOW_BUT_DEEP = "[" * 100 + "]" * 100  # valid JSON, still deeper than allowed


# --- the API, read from its schema -------------------------------------------------


def _api_operations() -> list[tuple[str, str, dict]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, method.upper(), operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


OPERATIONS = _api_operations()
LIST_PATHS = sorted(
    path
    for path, method, op in OPERATIONS
    if method == "GET" and any(p["name"] == "cursor" for p in op.get("parameters", []))
)
PATHS_WITH_PARAMS = sorted({path for path, _m, _op in OPERATIONS if "{" in path})
WRITE_OPERATIONS = sorted(
    (path, method)
    for path, method, _op in OPERATIONS
    if method in ("POST", "PUT", "PATCH")
)
BODY_FIELDS = {
    (path, method): _op["requestBody"]
    for path, method, _op in OPERATIONS
    if "requestBody" in _op
}


def _query_params(path: str) -> list[str]:
    (op,) = [op for p, m, op in OPERATIONS if p == path and m == "GET"]
    return [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]


def test_the_schema_lists_the_endpoints_checked_here():
    """The enumeration is not empty (a broken generator would check nothing)."""
    assert "/api/v1/complaints/" in LIST_PATHS
    assert "/api/v1/kpi/results/" in LIST_PATHS
    assert "/api/v1/complaints/{reference}/" in PATHS_WITH_PARAMS
    assert ("/api/v1/customers/", "POST") in WRITE_OPERATIONS


class World:
    pass


@pytest.fixture
def world(org, settings):
    """One partner key with every scope, staff clients, and a row of each kind."""
    settings.KEFU_API_RATE = "100000/min"
    cache.clear()
    w = World()
    w.org = org
    partner = PartnerFactory(code="bad-input", name="坏输入测试合作方")
    _key, raw = make_api_key(partner=partner, scopes=list(Scope.values))
    w.webhook = WebhookEndpointFactory(partner=partner)
    w.customer = CustomerFactory(partner=partner)
    RevisitFactory(customer=w.customer)
    w.complaint = make_complaint(customer=w.customer, source_partner=partner)
    w.service_order = _partner_service_order(w, partner, org)
    make_complaint(customer=CustomerFactory(department=org.dept_a))
    w.capa = capa_create(
        actor=org.supervisor_a,
        title="派送员服务礼仪整改",
        root_cause="派送员未经礼仪培训上岗",
        action="全员参加礼仪培训并抽查",
        owner=org.complaint_handler_a,
        due_date=timezone.localdate() + timedelta(days=30),
    )
    inspection(
        inspector=org.qa_inspector_a, staff=org.agent_a, at=local(2026, 11, 3, 10)
    )
    kpi_compute_period(actor=None, period=month(2026, 11), now=local(2026, 12, 5, 9))
    w.partner = APIClient()
    w.partner.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    w.admin = APIClient()
    w.admin.force_authenticate(org.admin)
    w.scoped = APIClient()
    w.scoped.force_authenticate(org.manager_a)
    w.api_clients = {"partner": w.partner, "admin": w.admin, "scoped": w.scoped}
    return w


def _partner_service_order(w, partner, org):
    """The partner's installation, approved (bookable): the service-order
    endpoints' row."""
    from aftersales import services as aftersales

    order = aftersales.order_create(
        actor=None,
        partner=partner,
        kind="installation",
        customer=w.customer,
        product_name="净水器 W5",
    )
    return aftersales.order_transition(
        actor=org.admin, order=order, to_status="approved"
    )


def _fill(path: str, w: World, value: str | None = None) -> str:
    """``path`` with its parameters replaced by ``value`` or by real rows."""
    orders = path.startswith("/api/v1/service-orders/")
    real = {
        "reference": w.service_order.reference if orders else w.complaint.reference,
        "code": w.customer.code,
        "id": str(w.capa.pk if path.startswith("/api/v1/capas/") else w.webhook.pk),
    }
    return re.sub(
        r"\{(\w+)\}", lambda m: value if value is not None else real[m[1]], path
    )


def assert_api_answer(response) -> dict | None:
    """No 5xx; an error is the API's JSON shape. Returns the JSON body."""
    body = response.content[:500]
    assert response.status_code < 500, (response.status_code, body)
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json"), body
        data = response.json()
        assert set(data) == {"code", "message", "errors"}, data
        assert data["code"] and isinstance(data["code"], str), data
        assert data["message"] and isinstance(data["message"], str), data
        assert isinstance(data["errors"], dict), data
        return data
    return response.json() if response.content else None


def _listing_clients(w: World, path: str) -> dict[str, APIClient]:
    """The principals that may read the list at ``path`` (at least one)."""
    allowed = {}
    for name, client in w.api_clients.items():
        response = client.get(_fill(path, w))
        assert_api_answer(response)
        if response.status_code == 200:
            allowed[name] = client
    assert allowed, f"no principal can list {path}: nothing would be checked"
    return allowed


@pytest.mark.parametrize("path", LIST_PATHS)
def test_bogus_cursors_are_an_invalid_cursor_never_a_server_error(world, path):
    """A cursor that decodes but holds no position of the ordering column is a
    400 ``invalid`` naming ``cursor`` (or, for a text column, simply a
    position); never a 5xx."""
    for name, client in _listing_clients(world, path).items():
        for cursor in BOGUS_CURSORS:
            response = client.get(_fill(path, world), {"cursor": cursor})
            data = assert_api_answer(response)
            if response.status_code == 400:
                assert data["code"] == "invalid", (name, cursor, data)
                assert list(data["errors"]) == ["cursor"], (name, cursor, data)
            else:
                assert response.status_code == 200, (name, cursor, data)
                assert set(data) == {"next", "previous", "results"}
            if cursor in ALWAYS_INVALID_CURSORS:
                assert response.status_code == 400, (name, cursor, data)


@pytest.mark.parametrize(
    "path", ["/api/v1/complaints/", "/api/v1/customers/", "/api/v1/revisits/"]
)
def test_the_outside_tests_cursor_is_a_400_on_numeric_orderings(world, path):
    response = world.admin.get(path + "?cursor=bz0xJnA9YWJj")
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid"
    assert data["errors"] == {"cursor": [data["errors"]["cursor"][0]]}


def test_a_valid_cursor_still_pages(world):
    """The position check accepts the cursors the API itself hands out."""
    first = world.admin.get("/api/v1/complaints/?page_size=1").json()
    assert first["next"]
    second = world.admin.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert second["results"][0]["reference"] != first["results"][0]["reference"]


@pytest.mark.parametrize("path", LIST_PATHS)
def test_list_filters_and_page_size_survive_bad_values(world, path):
    """Every query parameter of every list gets every bad value."""
    for name, client in _listing_clients(world, path).items():
        for param in _query_params(path):
            values = PAGE_SIZES if param == "page_size" else BAD_VALUES
            for value in values:
                response = client.get(f"{_fill(path, world)}?{param}={value}")
                data = assert_api_answer(response)
                if "%00" in value:
                    assert response.status_code == 400, (name, param, value)
                    assert data["code"] == "bad_request"
                elif response.status_code == 200:
                    assert len(data["results"]) <= 200


def test_huge_negative_and_non_numeric_page_sizes_fall_back_or_cap(world, settings):
    """A huge page_size is capped at the maximum, a negative or non-numeric one
    falls back to the default (both shrunk here to keep the test small)."""
    for _i in range(4):
        CustomerFactory(department=world.org.dept_a)
    with (
        mock.patch.object(KefuCursorPagination, "page_size", 2),
        mock.patch.object(KefuCursorPagination, "max_page_size", 3),
    ):
        for value, expected in (("100000000000000000000", 3), ("-1", 2), ("abc", 2)):
            response = world.admin.get(f"/api/v1/customers/?page_size={value}")
            assert response.status_code == 200
            assert len(response.json()["results"]) == expected
    response = world.admin.get("/api/v1/customers/?page_size=1")
    assert len(response.json()["results"]) == 1


@pytest.mark.parametrize("path", PATHS_WITH_PARAMS)
def test_bad_path_values_are_a_json_4xx(world, path):
    """NUL, invalid UTF-8, huge numbers… in a path parameter, every method."""
    methods = [m for p, m, _op in OPERATIONS if p == path]
    for value in PATH_VALUES:
        url = _fill(path, world, value)
        for name, client in world.api_clients.items():
            for method in methods:
                call = getattr(client, method.lower())
                if method in ("GET", "DELETE"):
                    response = call(url)
                else:
                    response = call(url, data="{}", content_type="application/json")
                data = assert_api_answer(response)
                assert response.status_code >= 400, (name, method, url)
                if "%00" in value:
                    assert response.status_code == 400, (name, method, url)
                    assert data["code"] == "bad_request"


def test_nul_in_an_api_path_is_a_400_not_a_database_error(world):
    response = world.partner.get("/api/v1/complaints/%00/")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert "NUL" in response.json()["message"]


def _body_fields(path: str, method: str) -> list[str]:
    """The property names of the operation's JSON request body (may be [])."""
    body = BODY_FIELDS.get((path, method))
    if not body or "application/json" not in body["content"]:
        return []
    schema = body["content"]["application/json"]["schema"]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = SchemaGenerator().get_schema(request=None, public=True)["components"][
            "schemas"
        ][name]
    return list(schema.get("properties", {}))


@pytest.mark.parametrize(("path", "method"), WRITE_OPERATIONS)
def test_deep_nesting_nul_and_lone_surrogates_in_json_are_a_400(world, path, method):
    """5,000 nested ``[`` (a RecursionError in the parser), NUL characters and
    lone surrogates in any field: 400 for those who may call the operation,
    never a 5xx, and nothing is created."""
    fields = _body_fields(path, method)
    bodies = [DEEP_LIST, DEEP_CLOSED, DEEP_OBJECT, SHALLOW_BUT_DEEP]
    bodies += [
        json.dumps(dict.fromkeys(fields or ["x"], bad)) for bad in ("\ud800", "a\0b")
    ]
    bodies += [json.dumps({"\ud800": 1}), json.dumps([{"a": ["\u0000"]}])]
    counts = (
        Complaint.objects.count(),
        Customer.objects.count(),
        WebhookEndpoint.objects.count(),
    )
    refused = set()
    for name, client in world.api_clients.items():
        for body in bodies:
            call = getattr(client, method.lower())
            response = call(
                _fill(path, world),
                data=body,
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=f"bad-input-{name}-{hash(body)}",
            )
            data = assert_api_answer(response)
            if response.status_code == 400:
                refused.add(body)
                if body in bodies[4:6] and data["code"] == "invalid":
                    # The field is named, the bad text is not echoed.
                    assert set(data["errors"]) <= {*fields, "x", "non_field_errors"}
    assert (
        Complaint.objects.count(),
        Customer.objects.count(),
        WebhookEndpoint.objects.count(),
    ) == counts
    if fields:
        # Someone may call every operation with a body: each bad body was refused.
        assert refused == set(bodies), path


def test_deep_nesting_is_a_parse_error(world):
    response = world.partner.post(
        "/api/v1/customers/", data=DEEP_LIST, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_a_lone_surrogate_is_refused_naming_the_field(world):
    before = Customer.objects.count()
    response = world.partner.post(
        "/api/v1/customers/",
        data='{"name": "\\ud800", "phone": "+8613800000000"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid"
    assert list(data["errors"]) == ["name"]
    assert Customer.objects.count() == before


def test_nul_in_a_json_slug_is_refused_before_any_lookup(world):
    """A NUL in a field no serializer validator checks (a category slug)."""
    response = world.partner.post(
        "/api/v1/complaints/",
        data=json.dumps({"category": "a\0b", "subject": "x", "channel": "phone"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "category": [response.json()["errors"]["category"][0]]
    }


@pytest.mark.parametrize("content_type", ["urlencoded", "multipart"])
def test_nul_in_a_patch_form_body_is_refused_naming_the_field(world, content_type):
    """PATCH form bodies bypass the middleware (Django parses only POST forms):
    the API's form parsers refuse them."""
    url = f"/api/v1/webhooks/{world.webhook.pk}/"
    before = WebhookEndpoint.objects.values_list("url", flat=True).get()
    if content_type == "urlencoded":
        response = world.partner.patch(
            url,
            data="url=https%3A%2F%2Fexample.com%2F%00&events=a%00",
            content_type="application/x-www-form-urlencoded",
        )
    else:
        response = world.partner.patch(
            url, data={"url": "https://example.com/\x00"}, format="multipart"
        )
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid"
    assert set(data["errors"]) <= {"url", "events"} and data["errors"]
    assert WebhookEndpoint.objects.values_list("url", flat=True).get() == before


def test_kpi_results_period_out_of_range_is_a_400(world):
    for period in ("9999-12", "0000-01", "10000", "2026-13", "nonsense"):
        response = world.admin.get(f"/api/v1/kpi/results/?period={period}")
        assert response.status_code == 400, period
        assert list(response.json()["errors"]) == ["period"]
    response = world.admin.get("/api/v1/kpi/results/?period=2026-11")
    assert response.status_code == 200
    assert response.json()["results"]


# --- the admin, read from its registry ---------------------------------------------


def _admin_label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


ADMIN_MODELS = sorted(admin.site._registry, key=_admin_label)


def _changelist_parameters(client, url) -> list[str]:
    """Every filter parameter of the changelist (list_filter, date hierarchy),
    plus search, ordering and page."""
    response = client.get(url)
    assert response.status_code == 200, url
    changelist = response.context["cl"]
    names = ["q", "o", "p"]
    for spec in changelist.filter_specs:
        names += spec.expected_parameters()
    if changelist.date_hierarchy:
        names += [
            f"{changelist.date_hierarchy}__{part}" for part in ("year", "month", "day")
        ]
    return names


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=_admin_label)
def test_admin_changelist_filters_survive_bad_values(client, world, model):
    """Every list_filter parameter of every changelist, as an administrator and
    as a department manager: a NUL is a 400, nothing is a 5xx."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    client.force_login(world.org.admin)
    parameters = _changelist_parameters(client, url)
    # Parsing a value does not depend on who asks: the administrator tries every
    # value, the manager (a scoped queryset under the same filters) the kinds.
    for user, values in (
        (world.org.admin, ADMIN_VALUES),
        (world.org.manager_a, MANAGER_VALUES),
    ):
        client.force_login(user)
        for name in parameters:
            for value in values:
                response = client.get(f"{url}?{name}={value}")
                assert response.status_code < 500, (user, name, value)
                if "%00" in value:
                    assert response.status_code == 400, (user, name, value)
                    assert "NUL" in response.content.decode()


def test_admin_filter_with_nul_is_a_plain_400(client, world):
    client.force_login(world.org.admin)
    response = client.get("/admin/complaints/complaint/?status__exact=%00")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("year", ["1", "9999", "100000000000000000000", "%c2%b2"])
def test_admin_date_hierarchy_out_of_range_is_the_invalid_lookup_page(
    client, world, year
):
    """Django's date hierarchy would build year 10000 (or overflow): a Kefu
    changelist answers its "invalid lookup" page instead."""
    client.force_login(world.org.admin)
    response = client.get(f"/admin/crm/revisit/?due_at__year={year}")
    assert response.status_code == 302
    assert response["Location"] == "/admin/crm/revisit/?e=1"
    response = client.get("/admin/crm/revisit/?due_at__year=2026&due_at__month=13")
    assert response["Location"] == "/admin/crm/revisit/?e=1"
    response = client.get("/admin/crm/revisit/?due_at__year=2026&due_at__month=12")
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["100000000000000000000", "%c2%b2"])
def test_admin_assignee_filter_ignores_what_is_no_id(client, world, value):
    client.force_login(world.org.admin)
    response = client.get(f"/admin/complaints/complaint/?assignee={value}")
    assert response.status_code == 200
    assert response.context["cl"].result_count == Complaint.objects.count()


def test_nul_in_an_admin_form_field_is_a_400_and_saves_nothing(client, world):
    client.force_login(world.org.admin)
    before = Customer.objects.count()
    response = client.post(
        "/admin/crm/customer/add/", {"name": "客户\x00", "phone": "+8613900000000"}
    )
    assert response.status_code == 400
    assert Customer.objects.count() == before


@pytest.mark.parametrize(
    "year", ["0", "10000", "-1", "abc", "9" * 5000, "1999"], ids=lambda y: y[:8]
)
def test_training_records_admin_refuses_years_out_of_range_with_a_message(
    client, world, year
):
    client.force_login(world.org.admin)
    response = client.get(f"/admin/training/trainingrecord/?year={year}")
    assert response.status_code == 200
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("2000" in m and "2100" in m for m in messages), messages
    # The records shown are those of the current year.
    assert response.context["cl"].result_count >= 1


def test_training_records_admin_keeps_a_valid_year_quietly(client, world):
    client.force_login(world.org.admin)
    response = client.get("/admin/training/trainingrecord/?year=2025")
    assert response.status_code == 200
    assert not list(get_messages(response.wsgi_request))


# --- the /kpi/ pages, read from kpi.urls --------------------------------------------

# The query/form parameters the pages read.
KPI_PARAMETERS = ["period", "scope", "subject", "part", "page", "format"]


def _kpi_url(pattern, w: World) -> str:
    kwargs = {
        name: w.org.agent_a.pk
        if isinstance(converter, IntConverter)
        else Indicator.objects.order_by("pk").first().code
        for name, converter in pattern.pattern.converters.items()
    }
    return reverse(f"kpi:{pattern.name}", kwargs=kwargs)


@pytest.mark.parametrize("pattern", kpi_urls.urlpatterns, ids=lambda p: p.name)
def test_kpi_pages_survive_bad_parameters(client, world, pattern):
    url = _kpi_url(pattern, world)
    for user in (world.org.manager_a, world.org.agent_a):
        client.force_login(user)
        post_only = client.get(url).status_code == 405
        for name in KPI_PARAMETERS:
            for value in BAD_VALUES:
                if post_only:
                    response = client.post(
                        url,
                        data=f"{name}={value}",
                        content_type="application/x-www-form-urlencoded",
                    )
                else:
                    response = client.get(f"{url}?{name}={value}")
                assert response.status_code < 500, (user, url, name, value)
                if "%00" in value:
                    assert response.status_code == 400, (user, url, name, value)


def test_kpi_page_with_nul_period_is_a_400(client, world):
    client.force_login(world.org.manager_a)
    assert client.get("/kpi/?period=%00").status_code == 400


@pytest.mark.parametrize("period", ["9999-12", "0000-01", "10000", "1999-12", "x"])
def test_recompute_refuses_periods_out_of_range_with_a_message(client, world, period):
    client.force_login(world.org.manager_a)
    periods = KpiPeriod.objects.count()
    results = KpiResult.objects.count()
    response = client.post("/kpi/recompute/", {"period": period}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][0] == reverse("kpi:dashboard")
    messages = [str(m) for m in response.context["messages"]]
    assert any("2000" in m and "2100" in m for m in messages), messages
    assert (KpiPeriod.objects.count(), KpiResult.objects.count()) == (periods, results)


def test_recompute_of_the_last_allowed_month_works(client, world):
    client.force_login(world.org.manager_a)
    response = client.post("/kpi/recompute/", {"period": "2100-12"})
    assert response.status_code == 302
    assert KpiPeriod.objects.filter(key="2100-12", end__year=2101).exists()
