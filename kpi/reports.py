"""The manager's monthly reporting pack: one XLSX workbook of a scope's period.

Sheets: the indicators (value, numerator/denominator, target, the period before
and the change), the staff scorecards, the category and channel mix, and the SLA
breaches. Built from the same scoped selectors as the dashboard, so the pack says
exactly what the page says; text cells go through ``exports._text`` (no formula
injection). Downloaded from the dashboard (``/kpi/report/``) and announced to
each manager once per month by ``kpi.send_monthly_reports``.
"""

from __future__ import annotations

import io
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from kpi import selectors
from kpi.exports import _number, _text
from kpi.models import KpiPeriod
from kpi.selectors import Scope
from kpi.services.compute import window_for


def previous_period(period: KpiPeriod) -> KpiPeriod | None:
    """The computed period of the same kind just before ``period`` (or None)."""
    return selectors.period_before(period)


def _change(value, before):
    if value is None or before is None:
        return None
    return float(value) - float(before)


def overview_rows(user, period: KpiPeriod, scope: Scope):
    """``[(indicator, result or None, result of the period before or None)]``."""
    indicators = selectors.indicators()
    now = selectors.subject_results(user, period, scope.subject_type, scope.subject_id)
    before_period = previous_period(period)
    before = (
        selectors.subject_results(
            user, before_period, scope.subject_type, scope.subject_id
        )
        if before_period is not None
        else {}
    )
    return [(i, now.get(i.code), before.get(i.code)) for i in indicators], before_period


def report_pack(user, period: KpiPeriod, scope: Scope) -> bytes:
    """The workbook (bytes) of ``scope`` for ``period`` as ``user`` may see it."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    overview, before_period = overview_rows(user, period, scope)
    before_key = before_period.key if before_period else "—"

    sheet = workbook.create_sheet(title=_("Indicators"))
    sheet.append([_text(f"{scope.label} · {period.key}")])
    sheet.append(
        [
            _text(h)
            for h in (
                _("Indicator"),
                _("Unit"),
                _("Value"),
                _("Numerator"),
                _("Denominator"),
                _("Target"),
                _("Attained"),
                f"{_('Previous period')} ({before_key})",
                _("Change"),
            )
        ]
    )
    for indicator, result, before in overview:
        value = result.value if result else None
        target = result.target if result and result.target is not None else None
        target = target if target is not None else indicator.default_target
        attained = None
        if value is not None and target is not None:
            higher = indicator.direction == indicator.Direction.HIGHER
            attained = (
                _("yes")
                if (value >= target if higher else value <= target)
                else _("no")
            )
        sheet.append(
            [
                _text(indicator.name),
                _text(indicator.get_unit_display()),
                _number(value),
                _number(result.numerator if result else None),
                _number(result.denominator if result else None),
                _number(target),
                _text(attained) if attained else None,
                _number(before.value if before else None),
                _change(value, before.value if before else None),
            ]
        )

    sheet = workbook.create_sheet(title=_("Scorecards"))
    table = selectors.scorecard_table(user, period, scope)
    indicators = selectors.indicators()
    sheet.append(
        [
            _text(_("Staff member")),
            _text(_("Team")),
            _text(_("Score")),
            _text(_("Rank")),
        ]
        + [_text(i.name) for i in indicators]
    )
    for card, cells in table:
        rank = f"{card.rank_in_team}/{card.team_size}" if card.rank_in_team else None
        sheet.append(
            [
                _text(card.staff),
                _text(card.team.name) if card.team_id else None,
                _number(card.score),
                _text(rank) if rank else None,
            ]
            + [
                _number(cells[i.code].value) if i.code in cells else None
                for i in indicators
            ]
        )

    window = window_for(period, selectors.as_of(period))
    categories, channels = selectors.complaint_mix(user, scope, window)
    sheet = workbook.create_sheet(title=_("Complaint mix"))
    sheet.append([_text(_("Category")), _text(_("Complaints"))])
    for label, count in categories:
        sheet.append([_text(label), count])
    sheet.append([])
    sheet.append([_text(_("Channel")), _text(_("Complaints"))])
    for label, count in channels:
        sheet.append([_text(label), count])

    by_kind, breaches = selectors.sla_breaches(user, scope, window, limit=500)
    sheet = workbook.create_sheet(title=_("SLA breaches"))
    sheet.append([_text(_("Clock")), _text(_("Breaches"))])
    for label, count in by_kind:
        sheet.append([_text(label), count])
    sheet.append([])
    sheet.append(
        [
            _text(h)
            for h in (_("Reference"), _("Clock"), _("Due"), _("Met"), _("Assignee"))
        ]
    )
    for target in breaches:
        complaint = target.complaint
        sheet.append(
            [
                _text(complaint.reference),
                _text(target.get_kind_display()),
                _local(target.due_at),
                _local(target.met_at) if target.met_at else None,
                _text(complaint.assignee) if complaint.assignee_id else None,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def filename(period: KpiPeriod, scope: Scope) -> str:
    return f"kpi-report-{period.key}-{scope.subject_type}-{scope.subject_id}.xlsx"


def last_complete_month(today=None) -> tuple[str, object]:
    """``(key, first day)`` of the month before ``today``'s (local date)."""
    today = today or timezone.localdate()
    day = today.replace(day=1) - timedelta(days=1)
    return day.strftime("%Y-%m"), day.replace(day=1)


def audit_workbook(audit) -> bytes:
    """An audit's report as XLSX: the audit, its checklist results, its findings."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Audit report"))
    scope = audit.team.name if audit.team_id else audit.department.name
    sheet.append([_text(f"{audit.plan.name} · {audit.period_key} · {scope}")])
    sheet.append([_text(_("auditor")), _text(audit.auditor)])
    sheet.append([_text(_("status")), _text(audit.get_status_display())])
    sheet.append([_text(_("Summary and conclusion")), _text(audit.summary or "")])
    sheet.append([])
    counts: dict[str, int] = {}
    for finding in audit.finding_rows:
        counts[finding.item] = counts.get(finding.item, 0) + 1
    sheet.append([_text(_("checklist item")), _text(_("Result")), _text(_("findings"))])
    for item in audit.checklist_items():
        result = _("nonconforming") if counts.get(item) else _("conforming")
        sheet.append([_text(item), _text(result), counts.get(item, 0)])
    sheet = workbook.create_sheet(title=_("findings"))
    sheet.append(
        [
            _text(h)
            for h in (
                _("checklist item"),
                _("severity"),
                _("finding"),
                _("corrective action (CAPA)"),
                _("owner"),
                _("status"),
            )
        ]
    )
    for f in audit.finding_rows:
        sheet.append(
            [
                _text(f.item),
                _text(f.get_severity_display()),
                _text(f.description),
                _text(f.capa.title) if f.capa_id else None,
                _text(f.capa.owner) if f.capa_id else None,
                _text(f.capa.get_status_display()) if f.capa_id else None,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
