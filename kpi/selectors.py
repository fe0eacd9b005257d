"""Reads for the KPI pages, export, admin, API and tasks. Every read of a user
starts from ``crm.scoping`` (complaints through ``complaints.selectors``); a
selector without a ``user`` reads configuration (periods, indicators) or is a
system read.

Each selector issues a fixed number of queries whatever the number of staff,
teams or complaints (the dashboard's query-count test pins it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from aftersales import selectors as aftersales_selectors
from complaints import selectors as complaint_selectors
from complaints.models import Complaint, SlaTarget
from crm import scoping
from crm.models import Department, Team
from crm.roles import Role
from kpi.measures import (
    MEASURES,
    RETURN_KINDS,
    Measure,
    Window,
    checklist_item_key,
    targets_due,
)
from kpi.models import (
    AuditFinding,
    AuditPlan,
    DashboardSnapshot,
    Indicator,
    InspectionSample,
    InspectionScore,
    KpiPeriod,
    KpiResult,
    QualityInspection,
    SamplingPlan,
    ScorecardResult,
    ServiceAudit,
    SubjectType,
)
from kpi.periods import aware_range, last_months
from kpi.services.compute import window_for

DASHBOARD_ROLES = (Role.ADMIN, Role.MANAGER, Role.SUPERVISOR)


@dataclass(frozen=True)
class Scope:
    """The subject a dashboard shows: a department or a team."""

    subject_type: str
    subject_id: int
    label: str

    @property
    def key(self) -> str:
        return f"{self.subject_type}:{self.subject_id}"

    def result_filter(self) -> Q:
        """Staff results inside the scope."""
        if self.subject_type == SubjectType.TEAM:
            return Q(team_id=self.subject_id)
        return Q(department_id=self.subject_id)


def may_use_dashboard(user) -> bool:
    return scoping.sees_everything(user) or scoping.has_role(
        user, Role.MANAGER, Role.SUPERVISOR
    )


def may_recompute(user) -> bool:
    """Managers (and admins) recompute a period from the page."""
    return scoping.sees_everything(user) or (
        scoping.has_role(user, Role.MANAGER) and user.has_perm("kpi.change_kpiperiod")
    )


def dashboard_scopes(user) -> list[Scope]:
    """Departments and teams whose dashboard ``user`` may open (2 queries)."""
    if not may_use_dashboard(user):
        return []
    everything = scoping.sees_everything(user)
    is_manager = scoping.has_role(user, Role.MANAGER)
    departments = Department.objects.order_by("code")
    teams = Team.objects.order_by("code")
    if not everything:
        if is_manager and user.department_id:
            departments = departments.filter(pk=user.department_id)
            teams = teams.filter(department_id=user.department_id)
        else:
            departments = departments.none()
            supervised = Q(supervisor_id=user.pk)
            if user.team_id:
                supervised |= Q(pk=user.team_id)
            teams = teams.filter(supervised)
    scopes = [Scope(SubjectType.DEPARTMENT, d.pk, d.name) for d in departments]
    scopes += [Scope(SubjectType.TEAM, t.pk, t.name) for t in teams]
    return scopes


def period_by_key(key: str) -> KpiPeriod | None:
    """The period ``2026-11`` / ``2026-Q4`` / ``2026``, if it exists."""
    return KpiPeriod.objects.filter(key=key).first()


def period_get(*, pk: int) -> KpiPeriod | None:
    """System read (a task re-reading its period by id): None when gone."""
    return KpiPeriod.objects.filter(pk=pk).first()


def latest_computed_period() -> KpiPeriod | None:
    """The latest computed *complete* month (the running one only when no other
    is computed): what the pages show without ``?period=``. A month two days
    old says little (resolution rate 5 %, every trend dropping at its end)."""
    months = KpiPeriod.objects.filter(
        kind=KpiPeriod.Kind.MONTH, computed_at__isnull=False
    ).order_by("-start")
    complete = months.filter(end__lte=timezone.localdate()).first()
    return complete or months.first()


def result_list(*, user) -> QuerySet[KpiResult]:
    """KPI snapshot rows ``user`` may see (managers their department,
    supervisors their team, everyone else their own): the API and the admin."""
    return scoping.visible_to(user, KpiResult.objects.all()).select_related(
        "period", "indicator", "staff", "team", "department"
    )


def scorecard_result_list(*, user) -> QuerySet[ScorecardResult]:
    """Scorecards ``user`` may see (same reach as ``result_list``)."""
    return scoping.visible_to(user, ScorecardResult.objects.all()).select_related(
        "period", "staff", "team", "template"
    )


def staff_scorecard(*, user, period, staff_id: int) -> ScorecardResult | None:
    """The scorecard of one staff member in ``period``, if ``user`` may see it."""
    return (
        scoping.visible_to(user, ScorecardResult.objects.all())
        .filter(period=period, staff_id=staff_id)
        .select_related("template")
        .first()
    )


def quality_inspection_list(*, user) -> QuerySet[QualityInspection]:
    """Quality inspections ``user`` may see: of their own work, their team's or
    department's; inspectors their department's and their own."""
    return scoping.visible_to(user, QualityInspection.objects.all()).select_related(
        "staff", "inspector", "complaint", "interaction"
    )


def inspection_score_list(*, user) -> QuerySet[InspectionScore]:
    return scoping.visible_to(user, InspectionScore.objects.all()).select_related(
        "item"
    )


def sampling_plan_list(*, user) -> QuerySet[SamplingPlan]:
    return scoping.visible_to(user, SamplingPlan.objects.all()).select_related(
        "team", "checklist"
    )


def inspection_sample_list(*, user) -> QuerySet[InspectionSample]:
    """Samples drawn into the queues ``user`` may see (an inspector: their own
    and their department's; a supervisor: their team's)."""
    return scoping.visible_to(user, InspectionSample.objects.all()).select_related(
        "plan", "complaint", "staff", "inspector", "inspection"
    )


def qa_inspectors(user):
    """Active QA inspectors ``user`` may see (a sampling plan's inspectors)."""
    User = get_user_model()
    return scoping.visible_to(
        user,
        User.objects.filter(is_active=True, groups__name=Role.QA_INSPECTOR),
    ).order_by("username")


def audit_plan_list(*, user) -> QuerySet[AuditPlan]:
    return scoping.visible_to(user, AuditPlan.objects.all()).select_related(
        "department", "team", "auditor"
    )


def audit_list(*, user) -> QuerySet[ServiceAudit]:
    return scoping.visible_to(user, ServiceAudit.objects.all()).select_related(
        "plan", "department", "team", "auditor"
    )


def audit_finding_list(*, user) -> QuerySet[AuditFinding]:
    return scoping.visible_to(user, AuditFinding.objects.all()).select_related(
        "capa", "recorded_by"
    )


def colleagues(user):
    """Active staff ``user`` may see (the owner choices of an audit's CAPA)."""
    User = get_user_model()
    return scoping.visible_to(user, User.objects.filter(is_active=True)).order_by(
        "username"
    )


def audit_for_report(user, pk: int) -> ServiceAudit:
    """The audit ``user`` may read, with its findings (2 queries), else 404."""
    audit = audit_list(user=user).filter(pk=pk).first()
    if audit is None:
        raise Http404
    audit.finding_rows = list(
        AuditFinding.objects.filter(audit=audit)
        .select_related("capa", "capa__owner", "recorded_by")
        .order_by("created_at", "pk")
    )
    return audit


def computed_periods(kind: str = KpiPeriod.Kind.MONTH, limit: int = 24):
    return list(
        KpiPeriod.objects.filter(kind=kind, computed_at__isnull=False).order_by(
            "-start"
        )[:limit]
    )


def indicators() -> list[Indicator]:
    return list(Indicator.objects.filter(is_active=True).order_by("sort_order"))


def subject_results(user, period, subject_type, subject_id) -> dict[str, KpiResult]:
    rows = scoping.visible_to(user, KpiResult.objects.all()).filter(
        period=period, subject_type=subject_type, subject_id=subject_id
    )
    return {r.indicator.code: r for r in rows.select_related("indicator")}


def scorecard_table(user, period, scope: Scope):
    """``[(scorecard, {code: KpiResult})]`` for the staff of ``scope`` (2 queries)."""
    cards = (
        scoping.visible_to(user, ScorecardResult.objects.all())
        .filter(scope.result_filter(), period=period)
        .select_related("staff", "team", "template")
        .order_by("team__code", F("rank_in_team").asc(nulls_last=True), "staff_id")
    )
    cards = list(cards)
    results = (
        scoping.visible_to(user, KpiResult.objects.all())
        .filter(
            scope.result_filter(),
            period=period,
            subject_type=SubjectType.STAFF,
            staff_id__in=[c.staff_id for c in cards],
        )
        .select_related("indicator")
    )
    by_staff: dict[int, dict[str, KpiResult]] = defaultdict(dict)
    for result in results:
        by_staff[result.staff_id][result.indicator.code] = result
    return [(card, by_staff.get(card.staff_id, {})) for card in cards]


def trend(user, subject_type, subject_id, end_day, months: int = 12):
    """``({code: [(month key, value)]}, [month keys])`` over the last months."""
    keys = [key for key, _s, _e in last_months(end_day, months)]
    rows = (
        scoping.visible_to(user, KpiResult.objects.all())
        .filter(
            subject_type=subject_type,
            subject_id=subject_id,
            period__kind=KpiPeriod.Kind.MONTH,
            period__key__in=keys,
        )
        .values_list("indicator__code", "period__key", "value")
    )
    values: dict[str, dict[str, object]] = defaultdict(dict)
    for code, key, value in rows:
        values[code][key] = value
    return {
        code: [(key, by_key.get(key)) for key in keys]
        for code, by_key in values.items()
    }, keys


def _complaints_of_scope(user, scope: Scope):
    """The complaints of the dashboard's subject that ``user`` may see
    (archived ones included: archiving changes no figure)."""
    qs = complaint_selectors.complaint_list(user=user)
    if scope.subject_type == SubjectType.TEAM:
        return qs.filter(team_id=scope.subject_id)
    return qs.filter(department_id=scope.subject_id)


def complaint_mix(user, scope: Scope, window: Window):
    """Category and channel counts of the complaints received, rejected ones
    left out like in every complaint figure (2 queries)."""
    qs = complaint_selectors.complaints_received_between(
        start=window.start, end=window.end, complaints=_complaints_of_scope(user, scope)
    )
    categories = [
        (row["category__name"] or "—", row["n"])
        for row in qs.order_by()
        .values("category__name")
        .annotate(n=Count("pk"))
        .order_by("-n")
    ]
    channel_labels = dict(Complaint.Channel.choices)
    channels = [
        (str(channel_labels.get(row["channel"], row["channel"])), row["n"])
        for row in qs.order_by()
        .values("channel")
        .annotate(n=Count("pk"))
        .order_by("-n")
    ]
    return categories, channels


def sla_breaches(user, scope: Scope, window: Window, limit: int = 20):
    """SLA targets that fell due in the period and were missed (2 queries)."""
    visible = _complaints_of_scope(user, scope)
    # The same rows as sla_compliance_rate's denominator (cancelled and paused
    # clocks excluded), minus those met on time.
    missed = targets_due(complaint_selectors.sla_targets(visible), window).filter(
        Q(met_at__isnull=True) | Q(met_at__gt=F("due_at"))
    )
    kind_labels = dict(SlaTarget._meta.get_field("kind").flatchoices)
    by_kind = [
        (str(kind_labels.get(row["kind"], row["kind"])), row["n"])
        for row in missed.order_by()
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by("-n")
    ]
    latest = list(
        missed.select_related("complaint", "complaint__assignee").order_by("-due_at")[
            :limit
        ]
    )
    return by_kind, latest


@dataclass(frozen=True)
class DashboardFigures:
    """The dashboard's complaint mix and SLA breaches of one scope and period,
    labels translated (from ``DashboardSnapshot``)."""

    categories: list[tuple[str, int]]
    channels: list[tuple[str, int]]
    breaches_by_kind: list[tuple[str, int]]
    breach_total: int
    breaches: list[dict]
    # chart data (kpi/static/kpi/dashboard_charts.js): each point links to the
    # complaints behind it in the admin list
    pareto: list[dict] = field(default_factory=list)
    heatmap: dict = field(default_factory=dict)
    # qa_item_pass_rate by checklist item, each row linking to its item scores
    qa_items: list[dict] = field(default_factory=list)


def _complaints_link(period: KpiPeriod, scope: Scope):
    """A function giving the admin complaint list of the scope's complaints
    received in ``period`` (any status but rejected, like the figures),
    narrowed by ``params``."""
    start, end = aware_range(period)
    common = {
        "status__exact": "counted",
        "archived": "all",  # the period's archived complaints are in its figures
        "received_at__gte": str(start),
        "received_at__lt": str(end),
        scope.subject_type: scope.subject_id,
    }
    base = reverse("admin:complaints_complaint_changelist")
    return lambda params: f"{base}?{urlencode({**common, **params})}"


def dashboard_figures(period: KpiPeriod, scope: Scope) -> DashboardFigures:
    """What the snapshot of ``period`` holds for ``scope`` (1 query); empty
    figures for a scope created after the computation. The caller has checked
    that ``scope`` is one of the reader's (``dashboard_scopes``)."""
    row = DashboardSnapshot.objects.filter(
        period=period, subject_type=scope.subject_type, subject_id=scope.subject_id
    ).first()
    if row is None:
        return DashboardFigures([], [], [], 0, [])
    channel_labels = dict(Complaint.Channel.choices)
    kind_labels = dict(SlaTarget._meta.get_field("kind").flatchoices)
    cause_labels = dict(Complaint.CauseType.choices)
    complaints_url = _complaints_link(period, scope)
    total = sum(n for _c, n in row.cause_types)
    pareto, running = [], 0
    for cause, n in row.cause_types:
        running += n
        pareto.append(
            {
                "label": str(cause_labels.get(cause, cause)),
                "count": n,
                "cumulative": round(100 * running / total, 1),
                "url": complaints_url({"cause_type": cause}),
            }
        )
    category_names = {code: name for code, name, _ch, _n in row.category_channel}
    codes = sorted(category_names)
    channels_seen = sorted({ch for _c, _n, ch, _x in row.category_channel})
    heatmap = {
        "categories": [category_names[c] for c in codes],
        "channels": [str(channel_labels.get(ch, ch)) for ch in channels_seen],
        "cells": [
            {
                "x": channels_seen.index(channel),
                "y": codes.index(code),
                "count": n,
                "url": complaints_url(
                    {"channel__exact": channel, **({"category": code} if code else {})}
                ),
            }
            for code, _name, channel, n in row.category_channel
        ],
    }
    drill = reverse("kpi:drill", args=["qa_item_pass_rate"])
    qa_items = [
        {
            "checklist": checklist_name,
            "label": label,
            "checks": checks,
            "passed": passed,
            "rate": round(Decimal(100 * passed) / checks, 1) if checks else None,
            "url": f"{drill}?"
            + urlencode(
                {
                    "period": period.key,
                    "subject": scope.key,
                    "part": "denominator",
                    "item": checklist_item_key(checklist, item),
                }
            ),
        }
        for checklist, item, checklist_name, label, checks, passed in row.qa_items
    ]
    return DashboardFigures(
        pareto=pareto,
        heatmap=heatmap,
        qa_items=qa_items,
        categories=[(label, n) for label, n in row.categories],
        channels=[(str(channel_labels.get(c, c)), n) for c, n in row.channels],
        breaches_by_kind=[
            (str(kind_labels.get(k, k)), n) for k, n in row.breaches_by_kind
        ],
        breach_total=row.breach_total,
        breaches=[
            {
                **b,
                "kind_label": str(kind_labels.get(b["kind"], b["kind"])),
                "due_at": datetime.fromisoformat(b["due_at"]),
                "met_at": datetime.fromisoformat(b["met_at"]) if b["met_at"] else None,
            }
            for b in row.latest_breaches
        ],
    )


def staff_member(user, staff_id: int):
    """The staff member whose card ``user`` may open, else 404."""
    User = get_user_model()
    if user.pk == staff_id:
        return user
    if not (
        scoping.visible_to(user, KpiResult.objects.all())
        .filter(staff_id=staff_id)
        .exists()
    ):
        raise Http404
    return User.objects.select_related("team", "department").get(pk=staff_id)


# --- drill-down ---------------------------------------------------------------


def drill_records(
    user, *, code: str, period: KpiPeriod, subject: str, part: str, item: str = ""
):
    """The records behind one figure: ``(result, queryset)``.

    The result row must be visible to ``user`` (that is the authorisation); the
    records are the measure's source rows for the period, narrowed to the
    subject and to the sample (denominator) or the numerator — the same filters
    the computation used, at the same moment (``period.computed_at``) — and,
    for a measure that has groups (``Measure.narrow``), to the group ``item``.
    """
    measure = MEASURES.get(code)
    if measure is None:
        raise Http404
    try:
        subject_type, raw_id = subject.split(":", 1)
        subject_id = int(raw_id)
    except ValueError:
        raise Http404 from None
    if subject_type not in SubjectType.values:
        raise Http404
    result = (
        scoping.visible_to(user, KpiResult.objects.all())
        .filter(
            period=period,
            indicator__code=code,
            subject_type=subject_type,
            subject_id=subject_id,
        )
        .select_related("indicator", "staff", "team", "department", "period")
        .first()
    )
    if result is None:
        raise (
            PermissionDenied
            if _exists(period, code, subject_type, subject_id)
            else Http404
        )
    records = subject_records(measure, result, part=part)
    if item:
        if measure.narrow is None:
            raise Http404
        try:
            records = records.filter(measure.narrow(item))
        except ValueError:
            raise Http404 from None
    return result, measure, records


def subject_records(measure: Measure, result: KpiResult, *, part: str) -> QuerySet:
    """The source rows of ``result`` (already authorised): its period, its
    subject, the sample or the numerator — the computation's filters at the
    moment it ran (``period.computed_at``)."""
    period = result.period
    window = window_for(period, period.computed_at or timezone.now())
    path = {
        SubjectType.STAFF: measure.source.staff,
        SubjectType.TEAM: measure.source.team,
        SubjectType.DEPARTMENT: measure.source.department,
    }[result.subject_type]
    condition = (
        measure.numerator_q(window) if part == "numerator" else measure.sample_q(window)
    )
    return (
        measure.source.queryset(window)
        .filter(condition)
        .filter(**{path: result.subject_id})
    )


@dataclass(frozen=True)
class BreakdownRow:
    """One group of a figure's sample (e.g. a product): its own rate."""

    category: str
    label: str
    numerator: int
    denominator: int

    @property
    def rate(self):
        return 100 * Decimal(self.numerator) / self.denominator


def drill_breakdown(measure: Measure, result: KpiResult) -> list[BreakdownRow]:
    """The sample of ``result`` grouped as ``measure.breakdown`` says, each
    group with its numerator and denominator (one grouped query); [] for a
    measure without a breakdown. The groups add up to the result."""
    if measure.breakdown != "product":
        return []
    sample = subject_records(measure, result, part="denominator")
    return [
        BreakdownRow(
            category=row["product_category"],
            label=row["product_name"],
            numerator=row["matched"],
            denominator=row["total"],
        )
        for row in aftersales_selectors.requests_by_product(sample, kinds=RETURN_KINDS)
    ]


def _exists(period, code, subject_type, subject_id) -> bool:
    return KpiResult.objects.filter(
        period=period,
        indicator__code=code,
        subject_type=subject_type,
        subject_id=subject_id,
    ).exists()


def export_rows(user, period) -> QuerySet:
    """Every result of ``period`` that ``user`` may see, ready for CSV/XLSX."""
    return (
        scoping.visible_to(user, KpiResult.objects.all())
        .filter(period=period)
        .select_related("indicator", "staff", "team", "department")
        .order_by(
            "subject_type",
            "department_id",
            "team_id",
            "staff_id",
            "indicator__sort_order",
        )
    )


def period_before(period: KpiPeriod) -> KpiPeriod | None:
    """The computed period of the same kind that ends where ``period`` starts."""
    return KpiPeriod.objects.filter(
        kind=period.kind, end=period.start, computed_at__isnull=False
    ).first()


def report_recipients():
    """Active managers with a department: who gets the monthly reporting pack
    (a system read for the beat job)."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True, groups__name=Role.MANAGER, department__isnull=False
        )
        .select_related("department")
        .order_by("pk")
        .distinct()
    )


def as_of(period: KpiPeriod) -> datetime:
    return period.computed_at or timezone.now()


def inspection_queue(*, user, since_days: int = 30) -> QuerySet:
    """The QA inspector's home list (20): first the complaints a sampling plan
    drew into ``user``'s queue and not inspected yet (``sampled``), then the
    complaints ``user`` may see resolved or closed in the last ``since_days``
    days without an inspection, the latest first."""
    since = timezone.now() - timedelta(days=since_days)
    drawn = InspectionSample.objects.filter(
        complaint=OuterRef("pk"), inspector=user, inspection__isnull=True
    )
    inspected = QualityInspection.objects.filter(complaint=OuterRef("pk"))
    return (
        complaint_selectors.complaint_list(user=user)
        .annotate(sampled=Exists(drawn))
        .filter(
            Q(sampled=True)
            | Q(
                status__in=(Complaint.Status.RESOLVED, Complaint.Status.CLOSED),
                resolved_at__gte=since,
            )
            & ~Exists(inspected)
        )
        .order_by("-sampled", "-resolved_at")[:20]
    )
