"""Scores: attainment of a value against its target, scaled 0–100 and capped."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from kpi.models import Indicator

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def attainment_score(
    value: Decimal | None, target: Decimal | None, direction: str
) -> Decimal | None:
    """Score of ``value`` against ``target``: 100 at or beyond target.

    Higher is better: 100 × value ÷ target. Lower is better: 100 × target ÷ value
    (a zero target, e.g. "no attitude complaints", scores 100 at zero and 0
    otherwise). Capped to 0–100; no value (no data) → no score.
    """
    if value is None or target is None:
        return None
    if direction == Indicator.Direction.HIGHER:
        if target <= 0:
            raw = HUNDRED if value >= target else Decimal(0)
        else:
            raw = HUNDRED * value / target
    else:
        if value <= target:
            raw = HUNDRED
        elif target <= 0:
            raw = Decimal(0)
        else:
            raw = HUNDRED * target / value
    return min(HUNDRED, max(Decimal(0), raw)).quantize(CENT, ROUND_HALF_UP)


def weighted_score(
    lines: list[tuple[Decimal, Decimal | None]],
) -> tuple[Decimal | None, Decimal]:
    """Scorecard score from ``(weight, score)`` lines: the weighted sum.

    Lines without data (score None) are left out and the weights of the others
    renormalised to 100, so a missing measure neither rewards nor punishes.
    Returns ``(score, weight covered)``; no line with data → ``(None, 0)``.
    """
    covered = sum((w for w, s in lines if s is not None), Decimal(0))
    if not covered:
        return None, Decimal(0)
    total = sum((w * s for w, s in lines if s is not None), Decimal(0))
    return (total / covered).quantize(CENT, ROUND_HALF_UP), covered


def competition_ranks(scores: dict[int, Decimal | None]) -> dict[int, int]:
    """Rank ids by score, best first, ties sharing a rank (1, 2, 2, 4)."""
    ordered = sorted(
        ((s, k) for k, s in scores.items() if s is not None),
        key=lambda item: (-item[0], item[1]),
    )
    ranks: dict[int, int] = {}
    previous = None
    for position, (score, key) in enumerate(ordered, start=1):
        if score != previous:
            rank = position
            previous = score
        ranks[key] = rank
    return ranks
