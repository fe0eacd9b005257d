"""Idempotency responses and webhook payloads become encrypted columns, and
each idempotency record names the customer its response is about (for erasure).
The rows written before are encrypted by the next migration."""

import django.db.models.deletion
from django.db import migrations, models

import crm.fields


class Migration(migrations.Migration):
    dependencies = [
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
    ]
