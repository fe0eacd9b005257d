"""Scorecard templates: which indicators count for a role, weights and targets."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from config.errors import InvalidInput, NotPermitted
from kpi.models import Indicator, ScorecardLine, ScorecardTemplate

WEIGHT_TOTAL = Decimal(100)


def validate_weights(weights: list[Decimal]) -> None:
    """Weights must be positive and sum to exactly 100."""
    if any(w is None or Decimal(w) <= 0 for w in weights):
        raise InvalidInput(_("Every weight must be above zero."), field="weight")
    total = sum((Decimal(w) for w in weights), Decimal(0))
    if total != WEIGHT_TOTAL:
        raise InvalidInput(
            _("The weights add up to %(total)s; they must add up to 100.")
            % {"total": total.normalize()},
            code="weights_not_100",
            field="weight",
        )


@transaction.atomic
def scorecard_set_lines(
    *,
    actor,
    template: ScorecardTemplate,
    lines: list[tuple[str, Decimal, Decimal | None]],
) -> ScorecardTemplate:
    """Replace a template's lines with ``(indicator code, weight, target)``.

    Refuses (nothing changed) unless the weights sum to 100, each indicator
    appears once and exists. Takes effect at the next computation of a period.
    """
    if actor is not None and not actor.has_perm("kpi.change_scorecardtemplate"):
        raise NotPermitted(_("You may not change scorecards."))
    template = ScorecardTemplate.objects.select_for_update().get(pk=template.pk)
    codes = [code for code, _w, _t in lines]
    if len(set(codes)) != len(codes):
        raise InvalidInput(_("An indicator appears twice."), field="indicator")
    indicators = Indicator.objects.in_bulk(codes, field_name="code")
    missing = sorted(set(codes) - set(indicators))
    if missing:
        raise InvalidInput(
            _("Unknown indicator: %(codes)s") % {"codes": ", ".join(missing)},
            field="indicator",
        )
    validate_weights([Decimal(w) for _c, w, _t in lines])
    template.lines.all().delete()
    ScorecardLine.objects.bulk_create(
        ScorecardLine(
            template=template,
            indicator=indicators[code],
            weight=Decimal(weight),
            target=None if target is None else Decimal(target),
        )
        for code, weight, target in lines
    )
    template.save(update_fields=["updated_at"])
    return template
