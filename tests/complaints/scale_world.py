"""A few thousand complaints in SQL, for the EXPLAIN tests (PostgreSQL only).

How the plan tests work (docs/complaints.md "Query plans at scale"): a real
complaint is received through the services, then cloned ``n`` times with
``INSERT … SELECT … generate_series`` into a realistic shape — most complaints
closed with their SLA clocks met, a few percent open, spread over two teams and
their agents — and the tables are ``ANALYZE``d. The tests then read
``EXPLAIN`` of the real querysets with the planner's normal costs
(``enable_seqscan`` stays on): with true statistics the planner must choose the
index. A table of a few rows would be read sequentially whatever the indexes
(that is cheaper), so the data must be large enough for the choice to matter.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import connection

from complaints.models import Complaint, SlaTarget
from crm.models import Customer
from tests.factories.complaints import make_complaint

# One open complaint in OPEN_EVERY; the rest are closed (the shape of a real
# table after a few years: the work list is a small slice of it).
OPEN_EVERY = 25
OPEN_STATUSES = ("received", "analyzing", "handling", "replied", "reopened")


def populate(org, n: int = 6000) -> Complaint:
    """Clone ``n`` complaints (and four SLA clocks each) from one received
    through the services; returns that template complaint."""
    template = make_complaint(actor=org.agent_a)
    table = Complaint._meta.db_table
    customers = Customer._meta.db_table
    c_columns = [
        f.column
        for f in Customer._meta.concrete_fields
        if not f.primary_key and f.column not in ("code", "name")
    ]
    c_special = {"phone_digest": "NULL", "email_digest": "NULL"}
    with connection.cursor() as cursor:
        # Customers to spread the complaints over (no identifiers: unique digests).
        cursor.execute(
            f"INSERT INTO {customers} (code, name, {', '.join(c_columns)}) "
            "SELECT 'ZC' || lpad(g::text, 7, '0'), '客户' || g::text || '号', "
            + ", ".join(c_special.get(c, f"t.{c}") for c in c_columns)
            + f" FROM {customers} t, generate_series(1, %s) g WHERE t.id = %s",
            [max(n // 3, 1), template.customer_id],
        )
    agents = [org.agent_a.pk, org.agent_b.pk, org.complaint_handler_a.pk]
    columns = [
        f.column
        for f in Complaint._meta.concrete_fields
        if not f.primary_key and not f.generated
    ]
    statuses = "ARRAY[" + ",".join(f"'{s}'" for s in OPEN_STATUSES) + "]"
    special = {
        "reference": "'ZZ' || lpad(g::text, 12, '0')",
        "order_number": "'SF' || lpad(g::text, 12, '0')",
        "subject": "'快件延误第' || g::text || '单'",
        "status": (
            f"CASE WHEN mod(g, {OPEN_EVERY}) = 0 "
            f"THEN ({statuses})[1 + mod(g / {OPEN_EVERY}, {len(OPEN_STATUSES)})] "
            "ELSE 'closed' END"
        ),
        "team_id": (
            f"CASE WHEN mod(g, 2) = 0 THEN {org.team_a.pk} ELSE {org.team_b.pk} END"
        ),
        "department_id": (
            f"CASE WHEN mod(g, 2) = 0 THEN {org.dept_a.pk} ELSE {org.dept_b.pk} END"
        ),
        "assignee_id": f"(ARRAY{agents}::bigint[])[1 + mod(g, {len(agents)})]",
        "customer_id": "ids.a[1 + mod(g, array_length(ids.a, 1))]",
        "created_by_id": f"(ARRAY{agents}::bigint[])[1 + mod(g, {len(agents)})]",
        "received_at": "t.received_at - (g || ' minutes')::interval",
        "closed_at": (
            f"CASE WHEN mod(g, {OPEN_EVERY}) = 0 THEN NULL "
            "ELSE t.received_at - (g || ' minutes')::interval + interval '2 days' END"
        ),
    }
    expressions = [special.get(c, f"t.{c}") for c in columns]
    targets = SlaTarget._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"SELECT {', '.join(expressions)} FROM {table} t, "
            f"(SELECT array_agg(id) AS a FROM {customers} WHERE code LIKE 'ZC%%') ids, "
            f"generate_series(1, %s) g WHERE t.id = %s",
            [n, template.pk],
        )
        # Four clocks per clone: met on time when closed, running when open.
        t_columns = [
            f.column
            for f in SlaTarget._meta.concrete_fields
            if not f.primary_key and f.column not in ("complaint_id", "met_at")
        ]
        cursor.execute(
            f"INSERT INTO {targets} (complaint_id, met_at, {', '.join(t_columns)}) "
            f"SELECT c.id, CASE WHEN c.status = 'closed' THEN s.started_at "
            f"+ interval '1 hour' END, {', '.join('s.' + col for col in t_columns)} "
            f"FROM {table} c JOIN {targets} s ON s.complaint_id = %s "
            f"WHERE c.id <> %s",
            [template.pk, template.pk],
        )
        cursor.execute(
            f"UPDATE {targets} s SET started_at = c.received_at, "
            "due_at = c.received_at + (s.due_at - s.started_at), "
            "warn_at = c.received_at + (s.warn_at - s.started_at) "
            f"FROM {table} c WHERE c.id = s.complaint_id AND c.id <> %s",
            [template.pk],
        )
        # Rows inserted into a GIN index wait in its pending list until a
        # (auto)vacuum merges them, and the planner prices a search of a long
        # pending list above a scan: merge them, as a live table's vacuum does.
        for index in ("customer_name_trgm", "complaint_subject_trgm"):
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        for name in (table, targets, customers):
            cursor.execute(f"ANALYZE {name}")
    return template


def plan_of(queryset) -> str:
    """The text of ``EXPLAIN`` for ``queryset`` (the planner's choice)."""
    return queryset.explain()


def seq_scans(plan: str, table: str) -> list[str]:
    """Lines of ``plan`` that read ``table`` sequentially."""
    pattern = re.compile(rf"Seq Scan on {table}\b")
    return [line for line in plan.splitlines() if pattern.search(line)]


def later(complaint, days: int = 30):
    return complaint.received_at + timedelta(days=days)
