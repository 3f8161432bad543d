"""Where a score stands in its reference group: percentile rank, median and quartiles.

A reference group is every completed response of one questionnaire and actor type in a territory
(a region, or the whole country), the respondent's own included. Scores are compared at a tenth
of a point (`score_key`), which is also how the pages and the API show them; groups are kept as
histograms `score_key → count`, so a group of a million responses is at most 1,001 numbers.

- percentile rank: `100 × (below + ½ · equal) / n`;
- median and quartiles: numpy's default (linear) percentile of the scores of the group;
- a group smaller than `min_size` is never described: only its size is given, flagged
  « suppressed ».
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import suppression

#: Scores are compared at this many steps per point (tenths).
STEPS_PER_POINT = 10


def score_key(score: float) -> int:
    """The score in tenths of a point, rounded half up (72.25 → 723)."""
    return math.floor(score * STEPS_PER_POINT + 0.5)


def key_score(key: int | float) -> float:
    return key / STEPS_PER_POINT


def percentile_rank(scores: Sequence[float] | np.ndarray, score: float) -> float:
    """Percentile rank (0–100) of `score` among `scores`: `100 × (below + ½ · equal) / n`."""
    values = np.asarray(scores, dtype=float)
    if values.size == 0:
        raise ValueError("an empty group has no percentile rank")
    below = np.count_nonzero(values < score)
    equal = np.count_nonzero(values == score)
    return 100.0 * (below + 0.5 * equal) / values.size


@dataclass(frozen=True)
class Histogram:
    """The scores of a group as sorted distinct keys (tenths) with their counts."""

    keys: np.ndarray
    counts: np.ndarray

    @classmethod
    def from_pairs(cls, pairs: Sequence[tuple[int, int]]) -> Histogram:
        merged: dict[int, int] = {}
        for key, count in pairs:
            if count > 0:
                merged[int(key)] = merged.get(int(key), 0) + int(count)
        ordered = sorted(merged.items())
        keys = np.array([k for k, _c in ordered], dtype=np.int64)
        counts = np.array([c for _k, c in ordered], dtype=np.int64)
        return cls(keys, counts)

    @classmethod
    def from_scores(cls, scores: Sequence[float]) -> Histogram:
        keys, counts = np.unique([score_key(s) for s in scores], return_counts=True)
        return cls(keys.astype(np.int64), counts.astype(np.int64))

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def percentile_rank(self, key: int) -> float:
        """Percentile rank of a score key, `100 × (below + ½ · equal) / n`."""
        n = self.n
        if n == 0:
            raise ValueError("an empty group has no percentile rank")
        position = np.searchsorted(self.keys, key)
        below = int(self.counts[:position].sum())
        equal = (
            int(self.counts[position])
            if position < self.keys.size and self.keys[position] == key
            else 0
        )
        return 100.0 * (below + 0.5 * equal) / n

    def quantile(self, q: float) -> float:
        """numpy's linear percentile `q` (0–100) of the group's scores, in points."""
        n = self.n
        if n == 0:
            raise ValueError("an empty group has no quantiles")
        cumulative = np.cumsum(self.counts)
        position = (n - 1) * q / 100.0
        lower = math.floor(position)
        upper = min(lower + 1, n - 1)
        low_key = self.keys[np.searchsorted(cumulative, lower, side="right")]
        high_key = self.keys[np.searchsorted(cumulative, upper, side="right")]
        fraction = position - lower
        return key_score(low_key + (high_key - low_key) * fraction)


@dataclass(frozen=True)
class GroupSummary:
    """A reference group as shown: its size and, when large enough, where a score stands."""

    n: int
    suppressed: bool
    percentile: float | None = None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None

    def as_dict(self) -> dict:
        if self.suppressed:
            return {"n": self.n, "suppressed": True}
        percentile = None if self.percentile is None else round(self.percentile, 1)
        return {
            "n": self.n,
            "percentile": percentile,
            "median": self.median,
            "q1": self.q1,
            "q3": self.q3,
        }


def summarise(histogram: Histogram, score: float | None, min_size: int) -> GroupSummary:
    """A group's summary for a respondent's `score` (None: no percentile), or suppressed when the
    group has fewer than `min_size` scores."""
    n = histogram.n
    # The one shared rule (`suppression.protect`); an empty group has nothing to show either.
    if n == 0 or suppression.protect(n, 0.0, min_size).suppressed:
        return GroupSummary(n=n, suppressed=True)
    return GroupSummary(
        n=n,
        suppressed=False,
        percentile=None if score is None else histogram.percentile_rank(score_key(score)),
        median=round(histogram.quantile(50), 1),
        q1=round(histogram.quantile(25), 1),
        q3=round(histogram.quantile(75), 1),
    )


def tenths_above(percentile: float) -> int:
    """How many in ten a percentile rank is above, for a sentence (« au-dessus de 7 sur 10 »)."""
    return max(0, min(10, math.floor(percentile / 10 + 0.5)))
