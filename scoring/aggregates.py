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

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from questionnaires import AnswerValue, Questionnaire, applicable_answers

from . import suppression
from .benchmarks import Histogram
from .perception import classify_group
from .suppression import Cell

DONT_KNOW = "nsp"
ALL = "all"

Metrics = Mapping[str, tuple[int, float]]


def response_metrics(
    questionnaire: Questionnaire, answers: Mapping[str, AnswerValue], day: date
) -> dict[str, tuple[int, float]]:
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
            chosen = (
                [DONT_KNOW] if value is None else (value if isinstance(value, list) else [value])
            )
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
    """The counts and impact-score histograms of one group of responses.

    `complements`: for a group seen through a filter, what each wider view shown to the same
    reader (the whole campaign, an enclosing territory) counts beyond it. A figure whose
    complement rests on 1 to `min_size − 1` responses is hidden: the difference would show it.
    """

    metrics: Metrics
    histograms: Mapping[str, Histogram] = field(default_factory=dict)
    complements: tuple[Metrics, ...] = ()

    @property
    def n(self) -> int:
        return self.count("n")

    def count(self, metric: str) -> int:
        return self.metrics.get(metric, (0, 0.0))[0]

    def total(self, metric: str) -> float:
        return self.metrics.get(metric, (0, 0.0))[1]

    def cell(self, metrics: Sequence[str], value: float | None, min_size: int) -> Cell:
        """`value`, computed from the responses counted by `metrics`, protected."""
        cell = suppression.protect(
            sum(self.count(metric) for metric in metrics), value, min_size)
        if cell.suppressed or cell.n == 0:
            return cell
        for complement in self.complements:
            rest = sum(complement.get(metric, (0, 0.0))[0] for metric in metrics)
            if 0 < rest < min_size:
                return Cell(n=cell.n, value=None, suppressed=True)
        return cell


def merge(groups: Iterable[Group]) -> Group:
    groups = list(groups)
    histograms: dict[str, list[tuple[int, int]]] = {}
    for group in groups:
        for axis, histogram in group.histograms.items():
            histograms.setdefault(axis, []).extend(
                zip(histogram.keys.tolist(), histogram.counts.tolist(), strict=True)
            )
    return Group(
        add_metrics(group.metrics for group in groups),
        {axis: Histogram.from_pairs(pairs) for axis, pairs in histograms.items()},
    )


def subtract(whole: Metrics, part: Metrics) -> dict[str, tuple[int, float]]:
    """What `whole` counts beyond `part` (a sub-group of it)."""
    return {
        metric: (count - part.get(metric, (0, 0.0))[0], total - part.get(metric, (0, 0.0))[1])
        for metric, (count, total) in whole.items()
    }


class _Sum(Mapping):
    """Several groups' metrics added up, metric by metric as they are asked for."""

    def __init__(self, parts: Sequence[Metrics]) -> None:
        self.parts = parts

    def get(self, metric, default=None):
        count, total, found = 0, 0.0, False
        for part in self.parts:
            entry = part.get(metric)
            if entry is not None:
                count, total, found = count + entry[0], total + entry[1], True
        return (count, total) if found else default

    def __getitem__(self, metric):
        entry = self.get(metric)
        if entry is None:
            raise KeyError(metric)
        return entry

    def __iter__(self):
        return iter({metric for part in self.parts for metric in part})

    def __len__(self) -> int:
        return sum(1 for _metric in self)


def pool(groups: Sequence[Group]) -> Group:
    """Groups counted together, their complements too (no histograms)."""
    depth = min((len(group.complements) for group in groups), default=0)
    return Group(
        _Sum([group.metrics for group in groups]),
        complements=tuple(
            _Sum([group.complements[level] for group in groups]) for level in range(depth)
        ),
    )


Figure = Callable[[Group], Cell]


def with_total(
    groups: Mapping[str, Group], figure: Figure, min_size: int
) -> tuple[dict[str, Cell], Cell]:
    """`figure` for each group, and for all of them together. The total covers every group
    when the hidden ones together rest on no response or on at least `min_size`, and the shown
    groups only otherwise: subtracting the shown parts from it never reveals a hidden one."""
    parts = {key: figure(group) for key, group in groups.items()}
    hidden = [key for key, cell in parts.items() if cell.suppressed]
    if 0 < sum(parts[key].n for key in hidden) < min_size:
        kept = [group for key, group in groups.items() if key not in hidden]
        total = figure(pool(kept))
        if total.n == 0:
            total = Cell(n=0, value=None, suppressed=True)
        return parts, total
    return parts, figure(pool(list(groups.values())))


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


def _mean(domain: str, min_size: int) -> Figure:
    def figure(group: Group) -> Cell:
        metric = f"rating:{domain}"
        return group.cell([metric], _ratio(group.total(metric), group.count(metric)), min_size)

    return figure


def _priority(domain: str, min_size: int) -> Figure:
    def figure(group: Group) -> Cell:
        answered = group.count("q:priorites")
        return group.cell(
            ["q:priorites"], _ratio(group.count(f"q:priorites={domain}"), answered), min_size
        )

    return figure


def _dont_know(domain: str, min_size: int) -> Figure:
    def figure(group: Group) -> Cell:
        metrics = [f"rating:{domain}", f"rating_nsp:{domain}"]
        asked = sum(group.count(metric) for metric in metrics)
        return group.cell(metrics, _ratio(group.count(f"rating_nsp:{domain}"), asked), min_size)

    return figure


def _classified(mean: Cell, priority: Cell, dont_know: Cell, index: float | None) -> PerceivedCell:
    if mean.suppressed or priority.suppressed:
        classification = "suppressed"
    else:
        classification = classify_group(mean.value, priority.value, index)
    return PerceivedCell(mean, priority, dont_know, classification)


def perceived_fragility(
    groups: Mapping[str, Group],
    domains: Sequence[str],
    indices: Mapping[str, float | None],
    min_size: int,
) -> list[DomainRow]:
    """For each domain: each group's mean rating, priority share and « ne sait pas » share,
    classified against the territory's fragility index; and the same for all groups together
    (`with_total`, so that no hidden figure can be worked out)."""
    rows = []
    for domain in domains:
        index = indices.get(domain)
        figures = [
            with_total(groups, make(domain, min_size), min_size)
            for make in (_mean, _priority, _dont_know)
        ]
        rows.append(
            DomainRow(
                domain=domain,
                index=index,
                groups={
                    key: _classified(*(parts[key] for parts, _total in figures), index)
                    for key in groups
                },
                total=_classified(*(total for _parts, total in figures), index),
            )
        )
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
    cell = suppression.protect(n, 0.0 if n else None, min_size)
    if cell.suppressed or n == 0:
        return Quartiles(n=n, suppressed=cell.suppressed)
    return Quartiles(
        n=n,
        suppressed=False,
        median=round(histogram.quantile(50), 1),
        q1=round(histogram.quantile(25), 1),
        q3=round(histogram.quantile(75), 1),
    )


def impact_profiles(
    groups: Mapping[str, Group], axes: Sequence[str], min_size: int
) -> dict[str, dict[str, Quartiles]]:
    return {
        key: {axis: quartiles(group.histograms.get(axis), min_size) for axis in axes}
        for key, group in groups.items()
    }


def choice_shares(
    groups: Mapping[str, Group], question: str, values: Sequence[str], min_size: int
) -> tuple[dict[str, dict[str, Cell]], dict[str, Cell]]:
    """Per group, the share (0–1) of those who answered `question` choosing each value; and the
    same for all groups together (`with_total`)."""
    per_group: dict[str, dict[str, Cell]] = {key: {} for key in groups}
    totals: dict[str, Cell] = {}
    for value in values:

        def share(group: Group, value: str = value) -> Cell:
            answered = group.count(f"q:{question}")
            return group.cell(
                [f"q:{question}"], _ratio(group.count(f"q:{question}={value}"), answered), min_size
            )

        parts, totals[value] = with_total(groups, share, min_size)
        for key, cell in parts.items():
            per_group[key][value] = cell
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


def perceived_from_matrix(
    actors: np.ndarray,
    ratings: np.ndarray,
    priorities: np.ndarray,
    answered_priorities: np.ndarray,
    actor_keys: Sequence[str],
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
        results[key] = {
            "rated": rated,
            "mean": np.where(rated > 0, mean, np.nan),
            "answered": np.full(block.shape[1], answered),
            "priority": np.where(answered > 0, share, np.nan),
        }
    return results
