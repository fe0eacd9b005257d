"""Personal identifiers: normalisation, encryption at rest and keyed digests.

Phone numbers and e-mail addresses are stored encrypted (Fernet: AES-128-CBC +
HMAC-SHA256, random IV, so equal values give different ciphertexts) and next to
them a keyed HMAC-SHA256 digest of the *normalised* value. The digest column is
what exact lookup and the unique constraints use; the database never holds the
plaintext, and without ``KEFU_PII_KEY`` neither column can be reversed or
brute-forced offline (the digest is keyed).

Other stored copies of personal data or secrets (webhook signing secrets, the
stored answers of idempotent POSTs, webhook payloads) are encrypted with the same
key through ``crm.fields.EncryptedTextField`` / ``EncryptedJSONField``.

Both keys are derived from ``settings.KEFU_PII_KEY`` (any string). Production
must set it; when empty (local runs) it falls back to ``SECRET_KEY``.

Key rotation: put the old key in ``KEFU_PII_OLD_KEYS`` and the new one in
``KEFU_PII_KEY``; old ciphertexts still decrypt and lookups also try the old
digests, until ``manage.py rotate_pii_key`` has re-encrypted every row of every
encrypted column.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

DEFAULT_REGION = "CN"
# Ciphertexts start with the Fernet version byte 0x80, base64 "gAAAAA".
_TOKEN_PREFIX = "gAAAAA"


class InvalidPhoneNumber(ValueError):
    pass


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """E.164 form of ``raw`` (mainland China by default); "" for blank.

    Raises ``InvalidPhoneNumber`` when the number cannot be a real one.
    """
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone_lenient(raw: str) -> str:
    """E.164 when parseable, otherwise the stripped input (for digests of legacy rows)."""
    try:
        return normalise_phone(raw)
    except InvalidPhoneNumber:
        return (raw or "").strip()


def normalise_email(raw: str) -> str:
    """Lower-cased, stripped e-mail ("" for blank).

    The whole address is lower-cased: mailbox names are case-sensitive in theory,
    never in practice, and a case-exact lookup would create duplicates.
    """
    return (raw or "").strip().lower()


def _secret() -> bytes:
    key = settings.KEFU_PII_KEY or settings.SECRET_KEY
    return key.encode()


def _old_secrets() -> list[bytes]:
    return [k.encode() for k in settings.KEFU_PII_OLD_KEYS if k]


@lru_cache(maxsize=4)
def _keys(secret: bytes) -> tuple[Fernet, bytes]:
    fernet_key = base64.urlsafe_b64encode(
        hashlib.sha256(b"kefu-pii-fernet:" + secret).digest()
    )
    mac_key = hashlib.sha256(b"kefu-pii-digest:" + secret).digest()
    return Fernet(fernet_key), mac_key


def encrypt(value: str) -> str:
    if not value:
        return ""
    fernet, _mac = _keys(_secret())
    return fernet.encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """Plaintext of ``token``; a value that is not a token (a legacy plaintext row
    not yet migrated) is returned as it is."""
    if not token:
        return ""
    if not token.startswith(_TOKEN_PREFIX):
        return token
    fernets = [_keys(secret)[0] for secret in (_secret(), *_old_secrets())]
    try:
        return MultiFernet(fernets).decrypt(token.encode()).decode()
    except InvalidToken:
        return token


def digest(kind: str, normalised: str, secret: bytes | None = None) -> str | None:
    """Keyed digest of an already-normalised identifier; None for blank."""
    if not normalised:
        return None
    _fernet, mac = _keys(secret or _secret())
    return hmac.new(mac, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()


def digests(kind: str, normalised: str) -> list[str]:
    """Digests of ``normalised`` under the current key, then the old ones (to
    recognise a value digested before a key rotation); empty for blank."""
    found = [digest(kind, normalised, s) for s in (_secret(), *_old_secrets())]
    return [d for d in found if d]


def phone_digest(raw: str) -> str | None:
    return digest("phone", normalise_phone_lenient(raw))


def email_digest(raw: str) -> str | None:
    return digest("email", normalise_email(raw))


def phone_digests(raw: str) -> list[str]:
    """The digests of ``raw`` under the current and the old keys (for lookups
    during a key rotation); empty for blank."""
    return digests("phone", normalise_phone_lenient(raw))


def email_digests(raw: str) -> list[str]:
    return digests("email", normalise_email(raw))


def mask_phone(value: str) -> str:
    """``+8613812345678`` → ``+86138****5678``."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:-8] + "****" + value[-4:]


def mask_email(value: str) -> str:
    if not value or "@" not in value:
        return "*" * len(value or "")
    local, _at, domain = value.partition("@")
    return (local[:1] or "*") + "***@" + domain


def mask_name(value: str) -> str:
    """``张三丰`` → ``张**``; ``Li Wei`` → ``L*****`` (the first character only)."""
    value = (value or "").strip()
    if not value:
        return ""
    return value[0] + "*" * max(len(value) - 1, 1)
