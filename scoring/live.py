"""The live figures of a workshop, from its participants' answers as they stand.

A workshop has at most a few hundred participants: the figures are recomputed from their answers
at every projector update (no state between two updates). Every figure is protected like a
campaign's (`scoring.suppression.protect`, totals by `with_total`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from questionnaires import AnswerValue, Questionnaire
from questionnaires.answers import applicable_answers

from . import suppression
from .aggregates import (
    DONT_KNOW,
    DomainRow,
    Group,
    Quartiles,
    add_metrics,
    impact_profiles,
    perceived_fragility,
    quartiles,
    response_metrics,
)
from .benchmarks import Histogram
from .scores import AXES, score_axes
from .suppression import Cell

#: How many priority domains the projector lists.
TOP_PRIORITIES = 5


@dataclass(frozen=True)
class Bar:
    #: A scale value, or `nsp` for « ne sait pas ».
    value: object
    count: int


@dataclass(frozen=True)
class ScaleHistogram:
    """The answers to one scale question: how many chose each value, and the mean score (0–100).
    Nothing is shown below `min_size` answers."""

    question: str
    n: int
    suppressed: bool
    bars: tuple[Bar, ...] = ()
    mean: float | None = None


@dataclass(frozen=True)
class LiveFigures:
    #: Participants per actor type (those who said which they are).
    participants: dict[str, int]
    #: Participants who answered at least one question besides their actor type.
    answering: int
    #: The domains most often named a priority by all the room: (domain, share cell), best first.
    priorities: list[tuple[str, Cell]]
    #: Perceived fragility of every domain, per actor type and in total.
    domains: list[DomainRow]
    #: Median and quartiles of each impact score, per actor type and for the whole room ("all").
    profiles: dict[str, dict[str, Quartiles]]
    histogram: ScaleHistogram | None


def live_figures(
    questionnaire: Questionnaire,
    participants: Sequence[tuple[str, Mapping[str, AnswerValue]]],
    actors: Sequence[str],
    domains: Sequence[str],
    min_size: int,
    day: date,
    histogram_question: str | None = None,
) -> LiveFigures:
    """The figures of the room from `(actor type, answers)` of each participant who chose an
    actor type; `histogram_question`: a scale question whose answers to show."""
    by_actor: dict[str, list[Mapping[str, AnswerValue]]] = {actor: [] for actor in actors}
    for actor, answers in participants:
        by_actor.setdefault(actor, []).append(answers)
    # The actor type is said to take part, the territory is the workshop's: neither is an answer.
    territory = questionnaire.territory_question
    given_by_the_room = {questionnaire.actor_question, territory.id if territory else None}
    answering = sum(
        1
        for _actor, answers in participants
        if any(key not in given_by_the_room for key in answers)
    )
    groups = {}
    for actor, answer_sets in by_actor.items():
        scores: dict[str, list[float]] = {axis: [] for axis in AXES}
        for answers in answer_sets:
            for axis, result in score_axes(questionnaire, answers).items():
                if result.score is not None:
                    scores[axis].append(result.score)
        groups[actor] = Group(
            add_metrics(response_metrics(questionnaire, answers, day) for answers in answer_sets),
            {axis: Histogram.from_scores(values) for axis, values in scores.items() if values},
        )
    rows = perceived_fragility(groups, domains, {}, min_size)
    # A domain nobody named is no priority of the room.
    ranked = [(row.domain, row.total.priority) for row in rows
              if row.total.priority.shown and row.total.priority.value > 0]
    ranked.sort(key=lambda item: (-item[1].value, domains.index(item[0])))
    profiles = impact_profiles(groups, AXES, min_size)
    profiles["all"] = {axis: _room_quartiles(groups, profiles, axis, min_size) for axis in AXES}
    histogram = None
    if histogram_question is not None:
        histogram = scale_histogram(
            questionnaire, [answers for _a, answers in participants], histogram_question, min_size
        )
    return LiveFigures(
        participants={actor: len(answer_sets) for actor, answer_sets in by_actor.items()},
        answering=answering,
        priorities=ranked[:TOP_PRIORITIES],
        domains=rows,
        profiles=profiles,
        histogram=histogram,
    )


def _room_quartiles(groups: Mapping[str, Group], profiles: Mapping[str, Mapping[str, Quartiles]],
                    axis: str, min_size: int) -> Quartiles:
    """The whole room's quartiles of `axis`. Like `with_total`: when the hidden groups together
    rest on 1 to `min_size − 1` scores, the room covers the shown groups only, or comparing it
    with them would tell where the hidden participants stand."""
    hidden = [key for key in groups if profiles[key][axis].suppressed]
    if 0 < sum(profiles[key][axis].n for key in hidden) < min_size:
        kept = [group for key, group in groups.items() if key not in hidden]
        histogram = _merged_histograms(kept).get(axis)
        if histogram is not None:
            return quartiles(histogram, min_size)
        # Nothing shown: the room is the hidden groups, fewer than `min_size`, hidden too.
    return quartiles(_merged_histograms(groups.values()).get(axis), min_size)


def _merged_histograms(groups) -> dict[str, Histogram]:
    pairs: dict[str, list[tuple[int, int]]] = {}
    for group in groups:
        for axis, histogram in group.histograms.items():
            pairs.setdefault(axis, []).extend(
                zip(histogram.keys.tolist(), histogram.counts.tolist(), strict=True)
            )
    return {axis: Histogram.from_pairs(values) for axis, values in pairs.items()}


def scale_histogram(
    questionnaire: Questionnaire,
    answer_sets: Sequence[Mapping[str, AnswerValue]],
    question_id: str,
    min_size: int,
) -> ScaleHistogram | None:
    """How the room answered a scale question; None when it is not a scale question."""
    question = questionnaire.question(question_id)
    if question is None or question.type != "scale":
        return None
    counts: dict[object, int] = {item.value: 0 for item in question.scale.values}
    dont_know = 0
    scores = []
    for answers in answer_sets:
        kept = applicable_answers(questionnaire, answers)
        if question_id not in kept:
            continue
        value = kept[question_id]
        if value is None:
            dont_know += 1
            continue
        found = question.scale.find(value)
        if found is None:
            continue
        counts[found.value] += 1
        scores.append(found.score)
    n = sum(counts.values()) + dont_know
    cell = suppression.protect(n, sum(scores) / len(scores) if scores else None, min_size)
    if cell.suppressed or n == 0:
        return ScaleHistogram(question=question_id, n=n, suppressed=cell.suppressed)
    bars = [Bar(value, count) for value, count in counts.items()]
    if question.offers_dont_know:
        bars.append(Bar(DONT_KNOW, dont_know))
    return ScaleHistogram(
        question=question_id, n=n, suppressed=False, bars=tuple(bars), mean=cell.value
    )


__all__ = [
    "Bar",
    "LiveFigures",
    "ScaleHistogram",
    "live_figures",
    "scale_histogram",
]
