"""Customers: normalisation, dedupe, encryption at rest, race-safe upsert."""

import threading

import pytest
from django.core.exceptions import FieldError
from django.db import connection

from config.errors import InvalidInput, NotPermitted
from crm import pii
from crm.models import Contact, Customer, CustomerExternalId
from crm.services import (
    customer_create,
    customer_find,
    customer_update,
    customer_upsert,
)
from tests.factories.crm import ContactFactory, CustomerFactory, PartnerFactory

pytestmark = pytest.mark.django_db


def test_create_normalises_phone_to_e164_with_china_default_and_lowercases_email(org):
    customer = customer_create(
        actor=org.agent_a,
        name="王芳",
        phone="138 1234 5678",
        email="  Wang.Fang@Example.CN ",
        department=org.dept_a,
        tags=["vip", " 老客户 ", "vip"],
        consent_to_contact=True,
        privacy_notice_version="2026-01",
    )
    customer.refresh_from_db()
    assert customer.phone == "+8613812345678"
    assert customer.email == "wang.fang@example.cn"
    assert customer.code == f"KH{customer.pk:08d}"
    assert customer.tags == ["vip", "老客户"]
    assert customer.consent_at is not None
    assert customer.phone_masked == "+86138****5678"


def test_create_refuses_an_invalid_phone(org):
    with pytest.raises(InvalidInput) as exc:
        customer_create(actor=org.agent_a, name="x", phone="12345")
    assert exc.value.field == "phone"
    assert not Customer.objects.exists()


def test_create_refuses_a_duplicate_phone_in_another_format(org):
    customer_create(actor=org.agent_a, name="甲", phone="+86 138-0000-1111")
    with pytest.raises(InvalidInput) as exc:
        customer_create(actor=org.agent_a, name="乙", phone="13800001111")
    assert exc.value.code == "duplicate_customer"
    assert Customer.objects.count() == 1


def test_create_needs_the_add_permission(org):
    with pytest.raises(NotPermitted):
        customer_create(actor=org.trainer_a, name="x", phone="13800001111")


def test_phone_and_email_are_encrypted_at_rest_and_found_by_digest():
    customer = CustomerFactory(phone="+8613911112222", email="li@example.cn")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT phone, email, phone_digest FROM crm_customer WHERE id = %s",
            [customer.pk],
        )
        phone, email, digest = cursor.fetchone()
    assert "13911112222" not in phone and phone.startswith("gAAAAA")
    assert "li@" not in email and "example" not in email
    assert digest == pii.phone_digest("13911112222")
    assert "13911112222" not in digest
    assert customer_find(phone="139 1111 2222") == customer
    assert customer_find(email="LI@example.cn") == customer
    # Re-reading decrypts.
    assert Customer.objects.get(pk=customer.pk).phone == "+8613911112222"


def test_encrypted_columns_refuse_lookups_other_than_exact():
    with pytest.raises(Exception, match="digest"):
        list(Customer.objects.filter(phone__contains="139"))


def test_upsert_dedupes_by_phone_then_email():
    existing = CustomerFactory(phone="+8613800002222", email="")
    found, created = customer_upsert(actor=None, name="别名", phone="13800002222")
    assert (found, created) == (existing, False)
    # Found by e-mail when the phone is new; the blank phone is not overwritten
    # with a number that belongs to nobody? It is filled in: the customer lacked one.
    by_mail = CustomerFactory(phone="", email="zhao@example.cn")
    found, created = customer_upsert(
        actor=None, name="赵", phone="13800003333", email="Zhao@Example.cn"
    )
    assert (found, created) == (by_mail, False)
    by_mail.refresh_from_db()
    assert by_mail.phone == "+8613800003333"
    assert Customer.objects.count() == 2


def test_a_partner_submitting_the_same_customer_twice_gets_the_same_row():
    partner = PartnerFactory()
    first, created = customer_upsert(
        actor=None,
        name="钱",
        email="qian@example.cn",
        external_id="U-1",
        partner=partner,
    )
    assert created
    assert first.partner == partner
    # Same external id, different (new) phone: still the same customer.
    again, created = customer_upsert(
        actor=None, name="钱", phone="13700001111", external_id="U-1", partner=partner
    )
    assert (again, created) == (first, False)
    assert CustomerExternalId.objects.filter(customer=first).count() == 1


def test_external_ids_are_per_partner():
    p1, p2 = PartnerFactory(), PartnerFactory()
    a, _ = customer_upsert(actor=None, name="a", external_id="42", partner=p1)
    b, created = customer_upsert(actor=None, name="b", external_id="42", partner=p2)
    assert created and a != b


def test_upsert_links_a_new_external_id_to_the_partners_customer_found_by_phone():
    partner = PartnerFactory()
    existing = CustomerFactory(phone="+8613800004444", partner=partner)
    found, created = customer_upsert(
        actor=None, name="x", phone="13800004444", external_id="P-9", partner=partner
    )
    assert (found, created) == (existing, False)
    assert (
        CustomerExternalId.objects.get(partner=partner, external_id="P-9").customer
        == existing
    )


def test_a_partners_upsert_never_matches_an_in_house_customer():
    partner = PartnerFactory()
    in_house = CustomerFactory(name="内部", phone="+8613800004444", email="")
    found, created = customer_upsert(
        actor=None,
        name="x",
        phone="13800004444",
        email="x@example.cn",
        external_id="P-9",
        partner=partner,
    )
    assert created and found != in_house and found.partner == partner
    in_house.refresh_from_db()
    assert (in_house.name, in_house.email, in_house.partner) == ("内部", "", None)
    assert not in_house.external_ids.exists()


def test_upsert_needs_an_identifier():
    with pytest.raises(InvalidInput):
        customer_upsert(actor=None, name="无名")


def test_upsert_refuses_unknown_fields():
    with pytest.raises(InvalidInput):
        customer_upsert(actor=None, name="x", phone="13800005555", code="HACK")


def test_update_renormalises_and_refreshes_the_digest(org):
    customer = CustomerFactory(department=org.dept_a)
    customer_update(actor=org.agent_a, customer=customer, phone="13600001234")
    assert customer_find(phone="+8613600001234").pk == customer.pk
    # No change, no write.
    before = Customer.objects.get(pk=customer.pk).updated_at
    customer_update(actor=org.agent_a, customer=customer, phone="136 0000 1234")
    assert Customer.objects.get(pk=customer.pk).updated_at == before


def test_update_refuses_staff_outside_the_scope(org):
    customer = CustomerFactory(department=org.dept_b)
    with pytest.raises(NotPermitted):
        customer_update(actor=org.agent_a, customer=customer, name="改名")


def test_update_refuses_a_phone_that_another_customer_has(org):
    CustomerFactory(phone="+8613600009999")
    customer = CustomerFactory(department=org.dept_a)
    with pytest.raises(InvalidInput) as exc:
        customer_update(actor=org.agent_a, customer=customer, phone="13600009999")
    assert exc.value.code == "duplicate_customer"


@pytest.mark.skipif(
    "postgresql"
    not in __import__("django.conf").conf.settings.DATABASES["default"]["ENGINE"],
    reason="concurrent writers need PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_upserts_of_the_same_customer_create_one_row():
    partner = PartnerFactory()
    barrier = threading.Barrier(8)
    results, errors = [], []

    def submit(i):
        try:
            barrier.wait()
            # Half come by external id + phone, half by phone in another format.
            kwargs = (
                {"external_id": "RACE-1", "phone": "13800007777"}
                if i % 2
                else {"phone": "+86 138 0000 7777", "external_id": "RACE-1"}
            )
            results.append(
                customer_upsert(actor=None, name="并发", partner=partner, **kwargs)
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Customer.objects.count() == 1
    assert {c.pk for c, _created in results} == {Customer.objects.get().pk}
    assert sum(created for _c, created in results) == 1
    assert CustomerExternalId.objects.count() == 1


def test_filtering_an_encrypted_column_by_value_fails_loudly_but_blank_works():
    CustomerFactory(phone="")
    with pytest.raises(FieldError, match="digest"):
        list(Customer.objects.filter(phone="+8613800000000"))
    assert Customer.objects.filter(phone="").count() == 1


def test_contact_phone_and_email_are_encrypted_at_rest():
    contact = ContactFactory(phone="+8613955556666", email="c@example.cn")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT phone, email FROM crm_contact WHERE id = %s", [contact.pk]
        )
        phone, email = cursor.fetchone()
    assert "13955556666" not in phone and "example" not in email
    assert Contact.objects.get(pk=contact.pk).phone == "+8613955556666"


def test_key_rotation_keeps_rows_readable_and_findable_then_rewrites_them(settings):
    from io import StringIO

    from django.core.management import call_command

    settings.KEFU_PII_KEY = "old-key"
    customer = CustomerFactory(phone="+8613800008888", email="rot@example.cn")
    ContactFactory(customer=customer, phone="+8613800009999")
    old_digest = Customer.objects.get(pk=customer.pk).phone_digest

    settings.KEFU_PII_KEY = "new-key"
    settings.KEFU_PII_OLD_KEYS = ["old-key"]
    assert Customer.objects.get(pk=customer.pk).phone == "+8613800008888"
    assert customer_find(phone="13800008888") == customer  # via the old digest
    call_command("rotate_pii_key", stdout=StringIO())
    rotated = Customer.objects.get(pk=customer.pk)
    assert rotated.phone_digest != old_digest
    assert rotated.phone_digest == pii.phone_digest("13800008888")

    settings.KEFU_PII_OLD_KEYS = []  # the old key is gone: everything still reads
    assert Customer.objects.get(pk=customer.pk).email == "rot@example.cn"
    assert Contact.objects.get(customer=customer).phone == "+8613800009999"
    assert customer_find(email="rot@example.cn") == customer
