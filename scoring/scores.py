"""Impact (axis) scores of responses, with their coverage and « ne sait pas » share.

Method (DESIGN §4):

- an item's score is the score its scale gives to the chosen value, on 0–100 (agreement scale:
  `(v − 1) / 3 × 100`); a reversed item scores `100 −` that;
- an axis score is the weighted mean of the scores of the answered items of that axis;
- `coverage` = answered weight / weight of the applicable items of the axis (a question hidden by
  its `show_if` is not applicable; « ne sait pas » and skipped items apply but are not answered);
- below `MIN_COVERAGE` the axis has no score (« données insuffisantes »).

The core works on arrays so that many responses are scored at once; `score_axes` scores one
response of a questionnaire definition.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from questionnaires.answers import applicable_questions
from questionnaires.model import AnswerValue, Question, Questionnaire

from .levels import level_for

AXES: tuple[str, ...] = ("confiance", "performance", "innovation")
#: Share of the applicable weight that must rest on real answers for an axis to get a score.
MIN_COVERAGE = 0.5


@dataclass(frozen=True)
class AxisScore:
    axis: str
    #: Score on 0–100, None when coverage is below MIN_COVERAGE or nothing applies.
    score: float | None
    #: Answered weight / applicable weight, 0–1 (0 when nothing applies).
    coverage: float
    #: Weight answered « ne sait pas » / applicable weight, 0–1.
    dont_know_share: float
    #: Number of applicable items, of items answered, of items answered « ne sait pas ».
    applicable_items: int
    answered_items: int
    dont_know_items: int

    @property
    def level(self) -> int | None:
        """Maturity level 1–4, None without a score."""
        return level_for(self.score)

    @property
    def sufficient(self) -> bool:
        return self.score is not None

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "score": None if self.score is None else round(self.score, 1),
            "coverage": round(self.coverage, 3),
            "level": self.level,
            "dont_know_share": round(self.dont_know_share, 3),
        }


def _weighted_sum(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row sums of `values × weights`, item after item: the same additions in the same order for
    one response or a million (a matrix product's order depends on the number of rows, which
    would change the last bit of a score)."""
    total = np.zeros(values.shape[0])
    for column, weight in enumerate(weights):
        total += values[:, column] * weight
    return total


def axis_scores(
    item_scores: np.ndarray,
    applicable: np.ndarray,
    dont_know: np.ndarray,
    weights: np.ndarray,
    item_axes: Sequence[str],
    axes: Sequence[str] = AXES,
    min_coverage: float = MIN_COVERAGE,
) -> dict[str, dict[str, np.ndarray]]:
    """Axis scores of n responses over k items.

    :param item_scores: (n, k) item scores on 0–100, already reversed where needed; NaN where the
        item is not answered (skipped, « ne sait pas » or not applicable).
    :param applicable: (n, k) bool, whether the item applies to the response.
    :param dont_know: (n, k) bool, whether the item was answered « ne sait pas ».
    :param weights: (k,) positive item weights.
    :param item_axes: (k,) the axis of each item.
    :returns: per axis, arrays of length n: ``score`` (NaN when coverage < min_coverage or nothing
        applies), ``coverage``, ``dont_know_share`` (0–1), ``applicable``, ``answered`` and
        ``dont_know`` (item counts).
    """
    item_scores = np.asarray(item_scores, dtype=float)
    applicable = np.asarray(applicable, dtype=bool)
    dont_know = np.asarray(dont_know, dtype=bool) & applicable
    answered = applicable & ~np.isnan(item_scores)
    weights = np.asarray(weights, dtype=float)
    item_axes = np.asarray(item_axes)
    results: dict[str, dict[str, np.ndarray]] = {}
    for axis in axes:
        on_axis = item_axes == axis
        w = weights[on_axis]
        applicable_weight = _weighted_sum(applicable[:, on_axis], w)
        answered_weight = _weighted_sum(answered[:, on_axis], w)
        weighted_sum = _weighted_sum(
            np.where(answered[:, on_axis], item_scores[:, on_axis], 0.0), w
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            coverage = np.where(applicable_weight > 0, answered_weight / applicable_weight, 0.0)
            dont_know_share = np.where(
                applicable_weight > 0,
                _weighted_sum(dont_know[:, on_axis], w) / applicable_weight,
                0.0,
            )
            # Rounding can push a mean of 100s a hair above 100: keep it on the scale.
            mean = np.clip(weighted_sum / answered_weight, 0.0, 100.0)
        # A tolerance so that exactly half of the weight, computed in floating point, counts.
        sufficient = (applicable_weight > 0) & (coverage >= min_coverage - 1e-9)
        results[axis] = {
            "score": np.where(sufficient, mean, np.nan),
            "coverage": coverage,
            "dont_know_share": dont_know_share,
            "applicable": applicable[:, on_axis].sum(axis=1),
            "answered": answered[:, on_axis].sum(axis=1),
            "dont_know": dont_know[:, on_axis].sum(axis=1),
        }
    return results


def item_score(question: Question, value: AnswerValue) -> float:
    """Score 0–100 of an answer to a scale question with an axis; NaN for « ne sait pas »."""
    if value is None:
        return float("nan")
    scale_value = question.scale.find(value)
    if scale_value is None:
        return float("nan")
    return 100.0 - scale_value.score if question.reversed else scale_value.score


def score_axes(
    questionnaire: Questionnaire,
    answers: Mapping[str, AnswerValue],
    min_coverage: float = MIN_COVERAGE,
) -> dict[str, AxisScore]:
    """The three axis scores of one response, scored with its own questionnaire definition.

    The same arithmetic as `axis_scores` — the same additions in the same order, in the same
    double precision — on plain floats: for one response, numpy's per-call cost was most of the
    time of scoring a submission. `tests/scoring/test_scores.py` checks both agree to the bit.
    """
    applicable_ids = applicable_questions(questionnaire, answers)
    sums: dict[str, list] = {axis: [0.0, 0.0, 0.0, 0.0, 0, 0, 0] for axis in AXES}
    for question in questionnaire.questions:
        if question.axis is None:
            continue
        totals = sums.get(question.axis)
        if totals is None:  # not one of AXES: axis_scores leaves it out too
            continue
        weight = float(question.weight)
        applies = question.id in applicable_ids
        answered_it = question.id in answers
        score = item_score(question, answers[question.id]) if answered_it else math.nan
        dont_know = applies and answered_it and answers[question.id] is None
        answered = applies and not math.isnan(score)
        # applicable weight, answered weight, weighted sum of scores, « ne sait pas » weight
        totals[0] += (1.0 if applies else 0.0) * weight
        totals[1] += (1.0 if answered else 0.0) * weight
        totals[2] += (score if answered else 0.0) * weight
        totals[3] += (1.0 if dont_know else 0.0) * weight
        totals[4] += applies
        totals[5] += answered
        totals[6] += dont_know
    results = {}
    for axis, (applicable_weight, answered_weight, weighted_sum, dont_know_weight,
               applicable_items, answered_items, dont_know_items) in sums.items():
        if applicable_weight > 0:
            coverage = answered_weight / applicable_weight
            dont_know_share = dont_know_weight / applicable_weight
        else:
            coverage = dont_know_share = 0.0
        mean = weighted_sum / answered_weight if answered_weight else math.nan
        if not math.isnan(mean):
            # Rounding can push a mean of 100s a hair above 100: keep it on the scale.
            mean = min(max(mean, 0.0), 100.0)
        sufficient = applicable_weight > 0 and coverage >= min_coverage - 1e-9
        results[axis] = AxisScore(
            axis=axis,
            score=mean if sufficient and not math.isnan(mean) else None,
            coverage=coverage,
            dont_know_share=dont_know_share,
            applicable_items=applicable_items,
            answered_items=answered_items,
            dont_know_items=dont_know_items,
        )
    return results


def score_axes_with_arrays(
    questionnaire: Questionnaire,
    answers: Mapping[str, AnswerValue],
    min_coverage: float = MIN_COVERAGE,
) -> dict[str, AxisScore]:
    """`score_axes` through `axis_scores` (numpy), as many responses at once are scored: the
    reference the plain-float path is checked against."""
    items = [q for q in questionnaire.questions if q.axis is not None]
    applicable_ids = applicable_questions(questionnaire, answers)
    scores = np.array(
        [[item_score(q, answers[q.id]) if q.id in answers else np.nan for q in items]], dtype=float
    ).reshape(1, len(items))
    applicable = np.array([[q.id in applicable_ids for q in items]], dtype=bool).reshape(1, -1)
    dont_know = np.array(
        [[q.id in answers and answers[q.id] is None for q in items]], dtype=bool
    ).reshape(1, -1)
    weights = np.array([q.weight for q in items], dtype=float)
    raw = axis_scores(
        scores, applicable, dont_know, weights, [q.axis for q in items], min_coverage=min_coverage
    )
    results = {}
    for axis, values in raw.items():
        score = float(values["score"][0])
        results[axis] = AxisScore(
            axis=axis,
            score=None if np.isnan(score) else score,
            coverage=float(values["coverage"][0]),
            dont_know_share=float(values["dont_know_share"][0]),
            applicable_items=int(values["applicable"][0]),
            answered_items=int(values["answered"][0]),
            dont_know_items=int(values["dont_know"][0]),
        )
    return results
