"""Complaint admin search by the term's shape (issue 18): reference, order or
customer number, phone, e-mail exactly; names and subjects by substring
(trigram on PostgreSQL, icontains on SQLite)."""

import pytest
from django.urls import reverse

from complaints import selectors
from complaints.models import Complaint
from crm.models import PersonalDataAccess
from tests.factories.complaints import make_complaint
from tests.factories.crm import CustomerFactory

LIST = reverse("admin:complaints_complaint_changelist")


@pytest.mark.parametrize(
    ("term", "shape"),
    [
        ("TS202611240001", "reference"),
        ("ts202611240001", "reference"),
        ("SF123456789012", "number"),
        ("KH0000123", "number"),
        ("139 1234 5678", "number"),
        ("+86-139-1234-5678", "number"),
        ("wang@example.cn", "email"),
        ("王小明", "text"),
        ("快件延误", "text"),
        ("delay", "text"),
        ("TS2026", "number"),
    ],
)
def test_search_shape(term, shape):
    assert selectors.search_shape(term) == shape


@pytest.fixture
def three(org):
    wang = CustomerFactory(
        name="王小明",
        phone="+8613912345678",
        email="wang@example.cn",
        department=org.dept_a,
    )
    li = CustomerFactory(name="李大伟", department=org.dept_a)
    a = make_complaint(actor=org.agent_a, customer=wang, order_number="SF123456789012")
    b = make_complaint(actor=org.agent_a, customer=li, subject="包裹破损要求赔偿")
    c = make_complaint(actor=org.agent_a, subject="快递员态度恶劣")
    return a, b, c


def refs(client, term):
    page = client.get(LIST, {"q": term, "status__exact": "all"})
    assert page.status_code == 200
    return sorted(c.reference for c in page.context["cl"].result_list)


def test_each_shape_finds_exactly_its_complaints(org, client, three):
    a, b, c = three
    client.force_login(org.supervisor_a)
    assert refs(client, a.reference) == [a.reference]
    assert refs(client, a.reference.lower()) == [a.reference]
    assert refs(client, "SF123456789012") == [a.reference]
    assert refs(client, "sf123456789012") == [a.reference]
    assert refs(client, a.customer.code) == [a.reference]
    assert refs(client, "139 1234 5678") == [a.reference]
    assert refs(client, "wang@example.cn") == [a.reference]
    assert refs(client, "王小明") == [a.reference]
    assert refs(client, "小明") == []  # 2 characters: a name's beginning only
    assert refs(client, "王小") == [a.reference]
    assert refs(client, "包裹破损") == [b.reference]
    assert refs(client, "态度恶劣") == [c.reference]
    assert refs(client, "大伟") == []
    assert refs(client, "李大伟") == [b.reference]
    assert refs(client, "nothing-like-this") == []
    # phone and e-mail searches are logged as reads of personal data
    logged = PersonalDataAccess.objects.filter(action="search", customer=a.customer)
    assert logged.count() == 2


def test_masked_roles_do_not_search_by_phone_or_email(org, client, three):
    a, _b, _c = three
    client.force_login(org.qa_inspector_a)
    assert refs(client, "139 1234 5678") == []
    assert refs(client, "wang@example.cn") == []
    assert refs(client, a.reference) == [a.reference]
    assert refs(client, "王小明") == [a.reference]
    assert not PersonalDataAccess.objects.filter(action="search").exists()


def test_search_stays_in_scope(org, client, three):
    other = make_complaint(actor=org.agent_b, order_number="SF999999999999")
    client.force_login(org.supervisor_a)
    assert refs(client, "SF999999999999") == []
    assert refs(client, other.reference) == []
    assert Complaint.objects.filter(order_number="SF999999999999").count() == 1


def test_the_list_count_is_capped(org, client, monkeypatch):
    from crm.admin_base import CappedPaginator

    for _ in range(4):
        make_complaint(actor=org.agent_a)
    client.force_login(org.supervisor_a)
    monkeypatch.setattr(CappedPaginator, "CAP", 3)
    page = client.get(LIST)
    cl = page.context["cl"]
    assert cl.paginator.capped and cl.result_count == 3
    assert "3+" in page.content.decode()
    monkeypatch.setattr(CappedPaginator, "CAP", 10)
    page = client.get(LIST)
    assert not page.context["cl"].paginator.capped
    assert page.context["cl"].result_count == 4
