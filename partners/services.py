"""Write services of the partner API: API keys and webhook endpoints.

Keys look like ``kefu_<prefix>_<secret>``: ``prefix`` is 12 hex characters stored
in clear to find the row, ``secret`` is 32 random bytes (URL-safe base64). Only the
SHA-256 digest of the whole key is stored; the key is returned once, at creation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.api.scopes import Scope
from config.errors import InvalidInput
from crm.models import PartnerOrganisation
from partners.models import ApiKey, WebhookDelivery, WebhookEndpoint, WebhookEvent
from partners.webhook_http import WebhookURLRefused, webhook_target

KEY_PREFIX = "kefu"


def api_key_digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_parse(raw_key: str) -> tuple[str, str] | None:
    """Split a presented key into (prefix, whole key), or None if malformed."""
    parts = raw_key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], raw_key.strip()


def api_key_lookup(raw_key: str) -> ApiKey | None:
    """The usable key matching ``raw_key`` (one query), or None."""
    parsed = api_key_parse(raw_key)
    if parsed is None:
        return None
    prefix, whole = parsed
    key = (
        ApiKey.objects.select_related("partner")
        .filter(prefix=prefix)
        .order_by()
        .first()
    )
    if key is None or not hmac.compare_digest(key.hashed_key, api_key_digest(whole)):
        return None
    if not key.is_usable:
        return None
    return key


def _clean_scopes(scopes: Iterable[str]) -> list[str]:
    wanted = [s.strip() for s in scopes if s and s.strip()]
    valid = set(Scope.values)
    unknown = sorted(set(wanted) - valid)
    if unknown:
        raise InvalidInput(
            _("Unknown scope(s): %(scopes)s. Valid: %(valid)s.")
            % {"scopes": ", ".join(unknown), "valid": ", ".join(Scope.values)},
            field="scopes",
        )
    return sorted(set(wanted), key=Scope.values.index)


@transaction.atomic
def api_key_create(
    *,
    actor,
    partner: PartnerOrganisation,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for ``partner``; return (row, the key in clear — shown once)."""
    clean = _clean_scopes(scopes)
    if not clean:
        raise InvalidInput(_("A key needs at least one scope."), field="scopes")
    prefix = secrets.token_hex(6)
    raw = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        partner=partner,
        name=name or _("API key"),
        prefix=prefix,
        hashed_key=api_key_digest(raw),
        scopes=clean,
        expires_at=expires_at,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    key.full_clean()
    key.save()
    return key, raw


@transaction.atomic
def api_key_revoke(*, actor, api_key: ApiKey) -> ApiKey:
    """Revoke a key; idempotent (a revoked key keeps its first revocation time)."""
    key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def partner_get_or_create(*, name: str) -> tuple[PartnerOrganisation, bool]:
    """Find a partner organisation by name or code, or create it."""
    from django.utils.text import slugify

    existing = (
        PartnerOrganisation.objects.filter(name=name).first()
        or PartnerOrganisation.objects.filter(code=name).first()
    )
    if existing is not None:
        return existing, False
    base = slugify(name) or "partner"
    code = base
    n = 1
    while PartnerOrganisation.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return PartnerOrganisation.objects.create(name=name, code=code[:50]), True


def _clean_events(events: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(events))
    unknown = sorted(set(wanted) - set(WebhookEvent.values))
    if unknown or not wanted:
        raise InvalidInput(
            _("Choose events among: %(valid)s.")
            % {"valid": ", ".join(WebhookEvent.values)},
            field="events",
        )
    return wanted


def _check_url(url: str) -> None:
    """Refuse a URL Kefu may not call (``partners.webhook_http`` rules)."""
    try:
        webhook_target(url)
    except WebhookURLRefused as exc:
        raise InvalidInput(exc.message, field="url") from exc


def webhook_endpoint_create(
    *,
    actor,
    partner: PartnerOrganisation,
    url: str,
    events: Iterable[str],
    secret: str = "",
    description: str = "",
) -> WebhookEndpoint:
    """Register an endpoint; a secret is generated when none is given.

    The URL must pass the webhook URL rules (https, resolves to public
    addresses only); its host is resolved before the transaction starts, so no
    lock is held during a DNS lookup.
    """
    _check_url(url)
    with transaction.atomic():
        endpoint = WebhookEndpoint(
            partner=partner,
            url=url,
            events=_clean_events(events),
            secret=secret or f"whsec_{secrets.token_urlsafe(32)}",
            description=description,
        )
        endpoint.full_clean()
        endpoint.save()
    return endpoint


def webhook_endpoint_update(
    *, actor, endpoint: WebhookEndpoint, **changes
) -> WebhookEndpoint:
    """Change url, events, secret, description or is_active.

    A new URL must pass the webhook URL rules (checked before the transaction:
    no lock is held during a DNS lookup); an unchanged one is not checked
    again, so an endpoint whose URL is no longer allowed can still be
    deactivated (its deliveries are refused anyway). Re-activating an endpoint
    clears its failure count and auto-disable mark and makes the backlog it
    held while disabled due now, in the order it was raised.
    """
    checked = None
    if "url" in changes and changes["url"] != endpoint.url:
        _check_url(changes["url"])
        checked = changes["url"]
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        fields = []
        for name in ("url", "secret", "description", "is_active"):
            if name in changes and getattr(endpoint, name) != changes[name]:
                setattr(endpoint, name, changes[name])
                fields.append(name)
        if "url" in fields and endpoint.url != checked:
            _check_url(endpoint.url)  # changed since the caller read the row
        if "events" in changes:
            events = _clean_events(changes["events"])
            if events != endpoint.events:
                endpoint.events = events
                fields.append("events")
        reactivated = "is_active" in fields and endpoint.is_active
        if reactivated:
            endpoint.consecutive_failures = 0
            endpoint.disabled_at = None
            fields += ["consecutive_failures", "disabled_at"]
        if fields:
            endpoint.full_clean()
            endpoint.save(update_fields=[*fields, "updated_at"])
        if reactivated:
            # The backlog held while disabled goes out now, oldest first (the
            # sweep takes due rows by (next_attempt_at, id)).
            WebhookDelivery.objects.filter(
                endpoint=endpoint, status=WebhookDelivery.Status.PENDING
            ).update(next_attempt_at=timezone.now())
            transaction.on_commit(_trigger_delivery)
    return endpoint


def _trigger_delivery() -> None:
    # Imported here: the task module reaches DRF, which loads this module's
    # authentication class while it starts (an import loop at module level).
    from partners.webhook_outbox import webhook_delivery_trigger

    webhook_delivery_trigger()


@transaction.atomic
def webhook_endpoint_delete(*, actor, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint and its delivery log."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()
