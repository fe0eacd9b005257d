from django.db import migrations

from config.trigram import add_trigram_index


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0016_complaint_sla_state"),
        ("crm", "0012_search_indexes"),  # pg_trgm
    ]

    operations = [
        migrations.RunPython(
            *add_trigram_index(
                "complaints", "Complaint", "subject", "complaint_subject_trgm"
            )
        ),
    ]
