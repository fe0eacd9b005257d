"""Attainment scores, weighted scorecards and ranks (pure functions)."""

from decimal import Decimal as D

import pytest

from kpi.scoring import attainment_score, competition_ranks, weighted_score


@pytest.mark.parametrize(
    ("value", "target", "direction", "expected"),
    [
        (D("90"), D("95"), "higher", D("94.74")),
        (D("99"), D("95"), "higher", D("100.00")),  # capped
        (D("-10"), D("30"), "higher", D("0.00")),  # negative NPS floors at 0
        (D("60"), D("30"), "lower", D("50.00")),  # twice the allowed time
        (D("20"), D("30"), "lower", D("100.00")),
        (D("0"), D("0"), "lower", D("100.00")),  # no attitude complaints
        (D("1"), D("0"), "lower", D("0.00")),
        (None, D("95"), "higher", None),  # no data → no score, not 0
    ],
)
def test_attainment_against_target_per_direction(value, target, direction, expected):
    assert attainment_score(value, target, direction) == expected


def test_weighted_sum_leaves_out_lines_without_data():
    # given weights 50/30/20 and no data for the 20-weight line
    score, covered = weighted_score([(D(50), D(100)), (D(30), D(50)), (D(20), None)])
    # then the others are renormalised: (50×100 + 30×50) / 80
    assert score == D("81.25")
    assert covered == D(80)
    assert weighted_score([(D(100), None)]) == (None, D(0))


def test_competition_ranks_share_ties_and_skip_unscored():
    ranks = competition_ranks({1: D(80), 2: D(95), 3: D(80), 4: None, 5: D(70)})
    assert ranks == {2: 1, 1: 2, 3: 2, 5: 4}
