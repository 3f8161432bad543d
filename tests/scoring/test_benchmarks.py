"""Percentile ranks, score keys, histograms and group summaries, against values computed by hand.

Percentile rank: 100 × (below + ½·equal) / n, the respondent's own score included.
Quantiles: numpy's default (linear) percentile: position = (n − 1) × q / 100 in the sorted scores,
value = s[floor] + (s[floor + 1] − s[floor]) × fraction.
"""

from __future__ import annotations

import numpy as np
import pytest

from scoring.benchmarks import (
    GroupSummary,
    Histogram,
    key_score,
    percentile_rank,
    score_key,
    summarise,
    tenths_above,
)

QUARTILES = (0, 25, 50, 75, 100)


def rounded(scores) -> list[float]:
    """The scores as the histograms keep them: at a tenth of a point."""
    return [key_score(score_key(s)) for s in scores]


# --------------------------------------------------------------------------- percentile_rank


def test_percentile_rank_with_ties():
    # below = 1 (10), equal = 3 (20, 20, 20): 100 × (1 + 1.5) / 5 = 50
    assert percentile_rank([10, 20, 20, 20, 30], 20) == pytest.approx(50.0)


def test_percentile_rank_counts_the_respondents_own_score():
    # The respondent scored 70 and is in the group: below = 2 (40, 55), equal = 1 (70 itself):
    # 100 × (2 + 0.5) / 4 = 62.5
    assert percentile_rank([40, 55, 70, 85], 70) == pytest.approx(62.5)


def test_percentile_rank_of_the_lowest_and_the_highest():
    group = [10, 20, 30, 40]
    # lowest: below 0, equal 1: 100 × (0 + 0.5) / 4 = 12.5
    assert percentile_rank(group, 10) == pytest.approx(12.5)
    # highest: below 3, equal 1: 100 × (3 + 0.5) / 4 = 87.5
    assert percentile_rank(group, 40) == pytest.approx(87.5)


def test_percentile_rank_of_lowest_and_highest_with_ties():
    group = [10, 10, 50, 90, 90, 90]
    # lowest tie: below 0, equal 2: 100 × (0 + 1) / 6 = 16.666…
    assert percentile_rank(group, 10) == pytest.approx(100 / 6)
    # highest tie: below 3, equal 3: 100 × (3 + 1.5) / 6 = 75
    assert percentile_rank(group, 90) == pytest.approx(75.0)


def test_percentile_rank_of_a_single_score_and_of_equal_scores():
    # below 0, equal 1: 100 × 0.5 / 1 = 50
    assert percentile_rank([63.3], 63.3) == pytest.approx(50.0)
    # below 0, equal 3: 100 × 1.5 / 3 = 50
    assert percentile_rank([60, 60, 60], 60) == pytest.approx(50.0)


def test_percentile_rank_of_a_score_not_in_the_group():
    group = [10, 20, 30, 40]
    # below 2, equal 0: 100 × 2 / 4 = 50
    assert percentile_rank(group, 25) == pytest.approx(50.0)
    # below 0: 0; below 4: 100 × 4 / 4 = 100
    assert percentile_rank(group, 5) == pytest.approx(0.0)
    assert percentile_rank(group, 45) == pytest.approx(100.0)


def test_percentile_rank_accepts_an_array():
    # below 1, equal 1: 100 × 1.5 / 3 = 50
    assert percentile_rank(np.array([0.0, 50.0, 100.0]), 50.0) == pytest.approx(50.0)


@pytest.mark.parametrize("empty", [[], np.array([])])
def test_percentile_rank_of_an_empty_group_raises(empty):
    with pytest.raises(ValueError):
        percentile_rank(empty, 50)


# --------------------------------------------------------------------------- score keys


@pytest.mark.parametrize(
    ("score", "key"),
    [
        (72.25, 723),  # 722.5 + 0.5 = 723.0 → floor 723 (half up)
        (72.24, 722),  # 722.4 + 0.5 = 722.9 → floor 722
        (72.26, 723),  # 722.6 + 0.5 = 723.1 → floor 723
        (72.3, 723),  # 723 + 0.5 = 723.5 → floor 723
        (0, 0),  # 0 + 0.5 → floor 0
        (0.0, 0),
        (0.05, 1),  # 0.5 + 0.5 = 1.0 → floor 1 (half up)
        (0.04, 0),  # 0.4 + 0.5 = 0.9 → floor 0
        (100, 1000),  # 1000 + 0.5 → floor 1000
        (100 / 3, 333),  # 333.33… + 0.5 = 333.83… → 333
        (200 / 3, 667),  # 666.66… + 0.5 = 667.16… → 667
    ],
)
def test_score_key_is_tenths_rounded_half_up(score, key):
    assert score_key(score) == key
    assert isinstance(score_key(score), int)


@pytest.mark.parametrize(
    ("key", "score"),
    [(723, 72.3), (0, 0.0), (1000, 100.0), (5, 0.5), (333, 33.3)],  # key / 10
)
def test_key_score_is_the_key_in_points(key, score):
    assert key_score(key) == pytest.approx(score)


def test_key_score_inverts_score_key_on_tenths():
    for key in range(1001):
        assert score_key(key_score(key)) == key


# --------------------------------------------------------------------------- Histogram


def test_histogram_from_scores_counts_rounded_scores():
    # 72.25 → 723, 10 → 100, 72.3 → 723, 10.04 → 100.4 + 0.5 = 100.9 → 100, 100 → 1000
    histogram = Histogram.from_scores([72.25, 10, 72.3, 10.04, 100])
    assert histogram.keys.tolist() == [100, 723, 1000]
    assert histogram.counts.tolist() == [2, 2, 1]
    assert histogram.n == 5  # 2 + 2 + 1


def test_histogram_from_scores_sorts_unsorted_input():
    # 90 → 900, 10 → 100, 50 → 500, 10 → 100
    histogram = Histogram.from_scores([90, 10, 50, 10])
    assert histogram.keys.tolist() == [100, 500, 900]
    assert histogram.counts.tolist() == [2, 1, 1]


def test_histogram_from_pairs_drops_zero_counts_and_sorts():
    histogram = Histogram.from_pairs([(700, 2), (500, 0), (300, 1), (900, 3)])
    # (500, 0) dropped; sorted by key
    assert histogram.keys.tolist() == [300, 700, 900]
    assert histogram.counts.tolist() == [1, 2, 3]
    assert histogram.n == 6  # 1 + 2 + 3


def test_histogram_from_pairs_of_nothing_is_empty():
    histogram = Histogram.from_pairs([(500, 0)])
    assert histogram.n == 0
    assert histogram.keys.tolist() == []
    with pytest.raises(ValueError):
        histogram.percentile_rank(500)
    with pytest.raises(ValueError):
        histogram.quantile(50)


def test_histogram_from_pairs_matches_from_scores():
    by_scores = Histogram.from_scores([30, 70, 70, 90, 90, 90])
    by_pairs = Histogram.from_pairs([(900, 3), (300, 1), (700, 2)])
    assert by_pairs.keys.tolist() == by_scores.keys.tolist() == [300, 700, 900]
    assert by_pairs.counts.tolist() == by_scores.counts.tolist() == [1, 2, 3]


def test_histogram_percentile_rank_with_ties():
    histogram = Histogram.from_scores([10, 20, 20, 20, 30])
    # key 200: below 1, equal 3: 100 × (1 + 1.5) / 5 = 50
    assert histogram.percentile_rank(200) == pytest.approx(50.0)
    # key 100 (lowest): 100 × (0 + 0.5) / 5 = 10
    assert histogram.percentile_rank(100) == pytest.approx(10.0)
    # key 300 (highest): 100 × (4 + 0.5) / 5 = 90
    assert histogram.percentile_rank(300) == pytest.approx(90.0)


def test_histogram_percentile_rank_of_a_key_absent_from_the_group():
    histogram = Histogram.from_scores([10, 20, 20, 20, 30])
    # key 250: below 4, equal 0: 100 × 4 / 5 = 80
    assert histogram.percentile_rank(250) == pytest.approx(80.0)
    # key 50, below everything: 0
    assert histogram.percentile_rank(50) == pytest.approx(0.0)
    # key 400, above everything: 100 × 5 / 5 = 100
    assert histogram.percentile_rank(400) == pytest.approx(100.0)


def test_histogram_percentile_rank_compares_at_a_tenth():
    scores = [72.25, 72.3, 72.34, 50, 90]
    # rounded: 72.3, 72.3, 72.3, 50.0, 90.0; key 723: below 1, equal 3:
    # 100 × (1 + 1.5) / 5 = 50
    histogram = Histogram.from_scores(scores)
    assert histogram.percentile_rank(723) == pytest.approx(50.0)
    assert histogram.percentile_rank(723) == pytest.approx(percentile_rank(rounded(scores), 72.3))


@pytest.mark.parametrize(
    "scores",
    [
        [42.0],
        [20, 80],
        [10, 20, 20, 20, 30],
        [5, 15, 15, 40, 60, 90],
        [72.25, 72.3, 72.34, 0, 100, 100, 33.33, 66.67],
        [100 / 3, 100 / 3, 200 / 3, 0, 100, 100 / 3],
    ],
)
def test_histogram_percentile_rank_equals_percentile_rank_on_rounded_scores(scores):
    histogram = Histogram.from_scores(scores)
    values = rounded(scores)
    keys = [*histogram.keys.tolist(), 0, 1, 149, 500, 999, 1000]  # present and absent keys
    for key in keys:
        assert histogram.percentile_rank(key) == pytest.approx(
            percentile_rank(values, key_score(key))
        ), key


def test_histogram_percentile_rank_on_a_random_group():
    rng = np.random.default_rng(20240611)
    scores = rng.uniform(0, 100, 1000).tolist()
    histogram = Histogram.from_scores(scores)
    values = rounded(scores)
    assert histogram.n == 1000
    for key in [*histogram.keys.tolist()[::7], 0, 1000, 555]:
        assert histogram.percentile_rank(key) == pytest.approx(
            percentile_rank(values, key_score(key))
        ), key


# Hand-computed quantiles at q = 0, 25, 50, 75, 100 (position = (n − 1) × q / 100).
HAND_QUANTILES = [
    # n = 1: every position is 0 → 42
    ([42.0], [42.0, 42.0, 42.0, 42.0, 42.0]),
    # n = 2, s = [20, 80]: positions 0, .25, .5, .75, 1 →
    # 20, 20 + 60 × .25 = 35, 20 + 60 × .5 = 50, 20 + 60 × .75 = 65, 80
    ([80, 20], [20.0, 35.0, 50.0, 65.0, 80.0]),
    # n = 5 with ties, s = [10, 20, 20, 20, 30]: positions 0, 1, 2, 3, 4 → 10, 20, 20, 20, 30
    ([20, 10, 30, 20, 20], [10.0, 20.0, 20.0, 20.0, 30.0]),
    # n = 6 with ties, s = [5, 15, 15, 40, 60, 90]: positions 0, 1.25, 2.5, 3.75, 5 →
    # 5; 15 + (15 − 15) × .25 = 15; 15 + (40 − 15) × .5 = 27.5; 40 + (60 − 40) × .75 = 55; 90
    ([90, 15, 5, 60, 15, 40], [5.0, 15.0, 27.5, 55.0, 90.0]),
    # n = 6, s = [12.3, 45.6, 50, 61.2, 77.7, 99.9]: positions 0, 1.25, 2.5, 3.75, 5 →
    # 12.3; 45.6 + 4.4 × .25 = 46.7; 50 + 11.2 × .5 = 55.6; 61.2 + 16.5 × .75 = 73.575; 99.9
    ([50, 99.9, 12.3, 77.7, 45.6, 61.2], [12.3, 46.7, 55.6, 73.575, 99.9]),
    # n = 4, s = [10, 20, 30, 40]: positions 0, .75, 1.5, 2.25, 3 →
    # 10; 10 + 10 × .75 = 17.5; 20 + 10 × .5 = 25; 30 + 10 × .25 = 32.5; 40
    ([40, 30, 20, 10], [10.0, 17.5, 25.0, 32.5, 40.0]),
    # n = 2 needing rounding: 72.25 → 72.3, 10.04 → 10.0; positions 0, .25, .5, .75, 1 →
    # 10; 10 + 62.3 × .25 = 25.575; 10 + 62.3 × .5 = 41.15; 10 + 62.3 × .75 = 56.725; 72.3
    ([72.25, 10.04], [10.0, 25.575, 41.15, 56.725, 72.3]),
    # n = 5, every score equal: 33.3 everywhere (100 / 3 → 333 tenths)
    ([100 / 3] * 5, [33.3] * 5),
]


@pytest.mark.parametrize(("scores", "expected"), HAND_QUANTILES)
def test_histogram_quantile_by_hand(scores, expected):
    histogram = Histogram.from_scores(scores)
    for q, value in zip(QUARTILES, expected, strict=True):
        assert histogram.quantile(q) == pytest.approx(value), q


@pytest.mark.parametrize(("scores", "expected"), HAND_QUANTILES)
def test_histogram_quantile_equals_numpy_percentile(scores, expected):
    histogram = Histogram.from_scores(scores)
    values = rounded(scores)
    for q in QUARTILES:
        assert histogram.quantile(q) == pytest.approx(float(np.percentile(values, q))), q


@pytest.mark.parametrize("seed", [1, 20240611, 987654321])
def test_histogram_quantile_equals_numpy_percentile_on_a_random_group(seed):
    rng = np.random.default_rng(seed)
    scores = rng.uniform(0, 100, 1000).tolist()
    histogram = Histogram.from_scores(scores)
    values = rounded(scores)
    assert histogram.n == 1000
    for q in (*QUARTILES, 10, 33, 90, 99):
        assert histogram.quantile(q) == pytest.approx(float(np.percentile(values, q))), q


def test_histogram_quantile_equals_numpy_percentile_on_a_random_group_with_many_ties():
    # Scores of a 4-point scale: 0, 33.33…, 66.66…, 100 → keys 0, 333, 667, 1000.
    rng = np.random.default_rng(7)
    scores = (rng.integers(0, 4, 1000) * 100 / 3).tolist()
    histogram = Histogram.from_scores(scores)
    assert histogram.keys.tolist() == [0, 333, 667, 1000]
    values = rounded(scores)
    for q in (*QUARTILES, 10, 33, 90, 99):
        assert histogram.quantile(q) == pytest.approx(float(np.percentile(values, q))), q


# --------------------------------------------------------------------------- summarise


def test_summarise_suppresses_a_group_under_min_size():
    histogram = Histogram.from_scores([10, 20, 30, 40])  # n = 4 < 5
    summary = summarise(histogram, 30, min_size=5)
    assert summary == GroupSummary(n=4, suppressed=True)
    assert summary.percentile is None
    assert summary.median is None
    assert summary.q1 is None
    assert summary.q3 is None
    assert summary.as_dict() == {"n": 4, "suppressed": True}


def test_summarise_suppresses_an_empty_group():
    summary = summarise(Histogram.from_pairs([]), 50, min_size=5)
    assert summary.as_dict() == {"n": 0, "suppressed": True}


def test_summarise_shows_a_group_exactly_at_min_size():
    histogram = Histogram.from_scores([10, 20, 30, 40, 50])  # n = 5 = min_size
    summary = summarise(histogram, 40, min_size=5)
    assert summary.suppressed is False
    assert summary.n == 5
    # score 40: below 3, equal 1: 100 × (3 + 0.5) / 5 = 70
    assert summary.percentile == pytest.approx(70.0)
    # positions (5 − 1) × q / 100 = 2, 1, 3 → 30, 20, 40
    assert summary.median == pytest.approx(30.0)
    assert summary.q1 == pytest.approx(20.0)
    assert summary.q3 == pytest.approx(40.0)
    assert summary.as_dict() == {
        "n": 5,
        "percentile": pytest.approx(70.0),
        "median": pytest.approx(30.0),
        "q1": pytest.approx(20.0),
        "q3": pytest.approx(40.0),
    }


def test_summarise_compares_the_score_at_a_tenth():
    histogram = Histogram.from_scores([10, 20, 30, 40, 50])
    # 39.96 → key 399.6 + 0.5 = 400.1 → 400 = 40.0: same rank as 40, i.e. 70
    assert summarise(histogram, 39.96, min_size=5).percentile == pytest.approx(70.0)
    # 39.94 → key 399.4 + 0.5 = 399.9 → 399: below 3, equal 0: 100 × 3 / 5 = 60
    assert summarise(histogram, 39.94, min_size=5).percentile == pytest.approx(60.0)


def test_summarise_without_a_score_still_gives_median_and_quartiles():
    histogram = Histogram.from_scores([10, 20, 30, 40, 50])
    summary = summarise(histogram, None, min_size=5)
    assert summary.suppressed is False
    assert summary.percentile is None
    assert summary.median == pytest.approx(30.0)  # position 2
    assert summary.q1 == pytest.approx(20.0)  # position 1
    assert summary.q3 == pytest.approx(40.0)  # position 3
    assert summary.as_dict() == {
        "n": 5,
        "percentile": None,
        "median": pytest.approx(30.0),
        "q1": pytest.approx(20.0),
        "q3": pytest.approx(40.0),
    }


def test_summarise_interpolates_quartiles_and_rounds_the_percentile_for_display():
    histogram = Histogram.from_scores([10, 20, 30, 40, 50, 60])  # n = 6
    summary = summarise(histogram, 30, min_size=5)
    # score 30: below 2, equal 1: 100 × 2.5 / 6 = 41.666…
    assert summary.percentile == pytest.approx(250 / 6)
    # positions 5 × q / 100: median 2.5 → 30 + 10 × .5 = 35; q1 1.25 → 20 + 10 × .25 = 22.5;
    # q3 3.75 → 40 + 10 × .75 = 47.5
    assert summary.median == pytest.approx(35.0)
    assert summary.q1 == pytest.approx(22.5)
    assert summary.q3 == pytest.approx(47.5)
    shown = summary.as_dict()
    assert set(shown) == {"n", "percentile", "median", "q1", "q3"}
    assert shown["n"] == 6
    assert shown["percentile"] == pytest.approx(41.7)  # 41.666… rounded to a tenth
    assert shown["median"] == pytest.approx(35.0)
    assert shown["q1"] == pytest.approx(22.5)
    assert shown["q3"] == pytest.approx(47.5)


def test_summarise_rounds_quantiles_to_a_tenth():
    # s = [10, 20, 30, 40] (n = 4): median position 1.5 → 25; q1 position .75 → 17.5;
    # q3 position 2.25 → 32.5 (already tenths)
    histogram = Histogram.from_scores([10, 20, 30, 40])
    summary = summarise(histogram, 10, min_size=1)
    assert (summary.median, summary.q1, summary.q3) == (
        pytest.approx(25.0),
        pytest.approx(17.5),
        pytest.approx(32.5),
    )
    # s = [12.3, 45.6, 50, 61.2, 77.7, 99.9]: q3 = 61.2 + 16.5 × .75 = 73.575 → 73.6 (to a
    # tenth: 73.575 is above the midpoint 73.55)
    histogram = Histogram.from_scores([12.3, 45.6, 50, 61.2, 77.7, 99.9])
    summary = summarise(histogram, None, min_size=5)
    assert summary.q3 == pytest.approx(73.6)
    assert summary.q1 == pytest.approx(46.7)  # 45.6 + 4.4 × .25
    assert summary.median == pytest.approx(55.6)  # 50 + 11.2 × .5


def test_group_summary_as_dict_shapes():
    assert GroupSummary(n=3, suppressed=True).as_dict() == {"n": 3, "suppressed": True}
    shown = GroupSummary(
        n=12, suppressed=False, percentile=12.345, median=50.0, q1=25.0, q3=75.0
    ).as_dict()
    # 12.345 rounded to a tenth: 12.3
    assert shown == {
        "n": 12,
        "percentile": pytest.approx(12.3),
        "median": 50.0,
        "q1": 25.0,
        "q3": 75.0,
    }
    assert "suppressed" not in shown


# --------------------------------------------------------------------------- tenths_above


@pytest.mark.parametrize(
    ("percentile", "tenths"),
    [
        (72, 7),  # floor(7.2 + 0.5) = floor(7.7) = 7
        (75, 8),  # floor(7.5 + 0.5) = floor(8.0) = 8 (half up)
        (74.9, 7),  # floor(7.49 + 0.5) = floor(7.99) = 7
        (4.9, 0),  # floor(0.49 + 0.5) = floor(0.99) = 0
        (5, 1),  # floor(0.5 + 0.5) = 1
        (50, 5),  # floor(5.5) = 5
        (65, 7),  # floor(6.5 + 0.5) = 7
        (100, 10),  # floor(10 + 0.5) = 10
        (0, 0),  # floor(0 + 0.5) = 0
        (105, 10),  # floor(11.0) = 11, capped at 10
        (-5, 0),  # floor(0.0) = 0 (floor(-0.5 + 0.5)), at least 0
        (-20, 0),  # floor(-1.5) = -2, raised to 0
    ],
)
def test_tenths_above(percentile, tenths):
    assert tenths_above(percentile) == tenths
