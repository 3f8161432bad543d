"""Maturity levels of an axis score.

Four levels on the 0–100 score: `[0, 25)` → 1, `[25, 50)` → 2, `[50, 75)` → 3, `[75, 100]` → 4.
Their names and descriptions per actor type live with the questionnaires (`levels.yaml`).
"""

from __future__ import annotations

import math

#: Lower bounds of levels 2, 3 and 4, on the 0–100 score.
LEVEL_BOUNDS: tuple[float, ...] = (25.0, 50.0, 75.0)
LEVELS: tuple[int, ...] = (1, 2, 3, 4)


def level_for(score: float | None) -> int | None:
    """The maturity level (1–4) of a score on 0–100; None for no score."""
    if score is None or math.isnan(score):
        return None
    if not 0.0 <= score <= 100.0:
        raise ValueError(f"score {score} is outside 0–100")
    return 1 + sum(score >= bound for bound in LEVEL_BOUNDS)
