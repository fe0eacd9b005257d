"""Shipped SLA policies as DESIGN §1 words them: reply ≤ 48 h after receipt and
customer confirmation ≤ 24 h after resolution, both in elapsed hours (the seed's
"最长不超过48小时" is a promise to the customer; crm's confirmation revisit is due
24 h after resolution); first response (10 / 30 min) and initial analysis (2 h)
stay in business time of the calendar. Only rows still at their shipped values
are touched: an admin's edits are kept. Also: the ``archived`` event kind.
"""

from django.db import migrations, models

H = 60
# code: (old reply minutes, is 24x7)
SHIPPED = {
    "urgent": (4 * H, True),
    "high": (24 * H, False),
    "standard": (48 * H, False),
}


def forwards(apps, schema_editor):
    SlaPolicy = apps.get_model("complaints", "SlaPolicy")
    for code, (old_reply, is_24x7) in SHIPPED.items():
        policy = SlaPolicy.objects.filter(code=code).first()
        if policy is None:
            continue
        fields = []
        if policy.reply_minutes == old_reply:
            policy.reply_minutes = 48 * H
            fields.append("reply_minutes")
        if not is_24x7 and not policy.elapsed_targets:
            policy.elapsed_targets = ["reply", "confirmation"]
            fields.append("elapsed_targets")
        if fields:
            policy.save(update_fields=fields)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0003_sla_partial_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="slapolicy",
            name="elapsed_targets",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text=(
                    "SLA targets of this policy that count elapsed (wall-clock) "
                    "time instead of the calendar's business time."
                ),
                verbose_name="targets counted in elapsed hours",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="complaintevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "created"),
                    ("status_changed", "status changed"),
                    ("assigned", "assigned"),
                    ("replied", "replied to customer"),
                    ("note", "internal note"),
                    ("analysis", "analysis recorded"),
                    ("escalated", "escalated"),
                    ("severity_changed", "severity changed"),
                    ("reopened", "reopened"),
                    ("confirmed", "confirmed by customer"),
                    ("attachment", "attachment added"),
                    ("sla_started", "SLA clock started"),
                    ("sla_paused", "SLA clock paused"),
                    ("sla_resumed", "SLA clock resumed"),
                    ("sla_warned", "SLA warning"),
                    ("sla_met", "SLA target met"),
                    ("sla_breached", "SLA breached"),
                    ("sla_due_overridden", "SLA due time overridden"),
                    ("sla_recomputed", "SLA due times recomputed"),
                    ("feedback_received", "customer feedback received"),
                    ("capa_linked", "corrective action linked"),
                    ("archived", "archived"),
                ],
                max_length=32,
                verbose_name="kind",
            ),
        ),
    ]
