"""Model fields for personal identifiers encrypted at rest (see ``crm.pii``)."""

from __future__ import annotations

import base64
import json

from django.core.exceptions import FieldError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.lookups import Exact

from crm import pii


class BlankOnlyExact(Exact):
    """``field=""`` works (ciphertext of "" is ""); any other value cannot match a
    randomised ciphertext, so asking for it is a bug that should fail loudly."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None) and not hasattr(self.rhs, "resolve_expression"):
            raise FieldError(
                f"{self.lhs.target.name} is encrypted; look it up through its digest"
                " column (crm.selectors.identifier_lookup / crm.services.customer_find)"
            )
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):
    """Holds a string that the database only ever sees encrypted.

    The Python attribute is the plaintext; ``get_prep_value`` encrypts on the way
    in and ``from_db_value`` decrypts on the way out. Ciphertexts are randomised,
    so the column cannot be filtered on: look rows up through a ``DigestField``.
    """

    description = "Text encrypted at rest"

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return None
        return pii.encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return pii.decrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return BlankOnlyExact
        if lookup_name != "isnull":
            raise FieldError(
                f"{self.name} is encrypted; look it up through its digest column"
            )
        return super().get_lookup(lookup_name)


class EncryptedBytesField(EncryptedTextField):
    """Bytes (a raw e-mail kept in quarantine…) that the database only ever sees
    encrypted: base64 of the bytes, encrypted like ``EncryptedTextField`` (same
    key, same rotation). ``None`` stays NULL."""

    description = "Bytes encrypted at rest"

    def to_python(self, value):
        if value is None or isinstance(value, bytes):
            return value
        if isinstance(value, memoryview | bytearray):
            return bytes(value)
        return str(value).encode()

    def get_prep_value(self, value):
        if value is None:
            return None
        value = self.to_python(value)
        return pii.encrypt(base64.b64encode(value).decode("ascii") if value else "=")

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        text = pii.decrypt(value)
        return b"" if text in ("", "=") else base64.b64decode(text)

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return "" if value is None else base64.b64encode(value).decode("ascii")


class EncryptedJSONField(models.TextField):
    """A JSON value (dict, list, string, number…) that the database only ever
    sees encrypted, under the same key as the personal identifiers.

    Stored as a text column holding the Fernet token of the compact JSON; the
    Python attribute is the decoded value, like ``models.JSONField``. A row
    written before the column was encrypted (plain JSON text) still reads.
    Nothing can be looked up inside it: only ``isnull`` works.
    """

    description = "JSON encrypted at rest"

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        # Not TextField's: that would turn a dict into its Python repr.
        value = models.Field.get_prep_value(self, value)
        if value is None:
            return None
        text = json.dumps(
            value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")
        )
        return pii.encrypt(text)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        text = pii.decrypt(value)
        try:
            return json.loads(text)
        except ValueError:
            # A token no key opens (like EncryptedTextField: returned as is).
            return text

    def value_to_string(self, obj):
        # As models.JSONField: serialisers embed the value itself.
        return self.value_from_object(obj)

    def formfield(self, **kwargs):
        from django import forms

        return super().formfield(
            **{"form_class": forms.JSONField, "encoder": DjangoJSONEncoder, **kwargs}
        )

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            raise FieldError(f"{self.name} is encrypted; it cannot be searched")
        return super().get_lookup(lookup_name)


class DigestField(models.CharField):
    """Keyed HMAC digest of another field's normalised value, kept in step on save.

    ``kind`` is "phone" or "email" (it picks the normaliser). The value is
    recomputed from ``source`` whenever the row is saved (including
    ``bulk_create``), so a caller that sets ``customer.phone`` cannot leave a
    stale digest behind; ``save(update_fields=...)`` must name both columns.
    """

    DIGESTERS = {"phone": pii.phone_digest, "email": pii.email_digest}

    def __init__(self, *args, source: str = "", kind: str = "", **kwargs):
        self.source = source
        self.kind = kind
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["kind"] = self.kind
        for key, default in (
            ("max_length", 64),
            ("null", True),
            ("blank", True),
            ("editable", False),
        ):
            if kwargs.get(key, default) == default:
                kwargs.pop(key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = self.DIGESTERS[self.kind](getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value
