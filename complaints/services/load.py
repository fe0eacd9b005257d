"""Each staff member's count of open assigned complaints (``AgentLoad``).

Moved by ``load_move`` whenever a complaint's (assignee, status) changes between
"counted" (an assignee and an open status, ``common.OPEN_STATUSES``) and not, in
the transaction of that change: intake (``complaint_receive``) and every
lifecycle save (``common.save``). One statement per move (an upsert of -1 and
+1 rows), so concurrent moves add up. ``agent_load_recount`` rebuilds the table
from the complaints (migration, bulk seeding, a repair).
"""

from __future__ import annotations

from django.db import connection

from complaints.models import AgentLoad, Complaint
from complaints.services.common import OPEN_STATUSES


def counted(key) -> int | None:
    """The assignee whose count ``key`` = (assignee id, status) adds to."""
    if key is None:
        return None
    assignee_id, status = key
    return assignee_id if assignee_id is not None and status in OPEN_STATUSES else None


def load_move(before, after) -> None:
    """Move the counts from ``before`` to ``after`` ((assignee id, status) or None)."""
    old, new = counted(before), counted(after)
    if old == new:
        return
    rows = [(pk, delta) for pk, delta in ((old, -1), (new, 1)) if pk is not None]
    table = AgentLoad._meta.db_table
    values = ", ".join("(%s, %s)" for _ in rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, open_count) VALUES {values} "
            f"ON CONFLICT (user_id) DO UPDATE SET "
            f"open_count = {table}.open_count + excluded.open_count",
            [x for row in rows for x in row],
        )


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
