"""``manage.py rotate_pii_key``: re-encrypt personal identifiers with the current key.

Rotation: set the new key in ``KEFU_PII_KEY``, the previous one(s) in
``KEFU_PII_OLD_KEYS`` (comma-separated), deploy, run this command, then drop the
old keys. Until it finishes, old rows still decrypt and are still found (lookups
try the old digests too). Safe to interrupt and run again.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from crm import pii
from crm.models import Contact, Customer

CHUNK = 1000


class Command(BaseCommand):
    help = "Re-encrypt customers' and contacts' phone, e-mail and address with KEFU_PII_KEY."

    def handle(self, *args, **options):
        customers = self._rotate(
            Customer,
            ["phone", "email", "address", "phone_digest", "email_digest"],
            digests=True,
        )
        contacts = self._rotate(Contact, ["phone", "email"], digests=False)
        self.stdout.write(f"re-encrypted {customers} customers and {contacts} contacts")

    def _rotate(self, model, fields, *, digests: bool) -> int:
        done = 0
        last = 0
        while True:
            with transaction.atomic():
                rows = list(
                    model.objects.select_for_update()
                    .filter(pk__gt=last)
                    .order_by("pk")[:CHUNK]
                )
                if not rows:
                    return done
                for row in rows:
                    # Reading decrypted with whichever key fits; saving encrypts
                    # with the current one. bulk_update skips pre_save: digests here.
                    if digests:
                        row.phone_digest = pii.phone_digest(row.phone)
                        row.email_digest = pii.email_digest(row.email)
                model.objects.bulk_update(rows, fields)
                done += len(rows)
                last = rows[-1].pk
