"""Messages without a complaint (issue 17), second step: in its own
transaction after the backfill (PostgreSQL refuses to alter a table with
pending trigger events of the rows just updated)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0024_customer_message_without_complaint"),
    ]

    operations = [
        migrations.AlterField(
            model_name="customermessage",
            name="customer",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="customer_messages",
                to="crm.customer",
                verbose_name="customer",
            ),
        ),
        migrations.AlterField(
            model_name="customermessage",
            name="complaint",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="customer_messages",
                to="complaints.complaint",
                verbose_name="complaint",
            ),
        ),
        migrations.AlterField(
            model_name="customermessage",
            name="kind",
            field=models.CharField(
                choices=[
                    ("acknowledgement", "acknowledgement of receipt"),
                    ("reply", "reply to customer"),
                    ("handling", "handling started"),
                    ("on_hold", "on hold"),
                    ("resolved", "resolved (with survey link)"),
                    ("visit_reminder", "reminder of a service visit"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="customermessage",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "pending"),
                    ("sending", "sending"),
                    ("sent", "sent"),
                    ("failed", "failed"),
                    ("withdrawn", "withdrawn"),
                ],
                default="pending",
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="messagetemplate",
            name="kind",
            field=models.CharField(
                choices=[
                    ("acknowledgement", "acknowledgement of receipt"),
                    ("reply", "reply to customer"),
                    ("handling", "handling started"),
                    ("on_hold", "on hold"),
                    ("resolved", "resolved (with survey link)"),
                    ("visit_reminder", "reminder of a service visit"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="customermessage",
            constraint=models.UniqueConstraint(
                condition=models.Q(("complaint__isnull", True)),
                fields=("customer", "trigger_key", "channel"),
                name="customermessage_unique_trigger_no_complaint",
            ),
        ),
        migrations.AddConstraint(
            model_name="customermessage",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("complaint__isnull", False),
                    models.Q(("reference", ""), _negated=True),
                    _connector="OR",
                ),
                name="customermessage_about_something",
            ),
        ),
    ]
