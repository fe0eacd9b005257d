"""Black-box check of the partner API contract, DESIGN.md §4.

These tests talk to the API only through HTTP (DRF's APIClient) and make partner
keys only with ``manage.py create_api_key`` (the key is the last line of its
output), as the outside tests do. Staff-side set-up (moving a complaint through
the lifecycle) uses the project's factories; assertions read HTTP answers and,
where §4 promises something about stored data (one complaint, one customer, a
hashed key), the database.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from complaints.models import Complaint, ComplaintEvent, SatisfactionSurvey
from crm.models import Customer, PartnerOrganisation
from tests.factories.complaints import make_complaint, walk
from tests.factories.crm import CustomerFactory
from tests.partners.webhook_receiver import Receiver

API = "/api/v1"
REFERENCE_RE = re.compile(r"^TS\d{8}\d{4,}$")
ALL_SCOPES = (
    "complaints:read,complaints:write,customers:read,customers:write,"
    "feedback:write,webhooks:manage"
)
CHANNELS = ("phone", "online", "onsite", "email", "social", "letter", "api")
CATEGORIES = ("service_quality", "attitude", "process", "product", "other")
SEVERITIES = ("urgent", "high", "normal", "low")
STATUSES = (
    "received",
    "analyzing",
    "handling",
    "on_hold",
    "replied",
    "resolved",
    "closed",
    "reopened",
    "rejected",
)
WEBHOOK_EVENTS = (
    "complaint.created",
    "complaint.status_changed",
    "complaint.replied",
    "complaint.resolved",
)


# --------------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache; every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


def create_api_key(partner: str, scopes: str = ALL_SCOPES) -> str:
    """Run the management command and return the key printed on its last line."""
    out = io.StringIO()
    call_command("create_api_key", "--partner", partner, "--scopes", scopes, stdout=out)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    assert lines, "create_api_key printed nothing"
    key = lines[-1]
    assert key == key.strip() and " " not in key, (
        f"last line is not a key alone: {key!r}"
    )
    return key


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def partner_key(db):
    """``partner_key(name, scopes=ALL)`` → APIClient authenticated with a new key."""

    def make(name: str = "速达商城", scopes: str = ALL_SCOPES) -> APIClient:
        client = key_client(create_api_key(name, scopes))
        client.partner = PartnerOrganisation.objects.get(name=name)
        return client

    return make


@pytest.fixture
def pa(partner_key):
    return partner_key("速达商城")


@pytest.fixture
def pb(partner_key):
    return partner_key("云海物流")


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def token_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def body(**overrides) -> dict:
    data = {
        "customer": {
            "name": "王小明",
            "phone": "+8613812345678",
            "email": "wang@example.com",
            "external_id": "cust-001",
        },
        "channel": "online",
        "category": "service_quality",
        "subject": "快件延误三天未送达",
        "description": "客户反映快件已延误三天，物流信息未更新。",
    }
    data.update(overrides)
    return data


def post_complaint(client, data=None, **headers):
    return client.post(f"{API}/complaints/", data or body(), format="json", **headers)


def assert_error(resp, status: int):
    """§4: errors are JSON with a machine-readable ``code`` and a message."""
    assert resp.status_code == status, (resp.status_code, resp.content[:500])
    assert resp["Content-Type"].startswith("application/json"), resp["Content-Type"]
    data = resp.json()
    assert isinstance(data.get("code"), str) and data["code"], data
    assert isinstance(data.get("message"), str) and data["message"], data
    return data


def _flat_keys(value, prefix=""):
    keys = set()
    if isinstance(value, dict):
        for k, v in value.items():
            name = f"{prefix}.{k}" if prefix else str(k)
            keys.add(name)
            keys |= _flat_keys(v, name)
    return keys


def assert_names_field(resp, field: str):
    """A validation error (400) names the offending field."""
    data = assert_error(resp, 400)
    named = _flat_keys(data.get("errors") or {}) | {data.get("field") or ""}
    assert any(
        name == field or name.endswith(f".{field}") or name.startswith(f"{field}.")
        for name in named
    ), f"field {field!r} not named in {data}"


def results(resp):
    assert resp.status_code == 200, (resp.status_code, resp.content[:500])
    data = resp.json()
    assert "results" in data and "next" in data and "previous" in data, data
    return data["results"]


def refs(resp) -> set[str]:
    return {row["reference"] for row in results(resp)}


def partner_complaint(partner, **overrides):
    """A complaint of ``partner`` made by the complaints service (staff side)."""
    return make_complaint(source_partner=partner, **overrides)


# ------------------------------------------------------------- auth: create_api_key


def test_create_api_key_creates_partner_and_prints_key_last(db):
    assert not PartnerOrganisation.objects.filter(name="新伙伴").exists()
    key = create_api_key("新伙伴", "complaints:read")
    assert PartnerOrganisation.objects.filter(name="新伙伴").count() == 1
    resp = key_client(key).get(f"{API}/complaints/")
    assert resp.status_code == 200
    # A second key for the same partner reuses the organisation.
    key2 = create_api_key("新伙伴", "complaints:read")
    assert key2 != key
    assert PartnerOrganisation.objects.filter(name="新伙伴").count() == 1


def test_api_keys_are_stored_hashed(db):
    from partners.models import ApiKey

    key = create_api_key("速达商城")
    for row in ApiKey.objects.values():
        for value in row.values():
            assert key not in str(value), "the raw key is stored"


# ---------------------------------------------------------------- auth: 401s


def test_missing_auth_header_is_401(db):
    assert_error(APIClient().get(f"{API}/complaints/"), 401)
    assert_error(APIClient().post(f"{API}/complaints/", body(), format="json"), 401)


def test_wrong_key_is_401(db):
    create_api_key("速达商城")
    assert_error(key_client("not-a-real-key").get(f"{API}/complaints/"), 401)
    real = create_api_key("速达商城")
    assert_error(key_client(real[:-2] + "xx").get(f"{API}/complaints/"), 401)


def test_wrong_scheme_is_401(db):
    key = create_api_key("速达商城")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert_error(client.get(f"{API}/complaints/"), 401)


def test_revoked_key_is_401(db):
    from partners.models import ApiKey
    from partners.services import api_key_revoke

    key = create_api_key("速达商城")
    client = key_client(key)
    assert client.get(f"{API}/complaints/").status_code == 200
    for api_key in ApiKey.objects.filter(partner__name="速达商城"):
        api_key_revoke(actor=None, api_key=api_key)
    assert_error(client.get(f"{API}/complaints/"), 401)


# ---------------------------------------------------------------- scopes → 403


@pytest.mark.parametrize(
    ("method", "path", "needed"),
    [
        ("get", "/complaints/", "complaints:read"),
        ("post", "/complaints/", "complaints:write"),
        ("get", "/complaints/{ref}/", "complaints:read"),
        ("get", "/complaints/{ref}/events/", "complaints:read"),
        ("post", "/complaints/{ref}/feedback/", "feedback:write"),
        ("get", "/customers/", "customers:read"),
        ("post", "/customers/", "customers:write"),
        ("get", "/webhooks/", "webhooks:manage"),
    ],
)
def test_scope_is_required_per_endpoint(partner_key, org, method, path, needed):
    others = ",".join(s for s in ALL_SCOPES.split(",") if s != needed)
    without = partner_key("速达商城", others)
    complaint = walk(partner_complaint(without.partner), "resolved", actor=org.admin)
    url = API + path.format(ref=complaint.reference)
    payloads = {
        "/complaints/": body(),
        "/complaints/{ref}/feedback/": {"csat": 5},
        "/customers/": {"name": "李四", "phone": "+8613900001111"},
    }
    data = payloads.get(path)
    resp = getattr(without, method)(url, data, format="json")
    assert_error(resp, 403)

    with_scope = partner_key("速达商城", needed)
    resp = getattr(with_scope, method)(url, data, format="json")
    assert resp.status_code in (200, 201), (resp.status_code, resp.content[:300])


# ------------------------------------------------------------- POST /complaints/


def test_create_complaint_returns_contract_fields(pa):
    resp = post_complaint(pa, body(severity="high"))
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert REFERENCE_RE.match(data["reference"]), data["reference"]
    today = timezone.localdate()
    assert data["reference"][2:10] in {
        (today + timedelta(days=d)).strftime("%Y%m%d") for d in (-1, 0, 1)
    }
    assert data["status"] == "received"
    assert data["severity"] == "high"
    assert isinstance(data["sla"], dict) and data["sla"], data["sla"]
    due_times = [v for v in data["sla"].values() if v]
    assert due_times, "sla carries no due time"
    for value in due_times:
        assert timezone.datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert data["created_at"]
    assert Complaint.objects.filter(reference=data["reference"]).count() == 1


def test_create_complaint_with_all_optional_fields(pa):
    occurred = "2026-11-20T09:30:00+08:00"
    resp = post_complaint(
        pa,
        body(
            severity="urgent",
            order_number="SF1234567890",
            occurred_at=occurred,
            desired_resolution="尽快送达并道歉",
        ),
    )
    assert resp.status_code == 201, resp.content
    ref = resp.json()["reference"]
    complaint = Complaint.objects.get(reference=ref)
    assert complaint.order_number == "SF1234567890"
    assert complaint.desired_resolution == "尽快送达并道歉"
    assert complaint.occurred_at == timezone.datetime.fromisoformat(occurred)
    assert complaint.severity == "urgent"
    assert complaint.source_partner.name == "速达商城"
    detail = pa.get(f"{API}/complaints/{ref}/").json()
    assert detail["order_number"] == "SF1234567890"
    assert detail["desired_resolution"] == "尽快送达并道歉"


def test_create_without_severity_gets_a_severity_code(pa):
    resp = post_complaint(pa)
    assert resp.status_code == 201, resp.content
    assert resp.json()["severity"] in SEVERITIES


def test_create_with_email_only_customer(pa):
    data = body()
    data["customer"] = {"name": "赵六", "email": "zhao@example.com"}
    resp = post_complaint(pa, data)
    assert resp.status_code == 201, resp.content


def test_references_are_unique_and_sequential(pa):
    first = post_complaint(pa).json()["reference"]
    second = post_complaint(pa, body(subject="第二次投诉")).json()["reference"]
    assert first != second
    assert REFERENCE_RE.match(second)
    if first[2:10] == second[2:10]:
        assert int(second[10:]) == int(first[10:]) + 1


@pytest.mark.parametrize("channel", CHANNELS)
def test_channel_codes_on_the_wire(pa, channel):
    resp = post_complaint(pa, body(channel=channel))
    assert resp.status_code == 201, resp.content
    detail = pa.get(f"{API}/complaints/{resp.json()['reference']}/").json()
    assert detail["channel"] == channel


@pytest.mark.parametrize("category", CATEGORIES)
def test_category_codes_on_the_wire(pa, category):
    resp = post_complaint(pa, body(category=category))
    assert resp.status_code == 201, resp.content
    detail = pa.get(f"{API}/complaints/{resp.json()['reference']}/").json()
    assert detail["category"] == category


@pytest.mark.parametrize("severity", SEVERITIES)
def test_severity_codes_on_the_wire(pa, severity):
    resp = post_complaint(pa, body(severity=severity))
    assert resp.status_code == 201, resp.content
    assert resp.json()["severity"] == severity


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("channel", "fax"),
        ("category", "no_such_category"),
        ("severity", "critical"),
        ("occurred_at", "yesterday"),
    ],
)
def test_create_rejects_bad_codes_naming_the_field(pa, field, value):
    resp = post_complaint(pa, body(**{field: value}))
    assert_names_field(resp, field)
    assert Complaint.objects.count() == 0


@pytest.mark.parametrize(
    "field", ["customer", "channel", "category", "subject", "description"]
)
def test_create_requires_fields_naming_them(pa, field):
    data = body()
    del data[field]
    assert_names_field(post_complaint(pa, data), field)
    assert Complaint.objects.count() == 0


def test_create_requires_customer_name(pa):
    data = body()
    del data["customer"]["name"]
    resp = post_complaint(pa, data)
    assert_names_field(resp, "name")
    assert Complaint.objects.count() == 0


def test_create_requires_phone_or_email(pa):
    data = body()
    data["customer"] = {"name": "王小明", "external_id": "x-1"}
    resp = post_complaint(pa, data)
    assert resp.status_code == 400, resp.content
    assert_error(resp, 400)
    assert Complaint.objects.count() == 0


def test_create_rejects_invalid_email_naming_it(pa):
    data = body()
    data["customer"]["email"] = "not-an-email"
    assert_names_field(post_complaint(pa, data), "email")


def test_invalid_json_is_400_json(pa):
    resp = pa.post(
        f"{API}/complaints/", data="{not json", content_type="application/json"
    )
    assert_error(resp, 400)


# --------------------------------------------------------- customer de-duplication


def _customer_of(resp):
    assert resp.status_code == 201, resp.content
    return Complaint.objects.get(reference=resp.json()["reference"]).customer_id


def test_same_customer_twice_same_phone_and_external_id(pa):
    a = _customer_of(post_complaint(pa))
    b = _customer_of(post_complaint(pa, body(subject="又一次")))
    assert a == b
    assert Customer.objects.count() == 1


def test_same_customer_by_external_id_with_other_phone(pa):
    a = _customer_of(post_complaint(pa))
    data = body(subject="换了手机号")
    data["customer"] = {**data["customer"], "phone": "+8613998765432", "email": ""}
    b = _customer_of(post_complaint(pa, data))
    assert a == b


def test_same_customer_by_phone_without_external_id(pa):
    data = body()
    data["customer"] = {"name": "王小明", "phone": "13812345678"}
    a = _customer_of(post_complaint(pa, data))
    data2 = body(subject="第二单")
    data2["customer"] = {"name": "王小明", "phone": "+86 138 1234 5678"}
    b = _customer_of(post_complaint(pa, data2))
    assert a == b


def test_different_customers_stay_different(pa):
    a = _customer_of(post_complaint(pa))
    data = body()
    data["customer"] = {
        "name": "李雷",
        "phone": "+8613700000000",
        "email": "li@example.com",
        "external_id": "cust-002",
    }
    b = _customer_of(post_complaint(pa, data))
    assert a != b


# ---------------------------------------------------------------- idempotency


def test_idempotency_key_replay_returns_first_result(pa):
    first = post_complaint(pa, HTTP_IDEMPOTENCY_KEY="order-77-a")
    second = post_complaint(pa, HTTP_IDEMPOTENCY_KEY="order-77-a")
    assert first.status_code == 201, first.content
    assert second.status_code == first.status_code
    assert second.json() == first.json()
    assert Complaint.objects.count() == 1


def test_idempotency_key_different_body_is_422(pa):
    first = post_complaint(pa, HTTP_IDEMPOTENCY_KEY="order-77-b")
    assert first.status_code == 201
    second = post_complaint(
        pa, body(subject="别的内容"), HTTP_IDEMPOTENCY_KEY="order-77-b"
    )
    assert_error(second, 422)
    assert Complaint.objects.count() == 1


def test_without_idempotency_key_each_post_creates(pa):
    post_complaint(pa)
    post_complaint(pa)
    assert Complaint.objects.count() == 2


def test_different_idempotency_keys_create_two(pa):
    post_complaint(pa, HTTP_IDEMPOTENCY_KEY="k-1")
    post_complaint(pa, HTTP_IDEMPOTENCY_KEY="k-2")
    assert Complaint.objects.count() == 2


def test_idempotency_keys_are_per_partner(pa, pb):
    a = post_complaint(pa, HTTP_IDEMPOTENCY_KEY="shared-key")
    b = post_complaint(pb, HTTP_IDEMPOTENCY_KEY="shared-key")
    assert a.status_code == b.status_code == 201
    assert a.json()["reference"] != b.json()["reference"]
    assert Complaint.objects.count() == 2


def test_idempotency_kept_24_hours(pa):
    from partners.models import IdempotencyRecord

    first = post_complaint(pa, HTTP_IDEMPOTENCY_KEY="day-key")
    # 23 hours later the key still replays the first answer.
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=23))
    again = post_complaint(pa, HTTP_IDEMPOTENCY_KEY="day-key")
    assert again.json() == first.json()
    assert Complaint.objects.count() == 1


# ---------------------------------------------------------------- list + filters


def test_list_shows_only_own_complaints(pa, pb):
    mine = post_complaint(pa).json()["reference"]
    theirs = post_complaint(pb).json()["reference"]
    assert refs(pa.get(f"{API}/complaints/")) == {mine}
    assert refs(pb.get(f"{API}/complaints/")) == {theirs}


@pytest.mark.parametrize(
    ("param", "field", "a", "b"),
    [
        ("category", "category", "attitude", "process"),
        ("channel", "channel", "phone", "email"),
        ("severity", "severity", "urgent", "low"),
    ],
)
def test_list_filters_by_code(pa, param, field, a, b):
    ra = post_complaint(pa, body(**{field: a})).json()["reference"]
    rb = post_complaint(pa, body(**{field: b})).json()["reference"]
    assert refs(pa.get(f"{API}/complaints/", {param: a})) == {ra}
    assert refs(pa.get(f"{API}/complaints/", {param: b})) == {rb}
    for row in results(pa.get(f"{API}/complaints/", {param: a})):
        assert row[field] == a


@pytest.mark.parametrize("status", STATUSES)
def test_list_filter_status_and_status_codes(pa, org, status):
    target = walk(partner_complaint(pa.partner), status, actor=org.admin)
    other = partner_complaint(pa.partner)
    if status == "received":
        other = walk(other, "analyzing", actor=org.admin)
    rows = results(pa.get(f"{API}/complaints/", {"status": status}))
    assert {r["reference"] for r in rows} == {target.reference}
    assert rows[0]["status"] == status
    detail = pa.get(f"{API}/complaints/{target.reference}/").json()
    assert detail["status"] == status


def test_list_filter_received_after_and_before(pa):
    now = timezone.now()
    old = partner_complaint(pa.partner, received_at=now - timedelta(days=10))
    mid = partner_complaint(pa.partner, received_at=now - timedelta(days=5))
    new = partner_complaint(pa.partner, received_at=now - timedelta(hours=1))
    after = (now - timedelta(days=7)).isoformat()
    before = (now - timedelta(days=2)).isoformat()
    assert refs(pa.get(f"{API}/complaints/", {"received_after": after})) == {
        mid.reference,
        new.reference,
    }
    assert refs(pa.get(f"{API}/complaints/", {"received_before": before})) == {
        old.reference,
        mid.reference,
    }
    assert refs(
        pa.get(
            f"{API}/complaints/", {"received_after": after, "received_before": before}
        )
    ) == {mid.reference}


def test_list_filter_updated_after(pa, org):
    stale = partner_complaint(pa.partner)
    fresh = partner_complaint(pa.partner)
    Complaint.objects.filter(pk=stale.pk).update(
        updated_at=timezone.now() - timedelta(days=3)
    )
    Complaint.objects.filter(pk=fresh.pk).update(
        updated_at=timezone.now() - timedelta(days=3)
    )
    cutoff = timezone.now() - timedelta(days=1)
    walk(fresh, "analyzing", actor=org.admin)  # a change bumps updated_at
    assert refs(
        pa.get(f"{API}/complaints/", {"updated_after": cutoff.isoformat()})
    ) == {fresh.reference}


def test_list_filters_combine(pa):
    hit = post_complaint(pa, body(channel="phone", severity="urgent")).json()
    post_complaint(pa, body(channel="phone", severity="low"))
    post_complaint(pa, body(channel="email", severity="urgent"))
    assert refs(
        pa.get(f"{API}/complaints/", {"channel": "phone", "severity": "urgent"})
    ) == {hit["reference"]}


def test_list_bad_filter_value_is_400_naming_it(pa):
    assert_names_field(pa.get(f"{API}/complaints/", {"status": "bogus"}), "status")
    assert_names_field(
        pa.get(f"{API}/complaints/", {"received_after": "not-a-date"}),
        "received_after",
    )


# ---------------------------------------------------------------- pagination


def _bulk(partner, n):
    """``n`` complaints of ``partner``: one via the service, the rest copies."""
    template = partner_complaint(partner)
    stamp = template.reference[:10]
    made = [template.reference]
    for i in range(1, n):
        template.pk = None
        template._state.adding = True
        template.reference = f"{stamp}{9000 + i:04d}"
        template.save()
        made.append(template.reference)
    return made


def test_cursor_pagination_walks_everything_once(pa):
    made = _bulk(pa.partner, 5)
    url = f"{API}/complaints/?page_size=2"
    seen: list[str] = []
    pages = 0
    first = pa.get(url).json()
    assert first["previous"] is None
    assert "cursor=" in first["next"]
    data = first
    while True:
        pages += 1
        assert len(data["results"]) <= 2
        seen += [r["reference"] for r in data["results"]]
        if not data["next"]:
            break
        nxt = urlparse(data["next"])
        assert parse_qs(nxt.query).get("page_size") == ["2"]
        data = pa.get(data["next"]).json()
        assert data["previous"], "a later page links back"
    assert pages == 3
    assert sorted(seen) == sorted(made)
    assert len(seen) == len(set(seen))
    back = pa.get(data["previous"]).json()
    assert len(back["results"]) == 2


def test_page_size_default_50(pa):
    _bulk(pa.partner, 55)
    data = pa.get(f"{API}/complaints/").json()
    assert len(data["results"]) == 50
    assert data["next"]
    rest = pa.get(data["next"]).json()
    assert len(rest["results"]) == 5
    assert rest["next"] is None


def test_page_size_max_200(pa):
    _bulk(pa.partner, 205)
    data = pa.get(f"{API}/complaints/", {"page_size": 500}).json()
    assert len(data["results"]) == 200
    assert data["next"]
    data = pa.get(f"{API}/complaints/", {"page_size": 200}).json()
    assert len(data["results"]) == 200


def test_page_size_param_honoured(pa):
    _bulk(pa.partner, 12)
    assert len(results(pa.get(f"{API}/complaints/", {"page_size": 7}))) == 7


# ---------------------------------------------------------------- detail + 404


def test_detail_by_reference(pa):
    ref = post_complaint(pa, body(severity="high")).json()["reference"]
    resp = pa.get(f"{API}/complaints/{ref}/")
    assert resp.status_code == 200
    data = resp.json()
    assert data["reference"] == ref
    assert data["status"] == "received"
    assert data["severity"] == "high"
    assert data["channel"] == "online"
    assert data["category"] == "service_quality"
    assert data["subject"] == "快件延误三天未送达"
    assert isinstance(data["sla"], dict)
    assert data["created_at"]


def test_unknown_reference_is_404(pa):
    assert_error(pa.get(f"{API}/complaints/TS202601019999/"), 404)


@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [
        ("get", "", None),
        ("get", "events/", None),
        ("post", "feedback/", {"csat": 1, "comment": "差评"}),
    ],
)
def test_other_partners_reference_is_404_never_data(pa, pb, org, method, suffix, data):
    theirs = walk(
        partner_complaint(pb.partner, subject="机密主题XYZ"),
        "resolved",
        actor=org.admin,
    )
    resp = getattr(pa, method)(
        f"{API}/complaints/{theirs.reference}/{suffix}", data, format="json"
    )
    assert_error(resp, 404)
    assert "机密主题XYZ" not in resp.content.decode()
    assert theirs.reference not in json.dumps(resp.json().get("errors", {}))
    assert not SatisfactionSurvey.objects.filter(
        complaint=theirs, answered_at__isnull=False
    ).exists()


def test_staff_complaint_without_partner_is_404_to_partner(pa):
    staff_made = make_complaint(subject="内部登记")
    assert_error(pa.get(f"{API}/complaints/{staff_made.reference}/"), 404)
    assert staff_made.reference not in refs(pa.get(f"{API}/complaints/"))


# ---------------------------------------------------------------- events


def test_events_are_customer_visible_only(pa, org):
    ref = post_complaint(pa).json()["reference"]
    complaint = Complaint.objects.get(reference=ref)
    from complaints.services import complaint_add_note

    complaint_add_note(actor=org.admin, complaint=complaint, body="内部备注ABC不可外泄")
    complaint = walk(Complaint.objects.get(pk=complaint.pk), "replied", actor=org.admin)
    resp = pa.get(f"{API}/complaints/{ref}/events/")
    rows = results(resp)
    visible = ComplaintEvent.objects.filter(complaint=complaint, customer_visible=True)
    hidden = ComplaintEvent.objects.filter(complaint=complaint, customer_visible=False)
    assert hidden.exists(), "set-up: some events are internal"
    assert len(rows) == visible.count() > 0
    assert "内部备注ABC不可外泄" not in resp.content.decode()


# ---------------------------------------------------------------- feedback


def _resolved(pa, org):
    ref = post_complaint(pa).json()["reference"]
    walk(Complaint.objects.get(reference=ref), "resolved", actor=org.admin)
    return ref


def test_feedback_recorded(pa, org):
    ref = _resolved(pa, org)
    resp = pa.post(
        f"{API}/complaints/{ref}/feedback/",
        {"csat": 5, "nps": 9, "comment": "处理及时，很满意"},
        format="json",
    )
    assert resp.status_code == 201, resp.content
    survey = SatisfactionSurvey.objects.get(complaint__reference=ref)
    assert (survey.csat, survey.nps, survey.comment) == (5, 9, "处理及时，很满意")


def test_feedback_nps_optional(pa, org):
    ref = _resolved(pa, org)
    resp = pa.post(f"{API}/complaints/{ref}/feedback/", {"csat": 4}, format="json")
    assert resp.status_code == 201, resp.content
    assert SatisfactionSurvey.objects.get(complaint__reference=ref).nps is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"csat": 0}, "csat"),
        ({"csat": 6}, "csat"),
        ({"csat": "x"}, "csat"),
        ({}, "csat"),
        ({"csat": 3, "nps": 11}, "nps"),
        ({"csat": 3, "nps": -1}, "nps"),
    ],
)
def test_feedback_out_of_range_is_400_naming_field(pa, org, data, field):
    ref = _resolved(pa, org)
    resp = pa.post(f"{API}/complaints/{ref}/feedback/", data, format="json")
    assert_names_field(resp, field)
    assert not SatisfactionSurvey.objects.filter(
        complaint__reference=ref, answered_at__isnull=False
    ).exists()


@pytest.mark.parametrize("csat", [1, 5])
def test_feedback_bounds_accepted(pa, org, csat):
    ref = _resolved(pa, org)
    resp = pa.post(
        f"{API}/complaints/{ref}/feedback/",
        {"csat": csat, "nps": 0 if csat == 1 else 10},
        format="json",
    )
    assert resp.status_code == 201, resp.content


# ---------------------------------------------------------------- customers


def test_partner_customers_list_own_only(pa, pb):
    post_complaint(pa)
    data = body()
    data["customer"] = {
        "name": "云海客户",
        "phone": "+8613600000000",
        "external_id": "y1",
    }
    post_complaint(pb, data)
    rows = results(pa.get(f"{API}/customers/"))
    names = {r["name"] for r in rows}
    assert "王小明" in names
    assert "云海客户" not in names


def test_partner_creates_customer(pa):
    resp = pa.post(
        f"{API}/customers/",
        {"name": "李四", "phone": "+8613900001111", "external_id": "c-9"},
        format="json",
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["name"] == "李四"
    again = pa.post(
        f"{API}/customers/",
        {"name": "李四", "phone": "+8613900001111", "external_id": "c-9"},
        format="json",
    )
    assert again.status_code in (200, 201)
    assert Customer.objects.filter(name="李四").count() == 1


def test_create_customer_validation_names_field(pa):
    assert_names_field(
        pa.post(f"{API}/customers/", {"phone": "1"}, format="json"), "name"
    )


# --------------------------------------------------- staff + partner read endpoints

READ_PATHS = (
    "/complaints/",
    "/customers/",
    "/revisits/",
    "/training/records/",
    "/kpi/results/",
)


@pytest.mark.parametrize("path", READ_PATHS)
@pytest.mark.parametrize("how", ["session", "token"])
def test_staff_read_endpoints(org, path, how):
    client = (session_client if how == "session" else token_client)(org.manager_a)
    resp = client.get(API + path)
    assert resp.status_code == 200, (resp.status_code, resp.content[:300])
    data = resp.json()
    assert "results" in data


def test_staff_posts_customer_by_session(org):
    resp = session_client(org.agent_a).post(
        f"{API}/customers/",
        {"name": "员工录入客户", "phone": "+8613511112222"},
        format="json",
    )
    assert resp.status_code == 201, resp.content


def test_staff_creates_complaint_by_token(org):
    resp = token_client(org.agent_a).post(f"{API}/complaints/", body(), format="json")
    assert resp.status_code == 201, resp.content
    assert REFERENCE_RE.match(resp.json()["reference"])


@pytest.mark.parametrize("path", READ_PATHS)
def test_read_endpoints_need_auth(db, path):
    assert_error(APIClient().get(API + path), 401)


@pytest.mark.parametrize("path", ["/revisits/", "/training/records/", "/kpi/results/"])
def test_partner_read_endpoints_are_scoped(pa, org, path):
    """A partner gets its own (scoped) rows or a 403 — never staff data."""
    resp = pa.get(API + path)
    assert resp.status_code in (200, 403), (resp.status_code, resp.content[:300])
    if resp.status_code == 403:
        assert_error(resp, 403)
    else:
        text = resp.content.decode()
        assert org.agent_a.username not in text


def test_partner_without_scopes_cannot_read_revisits(partner_key):
    client = partner_key("速达商城", "complaints:read")
    assert_error(client.get(f"{API}/revisits/"), 403)


def test_partner_sees_revisits_of_own_customers_only(pa, pb, org):
    from crm.services import revisit_plan_for_resolved_complaint

    mine = walk(partner_complaint(pa.partner), "resolved", actor=org.admin)
    theirs = walk(partner_complaint(pb.partner), "resolved", actor=org.admin)
    revisit_plan_for_resolved_complaint(complaint=mine)
    revisit_plan_for_resolved_complaint(complaint=theirs)
    text = pa.get(f"{API}/revisits/").content.decode()
    assert theirs.customer.code not in text


# ---------------------------------------------------------- staff transitions, 409


def test_illegal_transition_is_409(pa, org):
    ref = post_complaint(pa).json()["reference"]
    client = session_client(org.admin)
    resp = client.post(f"{API}/complaints/{ref}/resolve/", {}, format="json")
    assert resp.status_code in (400, 409)
    resp = client.post(
        f"{API}/complaints/{ref}/close/", {"note": "直接关闭"}, format="json"
    )
    assert_error(resp, 409)
    assert Complaint.objects.get(reference=ref).status == "received"


def test_version_conflict_is_409(pa, org):
    ref = post_complaint(pa).json()["reference"]
    client = session_client(org.admin)
    version = client.get(f"{API}/complaints/{ref}/").json()["version"]
    ok = client.post(
        f"{API}/complaints/{ref}/start-analysis/", {"version": version}, format="json"
    )
    assert ok.status_code == 200, ok.content
    stale = client.post(
        f"{API}/complaints/{ref}/escalate/",
        {"reason": "客户情绪激动", "version": version},
        format="json",
    )
    assert_error(stale, 409)


def test_transitions_are_staff_only(pa):
    ref = post_complaint(pa).json()["reference"]
    resp = pa.post(f"{API}/complaints/{ref}/start-analysis/", {}, format="json")
    assert_error(resp, 403)
    assert Complaint.objects.get(reference=ref).status == "received"


# ---------------------------------------------------------------- throttling


def test_throttled_is_429_with_retry_after(pa, settings):
    settings.KEFU_API_RATE = "3/min"
    for _ in range(3):
        assert pa.get(f"{API}/complaints/").status_code == 200
    resp = pa.get(f"{API}/complaints/")
    assert_error(resp, 429)
    assert int(resp["Retry-After"]) > 0


# ---------------------------------------------------------------- webhooks


def _deliver():
    from partners.tasks import deliver_webhooks

    deliver_webhooks()


def _signed(secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def test_webhooks_signed_and_named(pa, org, local_webhooks):
    secret = "whsec_contract_test_secret_0001"
    with Receiver() as receiver:
        resp = pa.post(
            f"{API}/webhooks/",
            {"url": receiver.url, "secret": secret, "events": list(WEBHOOK_EVENTS)},
            format="json",
        )
        assert resp.status_code == 201, resp.content
        ref = post_complaint(pa).json()["reference"]
        _deliver()
        complaint = Complaint.objects.get(reference=ref)
        walk(complaint, "resolved", actor=org.admin)
        _deliver()
        requests = list(receiver.requests)

    assert requests, "no webhook delivered"
    events = []
    for req in requests:
        headers = {k.lower(): v for k, v in req["headers"].items()}
        signature = headers.get("x-kefu-signature")
        assert signature == _signed(secret, req["body"]), "bad X-Kefu-Signature"
        assert re.fullmatch(r"sha256=[0-9a-f]{64}", signature)
        payload = json.loads(req["body"])
        events.append(payload["event"])
        assert ref in req["body"].decode()
    assert set(events) == set(WEBHOOK_EVENTS), events
    assert events[0] == "complaint.created"


def test_webhook_subscription_filters_events(pa, local_webhooks):
    with Receiver() as receiver:
        resp = pa.post(
            f"{API}/webhooks/",
            {
                "url": receiver.url,
                "secret": "whsec_contract_test_secret_0002",
                "events": ["complaint.resolved"],
            },
            format="json",
        )
        assert resp.status_code == 201, resp.content
        post_complaint(pa)
        _deliver()
        assert receiver.requests == []


def test_webhook_unknown_event_is_400_naming_events(pa):
    resp = pa.post(
        f"{API}/webhooks/",
        {"url": "http://127.0.0.1:9/hook", "events": ["complaint.deleted"]},
        format="json",
    )
    assert_names_field(resp, "events")


def test_other_partner_gets_no_webhook(pa, pb, local_webhooks):
    with Receiver() as receiver:
        pb.post(
            f"{API}/webhooks/",
            {
                "url": receiver.url,
                "secret": "whsec_contract_test_secret_0003",
                "events": list(WEBHOOK_EVENTS),
            },
            format="json",
        )
        post_complaint(pa)
        _deliver()
        assert receiver.requests == []


def test_webhook_retried_after_failure(pa, local_webhooks):
    secret = "whsec_contract_test_secret_0004"
    with Receiver(script=(500, 200)) as receiver:
        pa.post(
            f"{API}/webhooks/",
            {"url": receiver.url, "secret": secret, "events": ["complaint.created"]},
            format="json",
        )
        post_complaint(pa)
        _deliver()
        assert len(receiver.requests) == 1
        from partners.models import WebhookDelivery

        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        _deliver()
        assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first["body"] == second["body"]
    assert {k.lower(): v for k, v in second["headers"].items()}[
        "x-kefu-signature"
    ] == _signed(secret, second["body"])


# ---------------------------------------------------------------- misc contract


def test_customer_factory_customer_is_not_visible_to_partner(pa):
    other = CustomerFactory(name="员工客户甲")
    assert other.name not in pa.get(f"{API}/customers/").content.decode()


def test_unknown_api_path_is_json_404(pa):
    resp = pa.get(f"{API}/no-such-thing/")
    assert resp.status_code == 404


# ---------------------------------------------------------------- additions


def test_401_carries_www_authenticate(db):
    resp = APIClient().get(f"{API}/complaints/")
    assert resp.status_code == 401
    assert resp.has_header("WWW-Authenticate")
    assert "Api-Key" in resp["WWW-Authenticate"]


def test_expired_key_is_401(db):
    from partners.models import ApiKey

    client = key_client(create_api_key("速达商城"))
    assert client.get(f"{API}/complaints/").status_code == 200
    ApiKey.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert_error(client.get(f"{API}/complaints/"), 401)


def test_list_received_after_accepts_a_date(pa):
    post_complaint(pa)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert (
        len(results(pa.get(f"{API}/complaints/", {"received_after": yesterday}))) == 1
    )
    assert results(pa.get(f"{API}/complaints/", {"received_after": tomorrow})) == []


def test_throttle_is_per_key(pa, pb, settings):
    settings.KEFU_API_RATE = "2/min"
    for _ in range(2):
        pa.get(f"{API}/complaints/")
    assert pa.get(f"{API}/complaints/").status_code == 429
    assert pb.get(f"{API}/complaints/").status_code == 200


def test_webhook_body_is_json(pa, local_webhooks):
    with Receiver() as receiver:
        pa.post(
            f"{API}/webhooks/",
            {
                "url": receiver.url,
                "secret": "whsec_contract_test_secret_0005",
                "events": ["complaint.created"],
            },
            format="json",
        )
        ref = post_complaint(pa).json()["reference"]
        _deliver()
    (req,) = receiver.requests
    headers = {k.lower(): v for k, v in req["headers"].items()}
    assert headers["content-type"].startswith("application/json")
    payload = json.loads(req["body"])
    assert payload["event"] == "complaint.created"
    assert ref in json.dumps(payload, ensure_ascii=False)


@pytest.mark.django_db(transaction=True)
def test_concurrent_idempotent_posts_create_one(complaint_defaults_db):
    """Two simultaneous retries with one Idempotency-Key: one complaint (PostgreSQL)."""
    import threading

    from django.db import close_old_connections, connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL")
    key = create_api_key("速达商城")
    answers = []
    barrier = threading.Barrier(4)

    def call():
        try:
            barrier.wait()
            resp = post_complaint(key_client(key), HTTP_IDEMPOTENCY_KEY="race-1")
            answers.append((resp.status_code, resp.content))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Complaint.objects.count() == 1
    assert all(code in (201, 409) for code, _ in answers), answers
    created = [json.loads(c)["reference"] for code, c in answers if code == 201]
    assert created and len(set(created)) == 1


@pytest.fixture
def complaint_defaults_db(transactional_db):
    """Categories and SLA policies of the data migration (a transactional test
    may start from a flushed database)."""
    from importlib import import_module

    from django.apps import apps

    import_module("complaints.migrations.0002_default_data").forwards(apps, None)


def test_idempotency_same_body_other_key_order_replays(pa):
    data = body()
    first = post_complaint(pa, data, HTTP_IDEMPOTENCY_KEY="order-k")
    reordered = dict(reversed(list(data.items())))
    reordered["customer"] = dict(reversed(list(data["customer"].items())))
    again = pa.post(
        f"{API}/complaints/",
        json.dumps(reordered, ensure_ascii=False),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="order-k",
    )
    assert again.status_code == 201
    assert again.json() == first.json()
    assert Complaint.objects.count() == 1


def test_invalid_phone_is_400_naming_it(pa):
    data = body()
    data["customer"] = {"name": "王小明", "phone": "abc"}
    assert_names_field(post_complaint(pa, data), "phone")


def test_method_not_allowed_is_json(pa):
    ref = post_complaint(pa).json()["reference"]
    assert_error(pa.delete(f"{API}/complaints/{ref}/"), 405)


def test_unknown_api_path_is_json_error(pa):
    assert_error(pa.get(f"{API}/no-such-thing/"), 404)


def test_staff_throttled_per_user(org, settings):
    settings.KEFU_API_RATE = "2/min"
    client = session_client(org.manager_a)
    for _ in range(2):
        assert client.get(f"{API}/complaints/").status_code == 200
    resp = client.get(f"{API}/complaints/")
    assert_error(resp, 429)
    assert resp.has_header("Retry-After")


def test_staff_reads_partner_complaint(pa, org):
    ref = post_complaint(pa).json()["reference"]
    resp = session_client(org.admin).get(f"{API}/complaints/{ref}/")
    assert resp.status_code == 200
    assert resp.json()["reference"] == ref


def test_external_ids_are_per_partner(pa, pb):
    a = _customer_of(post_complaint(pa))
    data = body()
    data["customer"] = {
        "name": "别家客户",
        "phone": "+8613611112222",
        "external_id": "cust-001",  # the same id in partner B's own numbering
    }
    b = _customer_of(post_complaint(pb, data))
    assert a != b
    assert "王小明" not in pb.get(f"{API}/customers/").content.decode()


@pytest.mark.parametrize("path", ["/revisits/", "/training/records/", "/kpi/results/"])
def test_scoped_partner_may_call_staff_and_partner_reads(pa, org, path):
    """§4: these GETs are "for staff and scoped partners": a partner key with
    every scope gets 200 (its own rows: none here), not 403."""
    resp = pa.get(API + path)
    assert resp.status_code == 200, (resp.status_code, resp.content[:300])
    assert results(resp) == []


def test_feedback_idempotency_key_replays(pa, org):
    """Issue 7: ``Idempotency-Key`` on POST — a retried feedback POST returns the
    first result (not a 409)."""
    ref = _resolved(pa, org)
    url = f"{API}/complaints/{ref}/feedback/"
    first = pa.post(url, {"csat": 5}, format="json", HTTP_IDEMPOTENCY_KEY="fb-1")
    again = pa.post(url, {"csat": 5}, format="json", HTTP_IDEMPOTENCY_KEY="fb-1")
    assert first.status_code == 201, first.content
    assert again.status_code == 201, again.content
    assert again.json() == first.json()
    other = pa.post(url, {"csat": 1}, format="json", HTTP_IDEMPOTENCY_KEY="fb-1")
    assert_error(other, 422)


def test_customer_post_idempotency_key_replays(pa):
    data = {"name": "李四", "phone": "+8613900001111"}
    first = pa.post(f"{API}/customers/", data, format="json", HTTP_IDEMPOTENCY_KEY="c1")
    again = pa.post(f"{API}/customers/", data, format="json", HTTP_IDEMPOTENCY_KEY="c1")
    assert first.status_code == 201
    assert again.status_code == 201 and again.json() == first.json()
    other = pa.post(
        f"{API}/customers/",
        {**data, "name": "王五"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="c1",
    )
    assert_error(other, 422)


def test_next_link_keeps_filters(pa):
    for _ in range(3):
        post_complaint(pa, body(channel="phone"))
    for _ in range(3):
        post_complaint(pa, body(channel="email"))
    data = pa.get(f"{API}/complaints/", {"channel": "phone", "page_size": 2}).json()
    seen = [r["channel"] for r in data["results"]]
    while data["next"]:
        data = pa.get(data["next"]).json()
        seen += [r["channel"] for r in data["results"]]
    assert seen == ["phone"] * 3


def _team_a_complaint(org, pa):
    from complaints.services import complaint_assign

    complaint = partner_complaint(pa.partner)
    return complaint_assign(actor=org.admin, complaint=complaint, team=org.team_a)


def test_staff_role_scoping_on_the_same_endpoints(pa, org):
    complaint = _team_a_complaint(org, pa)
    url = f"{API}/complaints/{complaint.reference}/"
    assert session_client(org.supervisor_a).get(url).status_code == 200
    assert session_client(org.manager_a).get(url).status_code == 200
    assert_error(session_client(org.agent_b).get(url), 404)
    assert_error(token_client(org.manager_b).get(url), 404)
    assert complaint.reference not in refs(
        session_client(org.manager_b).get(f"{API}/complaints/")
    )


def test_staff_without_permission_cannot_transition(pa, org):
    complaint = _team_a_complaint(org, pa)
    resp = session_client(org.qa_inspector_a).post(
        f"{API}/complaints/{complaint.reference}/start-analysis/", {}, format="json"
    )
    assert resp.status_code in (403, 404)
    assert_error(resp, resp.status_code)
    assert Complaint.objects.get(pk=complaint.pk).status == "received"


def test_staff_transition_moves_status(pa, org):
    complaint = _team_a_complaint(org, pa)
    resp = session_client(org.supervisor_a).post(
        f"{API}/complaints/{complaint.reference}/start-analysis/", {}, format="json"
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "analyzing"
    assert (
        pa.get(f"{API}/complaints/{complaint.reference}/").json()["status"]
        == "analyzing"
    )


def test_openapi_schema_lists_section4_paths(db):
    resp = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert resp.status_code == 200
    paths = set(json.loads(resp.content)["paths"])
    for path in (
        "/api/v1/complaints/",
        "/api/v1/complaints/{reference}/",
        "/api/v1/complaints/{reference}/events/",
        "/api/v1/complaints/{reference}/feedback/",
        "/api/v1/customers/",
        "/api/v1/revisits/",
        "/api/v1/training/records/",
        "/api/v1/kpi/results/",
    ):
        assert path in paths, path
    assert APIClient().get("/api/docs/").status_code == 200
