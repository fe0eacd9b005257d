"""Formatting of KPI figures in templates."""

from decimal import Decimal

from django import template
from django.utils.http import urlencode

register = template.Library()

SUFFIX = {"percent": "%", "minutes": "", "hours": "", "nps": ""}


@register.filter
def kpi_value(value, unit: str = "") -> str:
    """``92.5%`` for a percent, ``4.35`` for a score, ``—`` for no data."""
    if value is None or value == "":
        return "—"
    number = Decimal(value)
    if unit == "count":
        return f"{number:.0f}"
    places = 2 if unit == "score5" else 1
    return f"{number:.{places}f}{SUFFIX.get(unit, '')}"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def drill_query(period, result, part="denominator") -> str:
    """Query string of the drill-down behind one result."""
    return urlencode(
        {
            "period": period.key,
            "subject": f"{result.subject_type}:{result.subject_id}",
            "part": part,
        }
    )
