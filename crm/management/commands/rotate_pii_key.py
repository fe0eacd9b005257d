"""``manage.py rotate_pii_key``: re-encrypt everything encrypted with the PII key.

Rotation: set the new key in ``KEFU_PII_KEY``, the previous one(s) in
``KEFU_PII_OLD_KEYS`` (comma-separated), deploy, run this command, then drop the
old keys. Until it finishes, old rows still decrypt and are still found (lookups
try the old digests too). Safe to interrupt and run again.

Every column of an ``EncryptedTextField`` or ``EncryptedJSONField`` in any
installed app is rewritten (customers' and contacts' identifiers, webhook
secrets, idempotency responses, webhook payloads…), and the ``DigestField``
columns of those rows are recomputed. Idempotency request digests are one-way
and cannot be re-keyed: keep the old key for the 24 hours the records live, or a
retry of a request made before the rotation is refused as a different request.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from crm.fields import DigestField, EncryptedJSONField, EncryptedTextField

CHUNK = 1000


def encrypted_columns():
    """(model, encrypted field names, digest fields) of every model holding
    encrypted columns."""
    for model in apps.get_models():
        fields = model._meta.concrete_fields
        encrypted = [
            f.name
            for f in fields
            if isinstance(f, (EncryptedTextField, EncryptedJSONField))
        ]
        if encrypted:
            digests = [f for f in fields if isinstance(f, DigestField)]
            yield model, encrypted, digests


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column (identifiers, secrets, stored payloads) with KEFU_PII_KEY."

    def handle(self, *args, **options):
        for model, encrypted, digests in encrypted_columns():
            done = self._rotate(model, encrypted, digests)
            self.stdout.write(f"re-encrypted {done} rows of {model._meta.label}")

    def _rotate(self, model, encrypted: list[str], digests: list) -> int:
        done = 0
        last = 0
        fields = [*encrypted, *(f.name for f in digests)]
        while True:
            with transaction.atomic():
                rows = list(
                    model._base_manager.select_for_update()
                    .filter(pk__gt=last)
                    .order_by("pk")[:CHUNK]
                )
                if not rows:
                    return done
                for row in rows:
                    # Reading decrypted with whichever key fits; saving encrypts
                    # with the current one. bulk_update skips pre_save: digests here.
                    for field in digests:
                        digester = DigestField.DIGESTERS[field.kind]
                        setattr(
                            row, field.attname, digester(getattr(row, field.source))
                        )
                model._base_manager.bulk_update(rows, fields)
                done += len(rows)
                last = rows[-1].pk
