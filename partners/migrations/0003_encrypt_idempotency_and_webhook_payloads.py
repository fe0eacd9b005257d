"""Encrypt idempotency responses and webhook payloads at rest, and link each
idempotency record to the customer its response is about (for erasure).

Existing rows are kept and encrypted in place (the new field reads the old plain
JSON text and writes it back encrypted); records are linked to their customer
from the stored response (``customer.code`` of a complaint, the ``code`` of a
customer answer, the complaint ``reference`` of a feedback answer); the plain
SHA-256 request digests become keyed ones (the keyed digest is taken of the
plain one, so a retry of a request made before the upgrade still replays).
"""

import django.db.models.deletion
from django.db import migrations, models

import crm.fields
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


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
        ("crm", "0006_privacy_complaint_links"),
        ("partners", "0002_webhook_secret_encrypted"),
    ]

    operations = [
        migrations.AddField(
            model_name="idempotencyrecord",
            name="customer",
            field=models.ForeignKey(
                blank=True,
                help_text="The customer the stored response is about, if any.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="crm.customer",
                verbose_name="customer",
            ),
        ),
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="response_body",
            field=crm.fields.EncryptedJSONField(
                blank=True, null=True, verbose_name="response body"
            ),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="payload",
            field=crm.fields.EncryptedJSONField(verbose_name="payload"),
        ),
        migrations.RunPython(encrypt_and_link, migrations.RunPython.noop),
    ]
