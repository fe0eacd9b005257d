"""CSV and XLSX files of a period's results (rows already scoped by the caller).

Text that a spreadsheet would read as a formula (a staff name or an indicator
label beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is
written with a leading single quote, so Excel/WPS show it as text instead of
running it (CSV/formula injection). Numbers stay numbers: a negative value is
written as a number, not escaped.
"""

from __future__ import annotations

import csv
import io

from django.utils import timezone
from django.utils.translation import gettext as _

from kpi.models import KpiResult


def headers() -> list[str]:
    return [
        _("Period"),
        _("Subject type"),
        _("Subject"),
        _("Employee number"),
        _("Indicator code"),
        _("Indicator"),
        _("Unit"),
        _("Value"),
        _("Target"),
        _("Score"),
        _("Numerator"),
        _("Denominator"),
        _("Sample size"),
        _("Computed at"),
    ]


def _subject(result: KpiResult) -> str:
    if result.staff_id:
        return str(result.staff)
    if result.subject_type == "team" and result.team_id:
        return result.team.name
    if result.department_id:
        return result.department.name
    return str(result.subject_id)


def _number(value):
    return None if value is None else float(value)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _text(value) -> str:
    """``value`` as a text cell that no spreadsheet evaluates."""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def rows(results, period_key: str):
    for r in results:
        yield [
            _text(period_key),
            _text(r.get_subject_type_display()),
            _text(_subject(r)),
            _text(r.staff.employee_no or "") if r.staff_id else "",
            _text(r.indicator.code),
            _text(r.indicator.name),
            _text(r.indicator.get_unit_display()),
            _number(r.value),
            _number(r.target),
            _number(r.score),
            _number(r.numerator),
            _number(r.denominator),
            r.sample_size,
            timezone.localtime(r.computed_at).isoformat(timespec="seconds"),
        ]


def as_csv(results, period_key: str) -> bytes:
    """UTF-8 with a byte-order mark so that Excel opens the Chinese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_text(h) for h in headers()])
    for row in rows(results, period_key):
        writer.writerow(["" if cell is None else cell for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(results, period_key: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=period_key)
    sheet.append([_text(h) for h in headers()])
    for row in rows(results, period_key):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
