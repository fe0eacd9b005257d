"""Write services of the kpi app (keyword-only, ``actor`` first)."""

from kpi.services.compute import (
    kpi_compute_period,
    kpi_compute_periods,
    kpi_compute_recent_months,
)
from kpi.services.inspections import inspection_record
from kpi.services.scorecards import scorecard_set_lines

__all__ = [
    "inspection_record",
    "kpi_compute_period",
    "kpi_compute_periods",
    "kpi_compute_recent_months",
    "scorecard_set_lines",
]
