"""Write services of the kpi app (keyword-only, ``actor`` first)."""

from kpi.services.checklists import checklist_save
from kpi.services.compute import (
    kpi_compute_period,
    kpi_compute_periods,
    kpi_compute_recent_months,
)
from kpi.services.inspections import inspection_record
from kpi.services.sampling import sampling_draw, sampling_draw_due
from kpi.services.scorecards import scorecard_set_lines

__all__ = [
    "checklist_save",
    "inspection_record",
    "kpi_compute_period",
    "kpi_compute_periods",
    "kpi_compute_recent_months",
    "sampling_draw",
    "sampling_draw_due",
    "scorecard_set_lines",
]
