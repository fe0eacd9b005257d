"""The dashboard's snapshot beside the indicators: complaint mix and SLA breaches
per department and team, computed with a period's results (``kpi_compute_periods``)
so that the page reads one row (``kpi.selectors.dashboard_figures``).

System reads (unscoped): a row holds one department's or team's figures and is
shown only to readers whose dashboard offers that scope.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Count, F, Max, Min, Q

from complaints import selectors as complaint_selectors
from crm.models import Department, Team
from kpi.measures import COMPLAINTS_RECEIVED, INSPECTION_ITEMS, Window, targets_due
from kpi.models import DashboardSnapshot, KpiPeriod, SubjectType

BREACH_LIST_LENGTH = 20


def _scopes() -> list[tuple[str, int]]:
    return [
        (SubjectType.DEPARTMENT, pk)
        for pk in Department.objects.values_list("pk", flat=True)
    ] + [(SubjectType.TEAM, pk) for pk in Team.objects.values_list("pk", flat=True)]


def _keys(department_id, team_id):
    if department_id is not None:
        yield (SubjectType.DEPARTMENT, department_id)
    if team_id is not None:
        yield (SubjectType.TEAM, team_id)


def _ranked(counter: Counter) -> list[list]:
    """``[[label, n], …]`` most first, ties by label (a stable page)."""
    return [
        [label, n] for label, n in sorted(counter.items(), key=lambda x: (-x[1], x[0]))
    ]


def _missed(window: Window):
    """SLA clocks that fell due in the window and were not met on time: the
    ``sla_compliance_rate`` denominator (cancelled and paused clocks excluded)
    minus those met in time."""
    return targets_due(complaint_selectors.sla_targets(), window).filter(
        Q(met_at__isnull=True) | Q(met_at__gt=F("due_at"))
    )


def _latest(missed, field: str, subject_id: int) -> list[dict]:
    rows = (
        missed.filter(**{f"complaint__{field}": subject_id})
        .order_by("-due_at", "-pk")
        .values(
            "kind",
            "due_at",
            "met_at",
            "complaint_id",
            "complaint__reference",
            "complaint__assignee__name",
        )[:BREACH_LIST_LENGTH]
    )
    return [
        {
            "complaint_id": row["complaint_id"],
            "reference": row["complaint__reference"],
            "kind": row["kind"],
            "due_at": row["due_at"].isoformat(),
            "met_at": row["met_at"].isoformat() if row["met_at"] else None,
            "assignee": row["complaint__assignee__name"] or "",
        }
        for row in rows
    ]


def _qa_items(window: Window) -> dict:
    """Per scope, ``qa_item_pass_rate``'s item scores grouped by checklist item
    (its versions together): ``[[checklist, item, checklist name, label, checks,
    passed]]`` in checklist order (1 grouped query over the measure's rows)."""
    source = INSPECTION_ITEMS
    groups: dict = defaultdict(dict)
    for row in (
        source.queryset(window)
        .order_by()
        .values(
            "item__checklist__code",
            "item__code",
            department_id=F(source.department),
            team_id=F(source.team),
        )
        .annotate(
            checks=Count("pk"),
            passed=Count("pk", filter=Q(passed=True)),
            checklist_name=Max("item__checklist__name"),
            label=Max("item__label"),
            position=Min("item__position"),
        )
    ):
        item = (row["item__checklist__code"], row["item__code"])
        for key in _keys(row["department_id"], row["team_id"]):
            entry = groups[key].setdefault(
                item,
                [*item, row["checklist_name"], row["label"], 0, 0, row["position"]],
            )
            entry[4] += row["checks"]
            entry[5] += row["passed"]
            entry[6] = min(entry[6], row["position"])
    return {
        key: [e[:6] for e in sorted(items.values(), key=lambda e: (e[0], e[6], e[1]))]
        for key, items in groups.items()
    }


def dashboard_snapshots(period: KpiPeriod, window: Window) -> list[DashboardSnapshot]:
    """One unsaved row per department and team (4 grouped queries, then one
    short indexed query per scope with breaches)."""
    categories: dict = defaultdict(Counter)
    channels: dict = defaultdict(Counter)
    causes: dict = defaultdict(Counter)
    cells: dict = defaultdict(Counter)
    # The complaints the indicators count (rejected ones left out).
    received = COMPLAINTS_RECEIVED.queryset(window)
    for row in (
        received.order_by()
        .values(
            "department_id",
            "team_id",
            "category__code",
            "category__name",
            "channel",
            "cause_type",
        )
        .annotate(n=Count("pk"))
    ):
        n = row["n"]
        for key in _keys(row["department_id"], row["team_id"]):
            categories[key][row["category__name"] or "—"] += n
            channels[key][row["channel"]] += n
            if row["cause_type"]:
                causes[key][row["cause_type"]] += n
            cells[key][
                (
                    row["category__code"] or "",
                    row["category__name"] or "—",
                    row["channel"],
                )
            ] += n

    missed = _missed(window)
    by_kind: dict = defaultdict(Counter)
    for row in (
        missed.order_by()
        .values("complaint__department_id", "complaint__team_id", "kind")
        .annotate(n=Count("pk"))
    ):
        for key in _keys(row["complaint__department_id"], row["complaint__team_id"]):
            by_kind[key][row["kind"]] += row["n"]

    qa_items = _qa_items(window)
    snapshots = []
    for key in _scopes():
        subject_type, subject_id = key
        total = sum(by_kind[key].values())
        field = "department_id" if subject_type == SubjectType.DEPARTMENT else "team_id"
        snapshots.append(
            DashboardSnapshot(
                period=period,
                subject_type=subject_type,
                subject_id=subject_id,
                categories=_ranked(categories[key]),
                channels=_ranked(channels[key]),
                cause_types=_ranked(causes[key]),
                category_channel=[
                    [code, name, channel, n]
                    for (code, name, channel), n in sorted(cells[key].items())
                ],
                breaches_by_kind=_ranked(by_kind[key]),
                breach_total=total,
                latest_breaches=_latest(missed, field, subject_id) if total else [],
                qa_items=qa_items.get(key, []),
                computed_at=window.now,
            )
        )
    return snapshots
