"""Formatting of KPI figures in templates."""

from decimal import Decimal

from django import template
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy

register = template.Library()

# The unit written after a figure (translated when shown).
SUFFIX = {
    "percent": "%",
    "minutes": gettext_lazy(" min"),
    "hours": gettext_lazy(" h"),
    "nps": "",
    "score5": gettext_lazy(" / 5"),
    "score100": gettext_lazy(" / 100"),
    "yuan": gettext_lazy(" yuan"),
}


@register.filter
def kpi_value(value, unit: str = "") -> str:
    """``92.5%``, ``4.35 / 5``, ``7.5 小时`` (the unit after the figure),
    ``—`` for no data."""
    if value is None or value == "":
        return "—"
    number = Decimal(value)
    if unit == "count":
        return f"{number:.0f}"
    places = 2 if unit in ("score5", "yuan") else 1
    return f"{number:.{places}f}{SUFFIX.get(unit, '')}"


@register.filter
def kpi_number(value) -> str:
    """A numerator or denominator as people write it: ``450``, ``7.5``,
    ``0.25`` (no trailing zeros), ``—`` for none."""
    if value is None or value == "":
        return "—"
    number = Decimal(value)
    if number == number.to_integral_value():
        return f"{number:.0f}"
    return f"{number.normalize():f}"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def drill_query(period, result, part="denominator", item="") -> str:
    """Query string of the drill-down behind one result (narrowed to ``item``
    when given)."""
    query = {
        "period": period.key,
        "subject": f"{result.subject_type}:{result.subject_id}",
        "part": part,
    }
    if item:
        query["item"] = item
    return urlencode(query)
