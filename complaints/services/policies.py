"""Applying an edited SLA policy to the complaints that run under it.

DESIGN §1: due times are "recomputed when severity or policy changes". A change
of severity or category re-picks the policy inside the lifecycle service; this
module covers an admin editing a policy (targets, calendar, matchers, active
flag): every open complaint under that policy gets its policy picked again and
its running clocks recomputed — except clocks a manager overrode (never
recomputed) and clocks already breached. Each complaint is handled in its own
short transaction with its row locked (same lock order as the services), so a
large backlog never holds one long lock; running it again yields the same due
times.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from complaints import selectors
from complaints.models import Complaint
from complaints.services import sla
from complaints.services.common import FINAL_STATUSES, save

BATCH = 500


def sla_policy_recompute(*, policy_id: int, actor=None) -> int:
    """Re-pick the policy and recompute running clocks of open complaints under
    ``policy_id``; returns how many complaints got new due times."""
    changed = 0
    last_pk = 0
    while True:
        ids = list(
            selectors.open_complaints_under_policy(policy_id=policy_id)
            .filter(pk__gt=last_pk)
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            return changed
        last_pk = ids[-1]
        for pk in ids:
            if _recompute_one(pk, policy_id=policy_id, actor=actor):
                changed += 1


@transaction.atomic
def _recompute_one(pk: int, *, policy_id: int, actor) -> bool:
    locked = Complaint.objects.select_for_update().get(pk=pk)
    if locked.sla_policy_id != policy_id or locked.status in FINAL_STATUSES:
        return False
    before = {f: getattr(locked, f) for f in _due_fields()}
    policy = sla.policy_for(
        channel=locked.channel, severity=locked.severity, category=locked.category_id
    )
    if policy is None:
        return False  # keep the clocks running on the last known policy
    locked.sla_policy = policy
    sla.sla_recompute(
        complaint=locked,
        actor=actor,
        reason=_("SLA policy %(policy)s changed") % {"policy": policy.name},
    )
    if policy.pk == policy_id and before == {
        f: getattr(locked, f) for f in _due_fields()
    }:
        return False
    save(locked, ["sla_policy", *_due_fields()])
    return True


def _due_fields() -> list[str]:
    return [due for _m, due, _met in sla.TARGET_FIELDS.values()]
