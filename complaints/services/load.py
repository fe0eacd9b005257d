"""Each staff member's count of open assigned complaints (``AgentLoad``).

Moved by ``load_move`` whenever a complaint's (assignee, status) changes between
"counted" (an assignee and an open status, ``common.OPEN_STATUSES``) and not, in
the transaction of that change: intake (``complaint_receive``) and every
lifecycle save (``common.save``; the move itself lives in ``common`` so that
``save`` needs no import of this module). One statement per move (an upsert of -1 and
+1 rows), so concurrent moves add up. ``agent_load_recount`` rebuilds the table
from the complaints (migration, bulk seeding, a repair).
"""

from __future__ import annotations

from complaints.models import AgentLoad, Complaint
from complaints.services.common import OPEN_STATUSES, counted, load_move

__all__ = ["agent_load_recount", "counted", "load_move", "load_true_counts"]


def load_true_counts() -> dict[int, int]:
    """The counts computed from the complaints (what the table must hold)."""
    from django.db.models import Count

    return dict(
        Complaint.objects.filter(assignee__isnull=False, status__in=OPEN_STATUSES)
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
        .order_by()
    )


def agent_load_recount() -> None:
    """Rebuild every count from the complaints (bulk writes, repairs)."""
    true = load_true_counts()
    AgentLoad.objects.exclude(user_id__in=true).update(open_count=0)
    AgentLoad.objects.bulk_create(
        [AgentLoad(user_id=pk, open_count=n) for pk, n in true.items()],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["open_count"],
    )
