"""Compute a period's KPI snapshot: every indicator for every subject, by the database.

One grouped aggregate query per source (complaints received, complaints first
resolved, SLA targets due, surveys answered, revisits due, inspections, training
attendance, assessments) returns partial numerators and denominators per
(staff member, team, department) with conditional ``Count``/``Sum`` and
``filter=``. A staff member's result is their partial; a team's and a
department's results add up the partials of the same rows (exact sums and counts,
never averages of averages). Values derive from those sums: no per-subject query.
The snapshot (``KpiResult`` + ``ScorecardResult`` rows) then replaces the previous
one of the period in one transaction, so a recompute never duplicates.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone

from crm.models import Department, Team
from crm.roles import Role
from kpi.measures import MEASURES, SOURCES, Measure, Window
from kpi.models import (
    DashboardSnapshot,
    Indicator,
    KpiPeriod,
    KpiResult,
    ScorecardResult,
    ScorecardTemplate,
    SubjectType,
)
from kpi.periods import aware_range, period_for
from kpi.scoring import attainment_score, competition_ranks, weighted_score
from kpi.services import rollups
from kpi.services.aggregates import insert_rows, measure_aggregates
from kpi.services.dashboard import FOLDS, Fold, dashboard_snapshots
from training.selectors import yearly_hours_by_role

VALUE_PLACES = Decimal("0.0001")
HUNDRED = Decimal(100)


@dataclass(slots=True)
class Partial:
    """Additive pieces of one measure for one group of rows."""

    num: Decimal = Decimal(0)
    den: Decimal = Decimal(0)
    neg: Decimal = Decimal(0)  # nps detractors

    def add(self, other: Partial) -> None:
        self.num += other.num
        self.den += other.den
        self.neg += other.neg


@dataclass
class ComputeSummary:
    period: str
    results: int = 0
    scorecards: int = 0
    queries_seconds: float = 0.0
    write_seconds: float = 0.0
    sources: dict[str, float] = field(default_factory=dict)


def window_for(period: KpiPeriod, now: datetime) -> Window:
    start, end = aware_range(period)
    year_start = timezone.make_aware(
        datetime.combine(date(period.start.year, 1, 1), dtime.min),
        timezone.get_current_timezone(),
    )
    return Window(
        start=start,
        end=end,
        now=now,
        year_start=year_start,
        start_date=period.start,
        end_date=period.end,
    )


def _union(windows: list[Window]) -> Window:
    """One window covering several (each period's own bounds bucket the rows)."""
    return Window(
        start=min(w.start for w in windows),
        end=max(w.end for w in windows),
        now=windows[0].now,
        year_start=min(w.year_start for w in windows),
        start_date=min(w.start_date for w in windows),
        end_date=max(w.end_date for w in windows),
    )


def _bucket(source, windows: dict[int, Window]) -> Case:
    """CASE placing a row in the period whose bounds hold its date field."""
    whens = []
    for period_id, w in windows.items():
        low, high = (
            (w.start_date, w.end_date)
            if source.date_type == "date"
            else (w.start, w.end)
        )
        whens.append(
            When(
                Q(
                    **{
                        f"{source.date_field}__gte": low,
                        f"{source.date_field}__lt": high,
                    }
                ),
                then=Value(period_id),
            )
        )
    return Case(*whens, output_field=IntegerField())


def grouped_partials(
    windows: dict[int, Window],
    codes: set[str],
    summary: ComputeSummary | None = None,
    folds: dict[str, Fold] | None = None,
    folded: dict[int, dict[str, list[dict]]] | None = None,
) -> dict[int, dict[str, dict[tuple, Partial]]]:
    """``{period_id: {code: {(staff_id, team_id, department_id): Partial}}}``.

    One grouped query per source for all the (non-overlapping) periods at once —
    a year's 12 months cost one pass, not twelve; year-to-date sources, whose
    periods overlap, take one query per period.

    ``folds`` (by source code) ride on the same pass: the rows are also grouped
    by the fold's keys, its aggregates are added, and its rows go to
    ``folded[period_id][source code]`` (the dashboard's missed clocks by kind:
    no second scan of the same rows). A folded source is read even when none of
    its indicators is active.
    """
    folds = folds or {}
    partials = {pid: defaultdict(dict) for pid in windows}
    for source in SOURCES:
        measures = [
            m for m in MEASURES.values() if m.source is source and m.code in codes
        ]
        fold = folds.get(source.code)
        if not measures and fold is None:
            continue
        started = time.perf_counter()
        batches = (
            [{pid: w} for pid, w in windows.items()]
            if source.cumulative or len(windows) == 1
            else [windows]
        )
        rollup = rollups.serving(source, codes)
        if rollup is not None:
            any_window = next(iter(windows.values()))
            refreshed = rollup.refresh(
                start=min(w.start for w in windows.values()),
                end=max(w.end for w in windows.values()),
                now=any_window.now,
            )
            if summary is not None:
                summary.sources[f"{source.code}:refresh"] = refreshed.seconds
        for batch in batches:
            keys = {
                "g_staff": F(source.staff),
                "g_team": F(source.team),
                "g_dept": F(source.department),
            }
            if fold is not None and folded is not None:
                for pid in batch:  # folded, even when no row comes back
                    folded.setdefault(pid, {}).setdefault(source.code, [])
            rows: list[dict] = []
            if rollup is not None:
                ranges, live = {}, {}
                for pid, w in batch.items():
                    hours, rest = rollups.split(w, refreshed.cut)
                    if hours:
                        ranges[pid] = hours
                    if rest:
                        live[pid] = rest
                rows += rollup.read(ranges, keys, fold.keys if fold is not None else {})
                batch = live
            if batch:
                rows += _live_rows(source, batch, measures, keys, fold)
            for row in rows:
                period_id = row["g_period"]
                if period_id is None:
                    continue
                key = (row["g_staff"], row["g_team"], row["g_dept"])
                for measure in measures:
                    code = measure.code
                    # several rows per key when a fold adds keys: summed
                    partials[period_id][code].setdefault(key, Partial()).add(
                        Partial(
                            num=Decimal(row.get(f"{code}__num") or 0),
                            den=Decimal(row.get(f"{code}__den") or 0),
                            neg=Decimal(row.get(f"{code}__neg") or 0),
                        )
                    )
                if fold is not None and folded is not None:
                    folded[period_id][source.code].append(row)
        if summary is not None:
            summary.sources[source.code] = time.perf_counter() - started
    return partials


def _live_rows(
    source, batch: dict[int, Window], measures, keys: dict, fold: Fold | None
) -> list[dict]:
    """The source's grouped rows for the periods of ``batch`` read from its
    table, each with ``g_period`` (its period, None for a row in none)."""
    union = _union(list(batch.values()))
    aggregates = {}
    for measure in measures:
        aggregates.update(measure_aggregates(measure, union))
    keys = dict(keys)
    if fold is not None:
        keys.update({name: F(path) for name, path in fold.keys.items()})
        aggregates.update(fold.aggregates)
    if len(batch) > 1:
        keys["g_period"] = _bucket(source, batch)
    rows = list(source.queryset(union).order_by().values(**keys).annotate(**aggregates))
    if len(batch) == 1:
        only = next(iter(batch))
        for row in rows:
            row["g_period"] = only
    return rows


def _value(measure: Measure, part: Partial | None, headcount: int | None):
    """(value, numerator, denominator, sample size) from summed partials."""
    kind = measure.kind
    if kind == "count":
        count = part.num if part else Decimal(0)
        return count, count, None, int(count)
    if kind == "sum":
        total = part.num if part else Decimal(0)
        samples = int(part.den) if part else 0
        if headcount is None:  # a staff member: their own hours
            return total, total, None, samples
        if not headcount:
            return None, total, Decimal(0), samples
        return total / headcount, total, Decimal(headcount), samples
    if part is None or not part.den:
        return None, None, None, 0
    if kind == "avg":
        value = part.num / part.den * measure.scale
        return value, part.num, part.den, int(part.den)
    if kind == "rate":
        return HUNDRED * part.num / part.den, part.num, part.den, int(part.den)
    if kind == "nps":
        net = part.num - part.neg
        return HUNDRED * net / part.den, net, part.den, int(part.den)
    raise ValueError(kind)


def _q(value):
    return None if value is None else Decimal(value).quantize(VALUE_PLACES)


def _staff_templates(staff_ids: set[int] | None = None):
    """``{user_id: template}`` for active staff whose role has an active template.

    A member of several such roles gets the template of the role listed first in
    ``crm.roles.Role`` (supervisor before agent, agent before handler).
    """
    templates = {
        t.role: t
        for t in ScorecardTemplate.objects.filter(is_active=True).prefetch_related(
            "lines__indicator"
        )
    }
    priority = {role.value: n for n, role in enumerate(Role)}
    membership = get_user_model().groups.through
    memberships = membership.objects.filter(
        group__name__in=list(templates), user__is_active=True
    ).values_list("user_id", "group__name")
    chosen: dict[int, str] = {}
    for user_id, role in memberships:
        if user_id not in chosen or priority[role] < priority[chosen[user_id]]:
            chosen[user_id] = role
    return {uid: templates[role] for uid, role in chosen.items()}


def kpi_compute_period(
    *, actor=None, period: KpiPeriod, now: datetime | None = None
) -> ComputeSummary:
    """Compute and store the snapshot of ``period`` (see ``kpi_compute_periods``)."""
    return kpi_compute_periods(actor=actor, periods=[period], now=now)


def _rolled(partials: dict[str, dict[tuple, Partial]]):
    """Partials summed per subject: staff, team, department (exact sums)."""
    rolled: dict[str, dict[str, dict[int, Partial]]] = {
        s: defaultdict(dict) for s in SubjectType.values
    }
    for code, groups in partials.items():
        for (staff_id, team_id, dept_id), part in groups.items():
            for subject, key in (
                (SubjectType.STAFF, staff_id),
                (SubjectType.TEAM, team_id),
                (SubjectType.DEPARTMENT, dept_id),
            ):
                if key is None:
                    continue
                target = rolled[subject][code].setdefault(key, Partial())
                target.add(part)
    return rolled


def kpi_compute_periods(
    *, actor=None, periods: list[KpiPeriod], now: datetime | None = None
) -> ComputeSummary:
    """Compute and store the snapshots of ``periods``; returns timings and counts.

    Invariants: afterwards each period has exactly one ``KpiResult`` per (active
    indicator, subject) and one ``ScorecardResult`` per staff member with a role
    scorecard; results without data have value None (not 0), except counts and
    hours, whose zero is a real figure. Periods of one kind share each source's
    query. Safe to run twice or concurrently (the period rows are locked while
    their snapshots are replaced, in one transaction).
    """
    now = now or timezone.now()
    periods = sorted({p.pk: p for p in periods}.values(), key=lambda p: p.start)
    summary = ComputeSummary(period=",".join(p.key for p in periods))
    indicators = {i.code: i for i in Indicator.objects.filter(is_active=True)}
    codes = set(indicators) & set(MEASURES)

    started = time.perf_counter()
    folded: dict[int, dict[str, list[dict]]] = {}
    rolled = _rolled_by_period(periods, codes, now, summary, folded)
    templates = _staff_templates()
    staff_rows, subjects = _subjects(rolled, templates)
    summary.queries_seconds = time.perf_counter() - started

    results: list[tuple] = []  # rows in RESULT_COLUMNS order
    scorecards: list[tuple] = []  # rows in SCORECARD_COLUMNS order
    dashboards: list[DashboardSnapshot] = []
    for period in periods:
        rows, staff_scores = _result_rows(
            period, rolled[period.pk], subjects, indicators, codes, now
        )
        results += rows
        scorecards += _scorecards(period, templates, staff_rows, staff_scores, now)
        dashboards += dashboard_snapshots(
            period, window_for(period, now), folded=folded.get(period.pk, {})
        )

    started = time.perf_counter()
    _replace_snapshots(periods, results, scorecards, now, dashboards)
    summary.write_seconds = time.perf_counter() - started
    summary.results = len(results)
    summary.scorecards = len(scorecards)
    return summary


def _rolled_by_period(
    periods: list[KpiPeriod],
    codes: set[str],
    now: datetime,
    summary: ComputeSummary,
    folded: dict[int, dict[str, list[dict]]],
) -> dict[int, dict]:
    """``{period_id: {subject type: {code: {subject id: Partial}}}}``: the grouped
    partials of every source, one pass per period kind, summed per subject (the
    dashboard's folded rows go to ``folded``)."""
    partials: dict[int, dict] = {}
    for kind in {p.kind for p in periods}:
        windows = {p.pk: window_for(p, now) for p in periods if p.kind == kind}
        partials.update(grouped_partials(windows, codes, summary, FOLDS, folded))
    return {pid: _rolled(parts) for pid, parts in partials.items()}


@dataclass(frozen=True, slots=True)
class _Subject:
    """A staff member, team or department that gets a result per indicator."""

    type: str
    id: int
    staff_id: int | None
    team_id: int | None
    department_id: int | None
    headcount: int | None  # for per-head measures; None for a staff member
    targets: dict[str, Decimal]  # the staff member's scorecard targets


def _subjects(rolled: dict[int, dict], templates: dict) -> tuple[dict, list[_Subject]]:
    """The staff rows (``{pk: {team_id, department_id}}``) and every subject of
    the snapshot: staff with a scorecard or data, active teams and departments
    and those with data."""
    seen_staff, seen_teams, seen_depts = set(templates), set(), set()
    for by_subject in rolled.values():
        seen_staff |= _keys(by_subject[SubjectType.STAFF])
        seen_teams |= _keys(by_subject[SubjectType.TEAM])
        seen_depts |= _keys(by_subject[SubjectType.DEPARTMENT])
    User = get_user_model()
    staff_rows = {
        row["pk"]: row
        for row in User.objects.filter(pk__in=seen_staff).values(
            "pk", "team_id", "department_id"
        )
    }
    teams = {
        row["pk"]: row
        for row in Team.objects.filter(Q(is_active=True) | Q(pk__in=seen_teams)).values(
            "pk", "department_id"
        )
    }
    departments = set(
        Department.objects.filter(Q(is_active=True) | Q(pk__in=seen_depts)).values_list(
            "pk", flat=True
        )
    )
    team_heads, dept_heads = _headcounts(templates, staff_rows)
    staff_targets = _staff_targets(templates, staff_rows)
    subjects = [
        _Subject(
            SubjectType.STAFF,
            uid,
            uid,
            row["team_id"],
            row["department_id"],
            None,
            staff_targets[uid],
        )
        for uid, row in staff_rows.items()
    ]
    subjects += [
        _Subject(
            SubjectType.TEAM, tid, None, tid, row["department_id"], team_heads[tid], {}
        )
        for tid, row in teams.items()
    ]
    subjects += [
        _Subject(SubjectType.DEPARTMENT, did, None, None, did, dept_heads[did], {})
        for did in departments
    ]
    return staff_rows, subjects


def _headcounts(templates: dict, staff_rows: dict) -> tuple[dict, dict]:
    """Headcount per team and department for per-head measures (training
    hours): the staff with a scorecard."""
    team_heads: dict[int, int] = defaultdict(int)
    dept_heads: dict[int, int] = defaultdict(int)
    for uid in templates:
        row = staff_rows.get(uid)
        if row and row["team_id"]:
            team_heads[row["team_id"]] += 1
        if row and row["department_id"]:
            dept_heads[row["department_id"]] += 1
    return team_heads, dept_heads


def _staff_targets(templates: dict, staff_rows: dict) -> dict[int, dict]:
    """``{user_id: {code: target}}`` from each staff member's scorecard."""
    requirements = _yearly_hours_by_role()
    staff_targets: dict[int, dict[str, Decimal]] = {}
    for uid in staff_rows:
        template = templates.get(uid)
        targets = (
            {
                line.indicator.code: line.effective_target
                for line in template.lines.all()
            }
            if template
            else {}
        )
        if template and template.role in requirements:
            # Training hours are measured against the role's yearly requirement.
            targets["training_hours_ytd"] = requirements[template.role]
        staff_targets[uid] = targets
    return staff_targets


def _result_rows(
    period: KpiPeriod,
    by_subject: dict,
    subjects: list[_Subject],
    indicators: dict,
    codes: set[str],
    now: datetime,
) -> tuple[list[tuple], dict[int, dict[str, Decimal | None]]]:
    """The ``KpiResult`` rows of ``period`` (RESULT_COLUMNS order) and each
    staff member's indicator scores (for their scorecard)."""
    rows: list[tuple] = []
    staff_scores: dict[int, dict[str, Decimal | None]] = defaultdict(dict)
    for subject in subjects:
        for code in codes:
            measure, indicator = MEASURES[code], indicators[code]
            part = by_subject[subject.type][code].get(subject.id)
            value, num, den, samples = _value(measure, part, subject.headcount)
            value = _q(value)
            target = subject.targets.get(code, indicator.default_target)
            score = attainment_score(value, target, indicator.direction)
            if subject.type == SubjectType.STAFF:
                staff_scores[subject.id][code] = score
            rows.append(
                (
                    period.pk,
                    indicator.pk,
                    subject.type,
                    subject.id,
                    subject.staff_id,
                    subject.team_id,
                    subject.department_id,
                    value,
                    _q(num),
                    _q(den),
                    samples,
                    target,
                    score,
                    now,
                )
            )
    return rows, staff_scores


def _replace_snapshots(
    periods: list[KpiPeriod],
    results: list[tuple],
    scorecards: list[tuple],
    now,
    dashboards: list[DashboardSnapshot],
) -> None:
    """Replace the periods' snapshots in one transaction, the period rows locked
    (in pk order) so that concurrent computations queue."""
    period_ids = [p.pk for p in periods]
    with transaction.atomic():
        list(
            KpiPeriod.objects.select_for_update()
            .filter(pk__in=period_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        KpiResult.objects.filter(period_id__in=period_ids).delete()
        ScorecardResult.objects.filter(period_id__in=period_ids).delete()
        DashboardSnapshot.objects.filter(period_id__in=period_ids).delete()
        insert_rows(KpiResult, RESULT_COLUMNS, results)
        insert_rows(ScorecardResult, SCORECARD_COLUMNS, scorecards)
        DashboardSnapshot.objects.bulk_create(dashboards, batch_size=500)
        KpiPeriod.objects.filter(pk__in=period_ids).update(computed_at=now)
    for period in periods:
        period.computed_at = now


RESULT_COLUMNS = (
    "period_id",
    "indicator_id",
    "subject_type",
    "subject_id",
    "staff_id",
    "team_id",
    "department_id",
    "value",
    "numerator",
    "denominator",
    "sample_size",
    "target",
    "score",
    "computed_at",
)


SCORECARD_COLUMNS = (
    "period_id",
    "staff_id",
    "team_id",
    "department_id",
    "template_id",
    "score",
    "weight_covered",
    "rank_in_team",
    "team_size",
    "computed_at",
)


def _yearly_hours_by_role() -> dict[str, Decimal]:
    """``{role: yearly hours}`` from training's requirements."""
    return yearly_hours_by_role()


def _keys(groups: dict[str, dict[int, Partial]]) -> set[int]:
    keys: set[int] = set()
    for by_subject in groups.values():
        keys.update(by_subject)
    return keys


def _scorecards(period, templates, staff_rows, staff_scores, now):
    scored: dict[int, tuple] = {}
    for uid, template in templates.items():
        row = staff_rows.get(uid)
        if row is None:
            continue
        lines = [
            (line.weight, staff_scores[uid].get(line.indicator.code))
            for line in template.lines.all()
        ]
        score, covered = weighted_score(lines)
        scored[uid] = (template, row, score, covered)
    by_team: dict[int, dict[int, Decimal | None]] = defaultdict(dict)
    for uid, (_t, row, score, _c) in scored.items():
        if row["team_id"]:
            by_team[row["team_id"]][uid] = score
    ranks: dict[int, int] = {}
    sizes: dict[int, int] = {}
    for members in by_team.values():
        team_ranks = competition_ranks(members)
        ranks.update(team_ranks)
        for uid in members:
            sizes[uid] = len(team_ranks)
    return [
        (
            period.pk,
            uid,
            row["team_id"],
            row["department_id"],
            template.pk,
            score,
            covered,
            ranks.get(uid),
            sizes.get(uid, 0),
            now,
        )
        for uid, (template, row, score, covered) in scored.items()
    ]


def kpi_compute_recent_months(
    *, actor=None, today: date | None = None, months: int = 2
) -> list[str]:
    """The nightly job: the current month and the ``months - 1`` before it, then
    the quarters and years those months belong to (the current quarter and year,
    and the previous ones while a late change of last month still counts in
    them), computed together in one pass per source.

    Returns the period keys, months newest first, then quarters, then years."""
    today = today or timezone.localdate()
    days = []
    day = today.replace(day=1)
    for _ in range(months):
        days.append(day)
        day = (day - timedelta(days=1)).replace(day=1)
    periods = []
    for kind in (KpiPeriod.Kind.MONTH, KpiPeriod.Kind.QUARTER, KpiPeriod.Kind.YEAR):
        for day in days:
            period = period_for(kind, day)
            if period not in periods:
                periods.append(period)
    kpi_compute_periods(actor=actor, periods=periods)
    return [p.key for p in periods]
