from django.db import migrations

import crm.fields


def encrypt_existing_secrets(apps, schema_editor):
    """Re-save every endpoint: the field reads a plaintext secret as it is and
    writes it back encrypted."""
    endpoint_model = apps.get_model("partners", "WebhookEndpoint")
    for endpoint in endpoint_model.objects.all():
        endpoint.save(update_fields=["secret"])


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret",
            field=crm.fields.EncryptedTextField(
                help_text="Key of the HMAC-SHA256 signature in X-Kefu-Signature.",
                verbose_name="signing secret",
            ),
        ),
        migrations.RunPython(encrypt_existing_secrets, migrations.RunPython.noop),
    ]
