"""Editing an SLA policy: the change saved, recorded and applied.

DESIGN §1: due times are "recomputed when severity or policy changes". An edit
of a policy's matchers, calendar, targets, warning threshold or active flag is
applied to the open complaints under it by the background job
``complaints.sla_policy_recompute`` (``complaints.services.policies``), enqueued
when the edit commits; renaming or reordering changes no due time. Every edit is
recorded as an append-only ``SlaPolicyChange`` row (who, which fields, from
what to what, whether a recompute was sent).

Kept apart from ``policies``, which the task imports: this module enqueues the
task, so one module holding both would import itself through ``tasks``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from complaints.models import SlaPolicy, SlaPolicyChange
from complaints.services import clock, permissions
from config.errors import InvalidInput

# Fields whose change moves the due times of complaints under the policy.
TIMING_FIELDS = frozenset(
    {
        "channel",
        "severity",
        "category",
        "calendar",
        "is_24x7",
        "first_response_minutes",
        "analysis_minutes",
        "reply_minutes",
        "resolution_minutes",
        "confirmation_minutes",
        "elapsed_targets",
        "warn_percent",
        "is_active",
    }
)
EDITABLE_FIELDS = TIMING_FIELDS | {"code", "name", "sort_order"}


def _stored(policy: SlaPolicy, name: str):
    """The field's value as stored (a foreign key as its id): JSON-ready."""
    return SlaPolicy._meta.get_field(name).value_from_object(policy)


def _full_clean(policy: SlaPolicy, fields) -> None:
    """Validate the changed fields (their validators, choices, uniqueness)."""
    exclude = [f.name for f in SlaPolicy._meta.concrete_fields if f.name not in fields]
    try:
        policy.full_clean(exclude=exclude)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(
            " ".join(messages), field=None if field == "__all__" else field
        ) from None


def _enqueue_recompute(policy_id: int, actor_id: int | None) -> None:
    from complaints.tasks import sla_policy_recompute

    sla_policy_recompute.delay(policy_id, actor_id)


@transaction.atomic
def sla_policy_update(
    *, actor, policy: SlaPolicy, changes: dict[str, Any]
) -> SlaPolicyChange | None:
    """Set ``changes`` ({field: new value}) on ``policy`` (managers, admins).

    Saves only the fields whose value differs, records them in one
    ``SlaPolicyChange`` and, when a timing field changed, enqueues the recompute
    of the open complaints under the policy once the transaction commits.
    Returns the recorded change, or None when nothing differed (nothing is
    written). A field that is not a policy setting, or a value the model
    refuses, is ``InvalidInput`` naming the field; nothing changes then.
    """
    permissions.require_role(actor, permissions.MANAGERS)
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(
            _("This is not a setting of the policy: %(fields)s.")
            % {"fields": ", ".join(unknown)},
            field=unknown[0],
        )
    locked = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    before = {name: _stored(locked, name) for name in changes}
    for name, value in changes.items():
        setattr(locked, name, value)
    diff = {
        name: {"from": before[name], "to": _stored(locked, name)}
        for name in changes
        if _stored(locked, name) != before[name]
    }
    if not diff:
        return None
    _full_clean(locked, diff)
    locked.save(update_fields=sorted(diff))
    recompute = not TIMING_FIELDS.isdisjoint(diff)
    change = SlaPolicyChange.objects.create(
        policy=locked,
        policy_code=locked.code,
        actor=actor,
        changes=diff,
        recompute=recompute,
        created_at=clock.now(),
    )
    if recompute:
        policy_id, actor_id = locked.pk, getattr(actor, "pk", None)
        transaction.on_commit(lambda: _enqueue_recompute(policy_id, actor_id))
    if policy is not locked:
        for field in SlaPolicy._meta.concrete_fields:
            setattr(policy, field.attname, getattr(locked, field.attname))
    return change


__all__ = ["EDITABLE_FIELDS", "TIMING_FIELDS", "sla_policy_update"]
