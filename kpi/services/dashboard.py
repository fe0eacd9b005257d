"""The dashboard's snapshot beside the indicators: complaint mix and SLA breaches
per department and team, computed with a period's results (``kpi_compute_periods``)
so that the page reads one row (``kpi.selectors.dashboard_figures``).

System reads (unscoped): a row holds one department's or team's figures and is
shown only to readers whose dashboard offers that scope.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Aggregate, Count, F, Max, Min, Q

from complaints import selectors as complaint_selectors
from complaints.models import Category
from crm.models import Department, Team
from kpi.measures import (
    COMPLAINTS_RECEIVED,
    INSPECTION_ITEMS,
    SLA_TARGETS_DUE,
    Window,
    targets_due,
)
from kpi.models import DashboardSnapshot, KpiPeriod, SubjectType

BREACH_LIST_LENGTH = 20


@dataclass(frozen=True)
class Fold:
    """What the dashboard reads from an indicator source's rows: more group
    keys (name → lookup) and more aggregates. ``kpi.services.compute`` adds
    them to the source's own grouped pass (one scan for both); rows carry the
    source's ``g_team`` / ``g_dept`` attribution."""

    keys: dict[str, str]
    aggregates: dict[str, Aggregate]


# Clocks that fell due and were not met on time (the ``sla_compliance_rate``
# denominator minus those met in time), by kind.
MISSED = Q(met_at__isnull=True) | Q(met_at__gt=F("due_at"))
# The complaint mix (complaints the indicators count, rejected left out) is
# read on its own: folded into the indicators' pass, its seven group keys made
# PostgreSQL expect ~100,000 groups (there are a few hundred) and sort a year's
# rows on disk (measured: 0.98 s instead of 0.30 + 0.29 s at 1M).
MIX = Fold(
    keys={"f_category": "category_id", "f_channel": "channel", "f_cause": "cause_type"},
    aggregates={"f_rows": Count("pk")},
)
FOLDS = {
    SLA_TARGETS_DUE.code: Fold(
        keys={"f_kind": "kind"},
        aggregates={"f_missed": Count("pk", filter=MISSED)},
    ),
}


def fold_rows(source, window: Window, fold: Fold | None = None) -> list[dict]:
    """The rows of ``fold`` (default ``FOLDS[source.code]``) for one window,
    read on their own (what the compute's folded pass returns for a period)."""
    fold = fold or FOLDS[source.code]
    keys = {
        "g_team": F(source.team),
        "g_dept": F(source.department),
        **{name: F(path) for name, path in fold.keys.items()},
    }
    return list(
        source.queryset(window).order_by().values(**keys).annotate(**fold.aggregates)
    )


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
    return targets_due(complaint_selectors.sla_targets(), window).filter(MISSED)


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


def dashboard_snapshots(
    period: KpiPeriod, window: Window, folded: dict[str, list[dict]] | None = None
) -> list[DashboardSnapshot]:
    """One unsaved row per department and team. The missed clocks come from
    ``folded`` (the rows of ``FOLDS`` that the indicators' pass returned for
    this period, by source code) or, when not there, from a grouped query of
    their own; the mix, the categories and the QA items from one query each;
    then one short indexed query per scope with breaches."""
    folded = folded or {}
    categories: dict = defaultdict(Counter)
    channels: dict = defaultdict(Counter)
    causes: dict = defaultdict(Counter)
    cells: dict = defaultdict(Counter)
    names = {c.pk: (c.code, c.name) for c in Category.objects.all()}
    for row in fold_rows(COMPLAINTS_RECEIVED, window, MIX):
        n = row["f_rows"]
        code, name = names.get(row["f_category"], ("", "—"))
        for key in _keys(row["g_dept"], row["g_team"]):
            categories[key][name or "—"] += n
            channels[key][row["f_channel"]] += n
            if row["f_cause"]:
                causes[key][row["f_cause"]] += n
            cells[key][(code or "", name or "—", row["f_channel"])] += n

    due = folded.get(SLA_TARGETS_DUE.code)
    if due is None:
        due = fold_rows(SLA_TARGETS_DUE, window)
    by_kind: dict = defaultdict(Counter)
    for row in due:
        if not row["f_missed"]:
            continue
        for key in _keys(row["g_dept"], row["g_team"]):
            by_kind[key][row["f_kind"]] += row["f_missed"]

    missed = _missed(window)
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
