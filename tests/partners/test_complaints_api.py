"""DESIGN §4 end to end: complaint intake, list, detail, events, feedback."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from complaints.models import Complaint, ComplaintEvent, SatisfactionSurvey
from config.api.scopes import Scope
from crm.models import Customer, CustomerExternalId
from tests.factories.complaints import make_complaint, walk
from tests.factories.crm import CustomerFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"
BODY = {
    "customer": {
        "name": "王伟",
        "phone": "13800138000",
        "email": "wangwei@example.cn",
        "external_id": "U-1001",
    },
    "channel": "online",
    "category": "service_quality",
    "subject": "快递延误三天",
    "description": "订单SD20261120001的包裹三天未送达，物流信息不更新。",
    "order_number": "SD20261120001",
    "desired_resolution": "尽快送达并说明原因",
}
READ_WRITE = [Scope.COMPLAINTS_READ, Scope.COMPLAINTS_WRITE]


def partner_complaint(partner, **overrides):
    """A complaint submitted by ``partner`` (through the services)."""
    customer = CustomerFactory(partner=partner)
    return make_complaint(customer=customer, source_partner=partner, **overrides)


# --- create --------------------------------------------------------------------


def test_create_with_a_new_customer(partner_a, key_client):
    client = key_client(partner_a, scopes=READ_WRITE)

    response = client.post(URL, BODY, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert re.fullmatch(r"TS\d{8}\d{4}", body["reference"])
    assert body["status"] == "received"
    assert body["severity"] == "normal"
    assert body["created_at"]
    assert set(body["sla"]) == {
        "first_response_due_at",
        "analysis_due_at",
        "reply_due_at",
        "resolution_due_at",
        "confirmation_due_at",
    }
    assert body["sla"]["first_response_due_at"] is not None
    assert body["customer"]["external_id"] == "U-1001"
    complaint = Complaint.objects.get(reference=body["reference"])
    assert complaint.source_partner == partner_a
    assert complaint.channel == "online"
    assert complaint.category.code == "service_quality"
    assert complaint.order_number == "SD20261120001"
    assert complaint.customer.partner == partner_a
    assert complaint.customer.name == "王伟"
    assert (
        CustomerExternalId.objects.get(partner=partner_a, external_id="U-1001").customer
        == complaint.customer
    )
    assert complaint.events.filter(kind=ComplaintEvent.Kind.CREATED).exists()
    assert parse_datetime(body["sla"]["reply_due_at"]) == complaint.reply_due_at


def test_create_twice_for_the_same_customer_reuses_it(partner_a, key_client):
    client = key_client(partner_a, scopes=READ_WRITE)

    first = client.post(URL, BODY, format="json").json()
    again = {
        **BODY,
        "customer": {"name": "王伟", "external_id": "U-1001"},
        "severity": "urgent",
        "occurred_at": (timezone.now() - timedelta(days=1)).isoformat(),
    }
    second = client.post(URL, again, format="json")

    assert second.status_code == 201
    assert second.json()["severity"] == "urgent"
    assert second.json()["reference"] != first["reference"]
    assert second.json()["customer"]["code"] == first["customer"]["code"]
    assert Customer.objects.count() == 1
    assert (
        Complaint.objects.filter(customer__code=first["customer"]["code"]).count() == 2
    )


def test_create_by_phone_matches_the_partners_existing_customer(partner_a, key_client):
    existing = CustomerFactory(phone="+8613900139000", partner=partner_a)
    client = key_client(partner_a, scopes=READ_WRITE)
    body = {**BODY, "customer": {"name": "李娜", "phone": "139 0013 9000"}}

    response = client.post(URL, body, format="json")

    assert response.status_code == 201
    assert response.json()["customer"]["code"] == existing.code
    assert Customer.objects.count() == 1


def test_create_by_phone_of_an_in_house_customer_gets_the_partners_own(
    partner_a, key_client
):
    existing = CustomerFactory(name="内部客户", phone="+8613900139000", partner=None)
    client = key_client(partner_a, scopes=READ_WRITE)
    body = {**BODY, "customer": {"name": "李娜", "phone": "139 0013 9000"}}

    response = client.post(URL, body, format="json")

    assert response.status_code == 201
    own = Customer.objects.get(partner=partner_a)
    assert response.json()["customer"]["code"] == own.code != existing.code
    assert response.json()["customer"]["name"] == "李娜"
    assert not existing.complaints.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer": {"phone": "13800138000"}}, "customer.name"),
        ({"customer": {"name": "无联系方式"}}, "customer.phone"),
        ({"customer": {"name": "x", "email": "not-an-email"}}, "customer.email"),
        ({"channel": "fax"}, "channel"),
        ({"category": "no_such_category"}, "category"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"subject": ""}, "subject"),
        ({"description": None}, "description"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2999-01-01T00:00:00+08:00"}, "occurred_at"),
        ({"customer": {"name": "x", "phone": "12"}}, "customer.phone"),
    ],
)
def test_validation_errors_name_the_field(partner_a, key_client, change, field):
    client = key_client(partner_a, scopes=READ_WRITE)

    response = client.post(URL, {**BODY, **change}, format="json")

    assert response.status_code == 400, response.json()
    assert re.fullmatch(r"[a-z_]+", response.json()["code"])
    assert field in response.json()["errors"], response.json()
    assert not Complaint.objects.exists()


def test_missing_body_fields_are_all_named(partner_a, key_client):
    response = key_client(partner_a, scopes=READ_WRITE).post(URL, {}, format="json")

    assert response.status_code == 400
    assert {"customer", "channel", "category", "subject", "description"} <= set(
        response.json()["errors"]
    )


def test_staff_create_records_the_actor(org, staff_client):
    response = staff_client(org.agent_a).post(
        URL, {**BODY, "channel": "phone"}, format="json"
    )

    assert response.status_code == 201
    complaint = Complaint.objects.get(reference=response.json()["reference"])
    assert complaint.source_partner is None
    assert complaint.events.get(kind="created").actor == org.agent_a


# --- list, filters, pagination -------------------------------------------------


def test_partner_lists_only_its_own_complaints(partner_a, partner_b, key_client):
    own = [partner_complaint(partner_a) for _ in range(3)]
    partner_complaint(partner_b)
    make_complaint()  # a staff complaint

    body = key_client(partner_a, scopes=READ_WRITE).get(URL).json()

    assert sorted(c["reference"] for c in body["results"]) == sorted(
        c.reference for c in own
    )
    assert body["next"] is None and body["previous"] is None


def test_list_filters(partner_a, key_client, org):
    urgent = partner_complaint(partner_a, severity="urgent", channel="phone")
    attitude = partner_complaint(partner_a, category="attitude", channel="email")
    handling = walk(partner_complaint(partner_a), "handling", actor=org.admin)
    Complaint.objects.filter(pk=urgent.pk).update(
        received_at=timezone.now() - timedelta(days=10)
    )
    client = key_client(partner_a, scopes=READ_WRITE)

    def refs(**params):
        return {c["reference"] for c in client.get(URL, params).json()["results"]}

    assert refs(severity="urgent") == {urgent.reference}
    assert refs(category="attitude") == {attitude.reference}
    assert refs(channel="email") == {attitude.reference}
    assert refs(status="handling") == {handling.reference}
    assert refs(status=["handling", "received"]) == {
        urgent.reference,
        attitude.reference,
        handling.reference,
    }
    cutoff = (timezone.now() - timedelta(days=5)).isoformat()
    assert refs(received_before=cutoff) == {urgent.reference}
    assert urgent.reference not in refs(received_after=cutoff)
    future = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert refs(updated_after=future) == set()
    bad = client.get(URL, {"received_after": "last tuesday", "status": "lost"})
    assert bad.status_code == 400
    assert {"received_after", "status"} <= set(bad.json()["errors"])


def test_cursor_pagination_walks_every_complaint_once(partner_a, key_client):
    made = {partner_complaint(partner_a).reference for _ in range(5)}
    client = key_client(partner_a, scopes=READ_WRITE)

    seen, pages = [], 0
    url = f"{URL}?page_size=2"
    while url:
        page = client.get(url).json()
        seen += [c["reference"] for c in page["results"]]
        url = page["next"]
        pages += 1

    assert pages == 3 and len(seen) == 5 and set(seen) == made
    back = client.get(page["previous"]).json()
    assert len(back["results"]) == 2


def test_page_size_defaults_to_50_and_is_capped_at_200():
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from config.api.pagination import KefuCursorPagination

    paginator = KefuCursorPagination()
    factory = APIRequestFactory()
    assert paginator.get_page_size(Request(factory.get("/"))) == 50
    assert paginator.get_page_size(Request(factory.get("/?page_size=500"))) == 200
    assert paginator.get_page_size(Request(factory.get("/?page_size=7"))) == 7


@pytest.mark.parametrize("page_size", [1, 20])
def test_list_query_count_is_constant_in_page_size(
    partner_a, key_client, django_assert_max_num_queries, page_size
):
    for _ in range(20):
        partner_complaint(partner_a)
    client = key_client(partner_a, scopes=READ_WRITE)
    client.get(URL)  # warm: last_used_at is written at most once a minute

    # One query authenticates the key, one reads the page.
    with django_assert_max_num_queries(2):
        response = client.get(URL, {"page_size": page_size})

    assert len(response.json()["results"]) == page_size


def test_staff_list_query_count_is_constant(
    org, staff_client, django_assert_num_queries
):
    for _ in range(3):
        make_complaint(actor=org.agent_a)
    client = staff_client(org.manager_a)
    client.get(URL)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(URL, {"page_size": 1})
    for _ in range(10):
        make_complaint(actor=org.agent_a)
    with CaptureQueriesContext(connection) as large:
        response = client.get(URL, {"page_size": 13})

    assert len(response.json()["results"]) == 13
    assert len(large.captured_queries) == len(small.captured_queries)


# --- detail, isolation -------------------------------------------------------------


def test_detail_of_own_complaint(partner_a, key_client):
    complaint = partner_complaint(partner_a, order_number="SD1")

    body = (
        key_client(partner_a, scopes=READ_WRITE)
        .get(f"{URL}{complaint.reference}/")
        .json()
    )

    assert body["reference"] == complaint.reference
    assert body["order_number"] == "SD1"
    assert body["customer"]["code"] == complaint.customer.code
    assert body["version"] == complaint.version


def test_another_partners_complaint_is_404_never_403(partner_a, partner_b, key_client):
    other = partner_complaint(partner_b)
    staff_made = make_complaint()
    client = key_client(partner_a, scopes=list(Scope.values))

    for path in ("", "events/"):
        for complaint in (other, staff_made):
            response = client.get(f"{URL}{complaint.reference}/{path}")
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"
            assert complaint.reference not in response.content.decode()
    feedback = client.post(f"{URL}{other.reference}/feedback/", {"csat": 5})
    assert feedback.status_code == 404
    assert client.get(f"{URL}TS000000000000/").status_code == 404


def test_staff_see_their_role_scope(org, staff_client):
    own_dept = make_complaint(actor=org.agent_a)
    other_dept = make_complaint(actor=org.agent_b)

    manager = staff_client(org.manager_a)
    refs = {c["reference"] for c in manager.get(URL).json()["results"]}

    assert own_dept.reference in refs and other_dept.reference not in refs
    assert manager.get(f"{URL}{other_dept.reference}/").status_code == 404
    admin = {c["reference"] for c in staff_client(org.admin).get(URL).json()["results"]}
    assert {own_dept.reference, other_dept.reference} <= admin
    # A trainer has no complaint permission at all.
    assert staff_client(org.trainer_a).get(URL).status_code == 403


# --- events, feedback ----------------------------------------------------------------


def test_events_partner_sees_only_customer_visible(partner_a, key_client, org):
    from complaints.services import complaint_add_note

    complaint = walk(partner_complaint(partner_a), "replied", actor=org.admin)
    complaint_add_note(actor=org.admin, complaint=complaint, body="内部备注：司机失误")

    events = (
        key_client(partner_a, scopes=READ_WRITE)
        .get(f"{URL}{complaint.reference}/events/")
        .json()["results"]
    )
    staff_events = staff_client_get(org.admin, f"{URL}{complaint.reference}/events/")

    kinds = [e["kind"] for e in events]
    assert "created" in kinds and "replied" in kinds
    assert "note" not in kinds
    assert all("司机失误" not in (e["note"] or "") for e in events)
    assert "note" in [e["kind"] for e in staff_events]
    visible = ComplaintEvent.objects.filter(complaint=complaint, customer_visible=True)
    assert len(events) == visible.count()
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)


def staff_client_get(user, url):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user=user)
    return client.get(url).json()["results"]


def test_feedback_on_a_resolved_complaint(partner_a, key_client, org):
    complaint = walk(partner_complaint(partner_a), "resolved", actor=org.admin)
    client = key_client(partner_a, scopes=[Scope.FEEDBACK_WRITE])

    response = client.post(
        f"{URL}{complaint.reference}/feedback/",
        {"csat": 4, "nps": 9, "comment": "处理及时"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["csat"] == 4 and response.json()["nps"] == 9
    survey = SatisfactionSurvey.objects.get(complaint=complaint)
    assert (survey.csat, survey.nps, survey.comment) == (4, 9, "处理及时")
    assert survey.answered_at is not None
    assert complaint.events.filter(kind="feedback_received").exists()
    again = client.post(f"{URL}{complaint.reference}/feedback/", {"csat": 5})
    assert again.status_code == 409
    assert again.json()["code"] == "already_answered"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"csat": 6}, "csat"),
        ({"csat": 0}, "csat"),
        ({"csat": 3, "nps": 11}, "nps"),
        ({}, "csat"),
    ],
)
def test_feedback_bad_input(partner_a, key_client, org, body, field):
    complaint = walk(partner_complaint(partner_a), "resolved", actor=org.admin)

    response = key_client(partner_a, scopes=[Scope.FEEDBACK_WRITE]).post(
        f"{URL}{complaint.reference}/feedback/", body, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not SatisfactionSurvey.objects.filter(answered_at__isnull=False).exists()


def test_feedback_before_resolution_is_409(partner_a, key_client):
    complaint = partner_complaint(partner_a)

    response = key_client(partner_a, scopes=[Scope.FEEDBACK_WRITE]).post(
        f"{URL}{complaint.reference}/feedback/", {"csat": 2}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"


def test_list_items_render_exactly_like_the_detail(partner_a, key_client, org):
    """The list renders flat rows, the detail an instance: same JSON."""
    complaint = walk(partner_complaint(partner_a), "resolved", actor=org.admin)
    client = key_client(partner_a, scopes=READ_WRITE)

    (listed,) = client.get(URL).json()["results"]
    detail = client.get(f"{URL}{complaint.reference}/").json()
    client.cookies["django_language"] = "en"

    assert listed == detail
    assert detail["resolved_at"] and detail["resolution_type"] == "redelivery"
    assert parse_datetime(detail["resolved_at"]) == complaint.resolved_at


def test_events_query_count_is_constant(
    partner_a, key_client, org, django_assert_max_num_queries
):
    complaint = walk(partner_complaint(partner_a), "resolved", actor=org.admin)
    client = key_client(partner_a, scopes=READ_WRITE)
    url = f"{URL}{complaint.reference}/events/"
    client.get(url)

    for size in (1, 6):
        # key, complaint, events page
        with django_assert_max_num_queries(3):
            page = client.get(url, {"page_size": size}).json()
        assert len(page["results"]) == size
