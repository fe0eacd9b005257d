"""Quarantined inbound mail: the raw bytes encrypted at rest (issue 13, PIPL).

A new column takes the encrypted copy of each kept message, the plain column
goes, and the new one takes its name (a type change in place would cast the
bytes to text on PostgreSQL)."""

from django.db import migrations

import crm.fields


def seal(apps, schema_editor):
    InboundEmail = apps.get_model("complaints", "InboundEmail")
    for row in InboundEmail.objects.filter(raw__isnull=False).only("pk", "raw"):
        row.raw_sealed = bytes(row.raw)
        row.save(update_fields=["raw_sealed"])


def unseal(apps, schema_editor):
    InboundEmail = apps.get_model("complaints", "InboundEmail")
    for row in InboundEmail.objects.filter(raw_sealed__isnull=False).only(
        "pk", "raw_sealed"
    ):
        row.raw = row.raw_sealed
        row.save(update_fields=["raw"])


class Migration(migrations.Migration):
    dependencies = [("complaints", "0013_customer_messages")]

    operations = [
        migrations.AddField(
            model_name="inboundemail",
            name="raw_sealed",
            field=crm.fields.EncryptedBytesField(
                blank=True, null=True, verbose_name="raw message"
            ),
        ),
        migrations.RunPython(seal, unseal),
        migrations.RemoveField(model_name="inboundemail", name="raw"),
        migrations.RenameField(
            model_name="inboundemail", old_name="raw_sealed", new_name="raw"
        ),
    ]
