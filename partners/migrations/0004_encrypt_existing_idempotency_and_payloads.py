"""Encrypt the idempotency responses and webhook payloads written before the
columns were encrypted, link each idempotency record to the customer its
response is about, and key the request digests.

The encrypted field reads the old plain JSON text, so re-saving a row encrypts
it. The customer is found from the stored response (``customer.code`` of a
complaint, the ``code`` of a customer answer, the complaint ``reference`` of a
feedback answer). The keyed digest is taken of the plain SHA-256 one, so a retry
of a request made before the upgrade still replays. (A separate migration from
the schema change: PostgreSQL refuses to create the new index in a transaction
with pending foreign-key checks.)
"""

import json

from django.db import migrations

from crm import pii

CHUNK = 500


def _chunks(queryset):
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk")[:CHUNK])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def _customer_code(record, complaint_model):
    body = record.response_body
    if not isinstance(body, dict):
        return None
    nested = body.get("customer")
    if isinstance(nested, dict) and isinstance(nested.get("code"), str):
        return nested["code"]
    if "/customers/" in record.path and isinstance(body.get("code"), str):
        return body["code"]
    if isinstance(body.get("complaint"), str):
        return (
            complaint_model.objects.filter(reference=body["complaint"])
            .values_list("customer__code", flat=True)
            .first()
        )
    return None


def encrypt_and_link(apps, schema_editor):
    record_model = apps.get_model("partners", "IdempotencyRecord")
    delivery_model = apps.get_model("partners", "WebhookDelivery")
    customer_model = apps.get_model("crm", "Customer")
    complaint_model = apps.get_model("complaints", "Complaint")
    for rows in _chunks(record_model.objects.all()):
        codes = {row.pk: _customer_code(row, complaint_model) for row in rows}
        ids = dict(
            customer_model.objects.filter(
                code__in={c for c in codes.values() if c}
            ).values_list("code", "pk")
        )
        for row in rows:
            row.customer_id = ids.get(codes[row.pk])
            row.request_hash = (
                pii.digest("idempotency", row.request_hash) or row.request_hash
            )
        record_model.objects.bulk_update(
            rows, ["response_body", "customer", "request_hash"]
        )
    for rows in _chunks(delivery_model.objects.all()):
        delivery_model.objects.bulk_update(rows, ["payload"])


def decrypt_for_downgrade(apps, schema_editor):
    """Back to plain JSON columns: payloads are written back in clear; the
    idempotency records are dropped (their keyed digests cannot be undone, and
    they only live 24 hours)."""
    record_model = apps.get_model("partners", "IdempotencyRecord")
    delivery_model = apps.get_model("partners", "WebhookDelivery")
    record_model.objects.all().delete()
    table = schema_editor.quote_name(delivery_model._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        for rows in _chunks(delivery_model.objects.all()):
            for row in rows:
                cursor.execute(
                    f"UPDATE {table} SET payload = %s WHERE id = %s",
                    [json.dumps(row.payload, ensure_ascii=False), row.pk],
                )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
        ("partners", "0003_encrypt_idempotency_and_webhook_payloads"),
    ]

    operations = [
        migrations.RunPython(encrypt_and_link, decrypt_for_downgrade),
    ]
