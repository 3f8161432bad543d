"""Pure computation of scores, levels and (later) benchmarks: no Flask, no database."""

from .levels import LEVEL_BOUNDS, LEVELS, level_for
from .scores import AXES, MIN_COVERAGE, AxisScore, axis_scores, item_score, score_axes

__all__ = [
    "AXES",
    "LEVELS",
    "LEVEL_BOUNDS",
    "MIN_COVERAGE",
    "AxisScore",
    "axis_scores",
    "item_score",
    "level_for",
    "score_axes",
]
