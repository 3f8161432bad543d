"""What a group of responses says — a campaign, a workshop —, from running counts, with every
figure protected (`scoring.suppression.protect`).

A group's counts are `metrics`: metric → (count, total):

- `n`: responses; `day:<ISO date>`: responses completed that day;
- `q:<question>`: responses that answered a choice, multi-choice or ranking question (« ne sait
  pas » included); `q:<question>=<value>`: responses that chose that value (`nsp` for « ne sait
  pas »);
- `rating:<domain>`: responses that rated the domain, with the sum of their ratings (0–10) as
  total; `rating_nsp:<domain>`: those who answered « ne sait pas ».

`response_metrics` gives what one response adds; counts add up, so a group's counts are the sum of
its sub-groups' (communes, actor types). Impact scores are kept as histograms (see
`scoring.benchmarks.Histogram`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from questionnaires import AnswerValue, Questionnaire, applicable_answers

from .benchmarks import Histogram
from .perception import classify_group
from .suppression import Cell, protect, protect_row

DONT_KNOW = "nsp"
ALL = "all"

Metrics = Mapping[str, tuple[int, float]]


def response_metrics(questionnaire: Questionnaire, answers: Mapping[str, AnswerValue],
                     day: date) -> dict[str, tuple[int, float]]:
    """The counts one completed response adds to its group."""
    metrics: dict[str, tuple[int, float]] = {"n": (1, 0.0), f"day:{day.isoformat()}": (1, 0.0)}
    kept = applicable_answers(questionnaire, answers)
    for question in questionnaire.questions:
        if question.id not in kept:
            continue
        value = kept[question.id]
        if question.type == "scale" and question.domain:
            if value is None:
                metrics[f"rating_nsp:{question.domain}"] = (1, 0.0)
            else:
                rating = question.scale.find(value).score / 10.0
                metrics[f"rating:{question.domain}"] = (1, rating)
        elif question.type in ("choice", "multi_choice", "ranking"):
            metrics[f"q:{question.id}"] = (1, 0.0)
            chosen = [DONT_KNOW] if value is None else (value if isinstance(value, list)
                                                        else [value])
            for item in chosen:
                metrics[f"q:{question.id}={item}"] = (1, 0.0)
    return metrics


def add_metrics(groups: Iterable[Metrics]) -> dict[str, tuple[int, float]]:
    """The counts of a union of groups."""
    summed: dict[str, list[float]] = {}
    for metrics in groups:
        for metric, (count, total) in metrics.items():
            entry = summed.setdefault(metric, [0, 0.0])
            entry[0] += count
            entry[1] += total
    return {metric: (int(count), total) for metric, (count, total) in summed.items()}


@dataclass(frozen=True)
class Group:
    """The counts and impact-score histograms of one group of responses."""

    metrics: Metrics
    histograms: Mapping[str, Histogram] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.count("n")

    def count(self, metric: str) -> int:
        return self.metrics.get(metric, (0, 0.0))[0]

    def total(self, metric: str) -> float:
        return self.metrics.get(metric, (0, 0.0))[1]


def merge(groups: Iterable[Group]) -> Group:
    groups = list(groups)
    histograms: dict[str, list[tuple[int, int]]] = {}
    for group in groups:
        for axis, histogram in group.histograms.items():
            histograms.setdefault(axis, []).extend(
                zip(histogram.keys.tolist(), histogram.counts.tolist(), strict=True))
    return Group(add_metrics(group.metrics for group in groups),
                 {axis: Histogram.from_pairs(pairs) for axis, pairs in histograms.items()})


# --------------------------------------------------------------------------- summaries


@dataclass(frozen=True)
class PerceivedCell:
    #: Mean rating out of 10.
    mean: Cell
    #: Share (0–1) of the group naming the domain among its priorities.
    priority: Cell
    #: Share (0–1) of « ne sait pas » among those asked the domain.
    dont_know: Cell
    classification: str


@dataclass(frozen=True)
class DomainRow:
    domain: str
    #: Objective fragility index of the territory, 100 = France (None: « non disponible »).
    index: float | None
    groups: Mapping[str, PerceivedCell]
    total: PerceivedCell


def _ratio(numerator: float, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _perceived(group: Group, domain: str, index: float | None, min_size: int
               ) -> tuple[Cell, Cell, Cell]:
    rated = group.count(f"rating:{domain}")
    asked = rated + group.count(f"rating_nsp:{domain}")
    mean = protect(rated, _ratio(group.total(f"rating:{domain}"), rated), min_size)
    answered = group.count("q:priorites")
    priority = protect(answered, _ratio(group.count(f"q:priorites={domain}"), answered),
                       min_size)
    dont_know = protect(asked, _ratio(group.count(f"rating_nsp:{domain}"), asked), min_size)
    return mean, priority, dont_know


def _classified(mean: Cell, priority: Cell, dont_know: Cell, index: float | None
                ) -> PerceivedCell:
    if mean.suppressed or priority.suppressed:
        classification = "suppressed"
    else:
        classification = classify_group(mean.value, priority.value, index)
    return PerceivedCell(mean, priority, dont_know, classification)


def perceived_fragility(groups: Mapping[str, Group], domains: Sequence[str],
                        indices: Mapping[str, float | None], min_size: int) -> list[DomainRow]:
    """For each domain: each group's mean rating, priority share and « ne sait pas » share,
    classified against the territory's fragility index; and the same for all groups together.
    Rows are protected as a whole (`protect_row`), so no hidden figure can be worked out."""
    everyone = merge(groups.values())
    rows = []
    for domain in domains:
        index = indices.get(domain)
        cells = {key: _perceived(group, domain, index, min_size) for key, group in groups.items()}
        totals = _perceived(everyone, domain, index, min_size)
        protected = []
        for position in range(3):
            parts, total = protect_row({k: c[position] for k, c in cells.items()},
                                       totals[position])
            protected.append((parts, total))
        rows.append(DomainRow(
            domain=domain, index=index,
            groups={key: _classified(protected[0][0][key], protected[1][0][key],
                                     protected[2][0][key], index) for key in groups},
            total=_classified(protected[0][1], protected[1][1], protected[2][1], index),
        ))
    return rows


@dataclass(frozen=True)
class Quartiles:
    n: int
    suppressed: bool
    median: float | None = None
    q1: float | None = None
    q3: float | None = None

    def as_dict(self) -> dict:
        if self.suppressed:
            return {"suppressed": True}
        return {"n": self.n, "median": self.median, "q1": self.q1, "q3": self.q3}


def quartiles(histogram: Histogram | None, min_size: int) -> Quartiles:
    """Median and quartiles of a group's scores, protected like any figure."""
    n = histogram.n if histogram is not None else 0
    cell = protect(n, 0.0 if n else None, min_size)
    if cell.suppressed or n == 0:
        return Quartiles(n=n, suppressed=cell.suppressed)
    return Quartiles(n=n, suppressed=False, median=round(histogram.quantile(50), 1),
                     q1=round(histogram.quantile(25), 1), q3=round(histogram.quantile(75), 1))


def impact_profiles(groups: Mapping[str, Group], axes: Sequence[str], min_size: int
                    ) -> dict[str, dict[str, Quartiles]]:
    return {key: {axis: quartiles(group.histograms.get(axis), min_size) for axis in axes}
            for key, group in groups.items()}


def choice_shares(groups: Mapping[str, Group], question: str, values: Sequence[str],
                  min_size: int) -> tuple[dict[str, dict[str, Cell]], dict[str, Cell]]:
    """Per group, the share (0–1) of those who answered `question` choosing each value; and the
    same for all groups together. Protected value by value across the groups."""
    everyone = merge(groups.values())
    per_group: dict[str, dict[str, Cell]] = {key: {} for key in groups}
    totals: dict[str, Cell] = {}
    for value in values:
        metric = f"q:{question}={value}"
        parts = {
            key: protect(group.count(f"q:{question}"),
                         _ratio(group.count(metric), group.count(f"q:{question}")), min_size)
            for key, group in groups.items()
        }
        total = protect(everyone.count(f"q:{question}"),
                        _ratio(everyone.count(metric), everyone.count(f"q:{question}")),
                        min_size)
        parts, total = protect_row(parts, total)
        for key, cell in parts.items():
            per_group[key][value] = cell
        totals[value] = total
    return per_group, totals


def participation(groups: Mapping[str, Group]) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Responses per group, and per group per day (ISO dates, sorted). Counts of responses are
    shown as they are: they tell participation, not answers."""
    counts = {key: group.n for key, group in groups.items()}
    days: dict[str, dict[str, int]] = {}
    for key, group in groups.items():
        for metric, (count, _total) in group.metrics.items():
            if metric.startswith("day:"):
                days.setdefault(key, {})[metric[4:]] = count
    return counts, {key: dict(sorted(values.items())) for key, values in days.items()}


# --------------------------------------------------------------------------- one numpy pass


def perceived_from_matrix(actors: np.ndarray, ratings: np.ndarray, priorities: np.ndarray,
                          answered_priorities: np.ndarray, actor_keys: Sequence[str]
                          ) -> dict[str, dict[str, np.ndarray]]:
    """Rated count, mean rating and priority share of each domain per actor type, straight from
    the answer matrix: the lower bound a dashboard is measured against, and a check of the counts.

    :param actors: (n,) index of each response's actor type in `actor_keys`.
    :param ratings: (n, d) ratings 0–10, NaN when not rated (or « ne sait pas »).
    :param priorities: (n, d) bool, domain named a priority.
    :param answered_priorities: (n,) bool, the response answered the priorities question.
    """
    results = {}
    for index, key in enumerate(actor_keys):
        mine = actors == index
        block = ratings[mine]
        rated = np.count_nonzero(~np.isnan(block), axis=0)
        answered = np.count_nonzero(answered_priorities[mine])
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nansum(block, axis=0) / rated
            share = priorities[mine].sum(axis=0) / answered
        results[key] = {"rated": rated, "mean": np.where(rated > 0, mean, np.nan),
                        "answered": np.full(block.shape[1], answered),
                        "priority": np.where(answered > 0, share, np.nan)}
    return results
