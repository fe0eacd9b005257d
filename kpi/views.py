"""Manager pages: dashboard, staff card, drill-down, recompute, export.

Views are thin: they pick the period and scope from the request, call selectors
(which start from ``crm.scoping``) or the compute service, and render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from config.db_router import replica_reads
from kpi import charts, exports, reports, selectors
from kpi.models import KpiPeriod, SubjectType
from kpi.periods import FIRST_YEAR, LAST_YEAR, parse_key, period_for
from kpi.services.compute import kpi_compute_period


def _period(request, *, required: bool = True) -> KpiPeriod | None:
    key = request.GET.get("period") or request.POST.get("period")
    if key:
        period = selectors.period_by_key(key)
        if period is None and required:
            raise Http404
        return period
    return selectors.latest_computed_period()


@login_required
@replica_reads
def dashboard(request):
    user = request.user
    if not selectors.may_use_dashboard(user):
        return redirect("kpi:staff", pk=user.pk)
    scopes = selectors.dashboard_scopes(user)
    if not scopes:
        raise PermissionDenied
    wanted = request.GET.get("scope")
    scope = next((s for s in scopes if s.key == wanted), scopes[0])
    period = _period(request)
    context = {
        "scopes": scopes,
        "scope": scope,
        "period": period,
        "periods": selectors.computed_periods(),
        "may_recompute": selectors.may_recompute(user),
        "today_key": timezone.localdate().strftime("%Y-%m"),
    }
    if period is not None:
        indicators = selectors.indicators()
        trends, _keys = selectors.trend(
            user, scope.subject_type, scope.subject_id, period.start
        )
        scope_results = selectors.subject_results(
            user, period, scope.subject_type, scope.subject_id
        )
        figures = selectors.dashboard_figures(period, scope)
        context.update(
            indicators=indicators,
            scope_results=[(i, scope_results.get(i.code)) for i in indicators],
            # A rank only beside figures: not for a row of "—".
            table=[
                (card, cells, any(r.value is not None for r in cells.values()))
                for card, cells in selectors.scorecard_table(user, period, scope)
            ],
            trend_charts=[
                (
                    i,
                    charts.line_chart(
                        trends.get(i.code, []),
                        target=i.default_target,
                        title=i.name,
                    ),
                )
                for i in indicators
                if i.code in trends
            ],
            category_chart=charts.bar_chart(figures.categories, title=_("Categories")),
            channel_chart=charts.bar_chart(figures.channels, title=_("Channels")),
            has_mix=bool(figures.categories),
            breaches_chart=charts.bar_chart(
                figures.breaches_by_kind, title=_("SLA breaches")
            ),
            breaches=figures.breaches,
            pareto=figures.pareto,
            heatmap=figures.heatmap,
            qa_items=figures.qa_items,
            breach_total=figures.breach_total,
        )
    return render(request, "kpi/dashboard.html", context)


@login_required
@replica_reads
def staff_card(request, pk: int):
    user = request.user
    staff = selectors.staff_member(user, pk)
    period = _period(request)
    context = {
        "staff": staff,
        "period": period,
        "periods": selectors.computed_periods(),
        "may_dashboard": selectors.may_use_dashboard(user),
    }
    if period is not None:
        indicators = selectors.indicators()
        results = selectors.subject_results(user, period, SubjectType.STAFF, pk)
        trends, _keys = selectors.trend(user, SubjectType.STAFF, pk, period.start)
        card = selectors.staff_scorecard(user=user, period=period, staff_id=pk)
        context.update(
            card=card,
            rows=[
                (
                    i,
                    results.get(i.code),
                    charts.line_chart(
                        trends.get(i.code, []),
                        target=(results[i.code].target if i.code in results else None),
                        title=i.name,
                        width=220,
                        height=80,
                    ),
                )
                for i in indicators
            ],
        )
    return render(request, "kpi/staff.html", context)


COLUMNS = {
    "complaints.Complaint": [
        ("reference", gettext_lazy("reference")),
        ("received_at", gettext_lazy("received at")),
        ("status", gettext_lazy("status")),
        ("assignee", gettext_lazy("assignee")),
        ("first_response_minutes", gettext_lazy("first response (business min)")),
        ("resolution_minutes", gettext_lazy("resolution (business min)")),
        ("reopened_count", gettext_lazy("reopened")),
    ],
    "complaints.SlaTarget": [
        ("complaint.reference", gettext_lazy("complaint")),
        ("kind", gettext_lazy("target")),
        ("due_at", gettext_lazy("due at")),
        ("met_at", gettext_lazy("met at")),
    ],
    "complaints.SatisfactionSurvey": [
        ("complaint.reference", gettext_lazy("complaint")),
        ("answered_at", gettext_lazy("answered at")),
        ("csat", gettext_lazy("CSAT")),
        ("nps", gettext_lazy("NPS")),
    ],
    "crm.Revisit": [
        ("customer", gettext_lazy("customer")),
        ("due_at", gettext_lazy("due at")),
        ("done_at", gettext_lazy("done at")),
        ("status", gettext_lazy("status")),
        ("assignee", gettext_lazy("assignee")),
    ],
    "kpi.QualityInspection": [
        ("inspected_at", gettext_lazy("inspected at")),
        ("staff", gettext_lazy("staff member")),
        ("complaint.reference", gettext_lazy("complaint")),
        ("interaction", gettext_lazy("interaction")),
        ("total", gettext_lazy("total score")),
    ],
    "kpi.InspectionScore": [
        ("inspection.inspected_at", gettext_lazy("inspected at")),
        ("inspection.staff", gettext_lazy("staff member")),
        ("item", gettext_lazy("checklist item")),
        ("score", gettext_lazy("score")),
        ("passed", gettext_lazy("passed")),
    ],
    "training.Enrollment": [
        ("session", gettext_lazy("session")),
        ("staff", gettext_lazy("staff member")),
        ("attended_hours", gettext_lazy("hours")),
    ],
    "training.Assessment": [
        ("staff", gettext_lazy("staff member")),
        ("kind", gettext_lazy("kind")),
        ("score", gettext_lazy("score")),
        ("passed", gettext_lazy("passed")),
    ],
    "aftersales.Appointment": [
        ("order.reference", gettext_lazy("service order")),
        ("slot", gettext_lazy("booked slot")),
        ("order.checked_in_at", gettext_lazy("checked in at")),
        ("slot.technician", gettext_lazy("technician")),
        ("status", gettext_lazy("status")),
    ],
    "aftersales.ServiceOrder": [
        ("reference", gettext_lazy("reference")),
        ("kind", gettext_lazy("service kind")),
        ("product_name", gettext_lazy("product")),
        ("status", gettext_lazy("status")),
        ("technician", gettext_lazy("technician")),
        ("created_at", gettext_lazy("requested at")),
        ("completed_at", gettext_lazy("completed at")),
        ("turnaround_minutes", gettext_lazy("turnaround (min)")),
        ("total_cost", gettext_lazy("cost")),
        ("first_time_fix", gettext_lazy("first-time fix")),
    ],
}


# What each drill-down table shows needs from related rows (no query per row).
SELECT_RELATED = {
    "complaints.Complaint": ("assignee",),
    "complaints.SlaTarget": ("complaint",),
    "complaints.SatisfactionSurvey": ("complaint",),
    "crm.Revisit": ("customer", "assignee"),
    "kpi.QualityInspection": ("complaint", "interaction", "staff"),
    "kpi.InspectionScore": ("item", "inspection__staff"),
    "training.Enrollment": ("session__course", "staff"),
    "training.Assessment": ("staff",),
    "aftersales.Appointment": ("order", "slot__technician__user"),
    "aftersales.ServiceOrder": ("technician__user",),
}


def _cell(obj, path: str):
    value = obj
    for name in path.split("."):
        display = getattr(value, f"get_{name}_display", None)
        value = display() if callable(display) else getattr(value, name, None)
        if value is None:
            return ""
    return value


def _admin_link(obj) -> str:
    # The record people open: itself when it has a reference, else its
    # complaint or (an appointment) its service order.
    if hasattr(obj, "reference"):
        target = obj
    else:
        target = getattr(obj, "complaint", None) or getattr(obj, "order", None) or obj
    meta = target._meta
    try:
        return reverse(
            f"admin:{meta.app_label}_{meta.model_name}_change", args=[target.pk]
        )
    except NoReverseMatch:
        return ""


@login_required
@replica_reads
def drill_down(request, code: str):
    period = _period(request)
    if period is None:
        raise Http404
    part = "numerator" if request.GET.get("part") == "numerator" else "denominator"
    result, measure, records = selectors.drill_records(
        request.user,
        code=code,
        period=period,
        subject=request.GET.get("subject", ""),
        part=part,
        item=request.GET.get("item", ""),
    )
    columns = COLUMNS.get(measure.source.label, [])
    related = SELECT_RELATED.get(measure.source.label, ())
    records = records.select_related(*related).order_by("-pk")
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    breakdown = selectors.drill_breakdown(measure, result)
    return render(
        request,
        "kpi/drill.html",
        {
            "period": period,
            "result": result,
            "indicator": result.indicator,
            "part": part,
            "page": page,
            "headers": [label for _p, label in columns],
            "breakdown": breakdown,
            "item": request.GET.get("item", ""),
            # what the rows were narrowed to, named by their own record
            "item_label": getattr(page.object_list[0], "item", "")
            if request.GET.get("item") and page.object_list
            else "",
            "rows": [
                (_admin_link(obj), [_cell(obj, p) for p, _l in columns])
                for obj in page.object_list
            ],
        },
    )


@login_required
@require_POST
def recompute(request):
    user = request.user
    if not selectors.may_recompute(user):
        raise PermissionDenied
    parsed = parse_key(request.POST.get("period", ""))
    if parsed is None:
        # A typed period key: say what is accepted instead of a 404 (or, for
        # 9999-12, a crash in the date arithmetic).
        messages.error(
            request,
            _(
                "Enter a period such as 2026-11, 2026-Q4 or 2026, "
                "between %(first)s and %(last)s."
            )
            % {"first": FIRST_YEAR, "last": LAST_YEAR},
        )
        return redirect("kpi:dashboard")
    period = period_for(*parsed)
    summary = kpi_compute_period(actor=user, period=period)
    messages.success(
        request,
        _("Period %(period)s recomputed: %(results)s results.")
        % {"period": period.key, "results": summary.results},
    )
    url = reverse("kpi:dashboard") + f"?period={period.key}"
    if request.POST.get("scope"):
        url += f"&scope={request.POST['scope']}"
    return redirect(url)


@login_required
@replica_reads
def export(request):
    period = _period(request)
    if period is None:
        raise Http404
    results = selectors.export_rows(request.user, period)
    if request.GET.get("format") == "xlsx":
        body = exports.as_xlsx(results, period.key)
        content_type = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        name = f"kpi-{period.key}.xlsx"
    else:
        body = exports.as_csv(results, period.key)
        content_type = "text/csv; charset=utf-8"
        name = f"kpi-{period.key}.csv"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@replica_reads
def report(request):
    """The reporting pack (XLSX) of one dashboard scope and period: the
    department or team given by ``?scope=`` (the first one of the reader's when
    absent); a scope that is not the reader's is 404, staff without a dashboard 403."""
    user = request.user
    scopes = selectors.dashboard_scopes(user)
    if not scopes:
        raise PermissionDenied
    wanted = request.GET.get("scope")
    scope = next((s for s in scopes if s.key == wanted), None) if wanted else scopes[0]
    period = _period(request)
    if scope is None or period is None or period.computed_at is None:
        raise Http404
    response = HttpResponse(
        reports.report_pack(user, period, scope),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{reports.filename(period, scope)}"'
    )
    return response


@login_required
@replica_reads
def audit_report(request, pk: int):
    """An audit's report (HTML, or ``?format=xlsx``): checklist with each item's
    result, findings with their corrective actions; 404 outside the reader's
    scope."""
    audit = selectors.audit_for_report(request.user, pk)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            reports.audit_workbook(audit),
            content_type=(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ),
        )
        response["Content-Disposition"] = (
            f'attachment; filename="audit-{audit.pk}-{audit.period_key}.xlsx"'
        )
        return response
    by_item: dict[str, list] = {item: [] for item in audit.checklist_items()}
    for finding in audit.finding_rows:
        by_item.setdefault(finding.item, []).append(finding)
    return render(
        request,
        "kpi/audit_report.html",
        {"audit": audit, "checklist": list(by_item.items())},
    )
