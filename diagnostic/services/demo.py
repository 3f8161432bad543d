"""Synthetic demo responses: plausible completed answers to the four full questionnaires, loaded in
bulk for demonstrations and load tests, flagged `is_demo` and removed by `purge_demo`.

Everything is drawn from one seed, so the same seed (and batch size) gives the same answers:

- respondents: actor types ~45 % citizens, 25 % companies, 20 % associations, 10 % elected
  officials, each answering the latest version of their questionnaire; a commune drawn among the
  loaded communes weighted by population; completed over the last 18 months, more often recently
  (response ids follow time); mostly in French;
- the 16 fragility ratings (0–10, ~5 % « ne sait pas ») around `rating_mean`: the region's objective
  fragility index for the domain (100 → 5.5, +1 per +25, clipped) plus an actor offset; `priorites`
  the three highest-rated domains, ties broken at random;
- partnerships: « oui » with an actor-dependent probability (`PARTNERSHIP_YES`), a few « ne sait
  pas »; the partners, practices and domains then random non-empty subsets;
- agreement items from a latent score per response and axis (actor mean, region offset drawn once
  from the seed, a bonus with partnerships, spread between respondents) plus item noise; reversed
  items are answered the other way; ~8 % « ne sait pas »;
- other choice questions: an option drawn with weights drawn once per question; a question whose
  `show_if` does not hold gets no answer; a text question is never answered.

Scores are computed with `scoring.axis_scores` over a whole batch, with each questionnaire's items,
applicability, weights and reversal — exactly what `score_axes` gives a real response
(`axis_scores` sums item by item, whatever the number of responses).

Rows are written in batches, never as ORM objects: on SQLite, responses and scores by DBAPI
executemany and answers expanded by SQLite itself from one JSON object per response (`json_each`,
~2× faster than executemany of the rows; ~5,000 responses/s on 2 cores); on PostgreSQL by COPY
(~1,500 responses/s: the server checks the foreign key of each answer row). Another database falls
back to SQLAlchemy Core `insert()` executemany (~1,000 responses/s: per-row processing).
Stored values are the same in every case (the JSON text SQLAlchemy's JSON type writes).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import delete, func, insert, select, true, update

from questionnaires import Question, Questionnaire
from scoring import AXES, axis_scores

from ..extensions import db
from ..models import Answer, Response, ResponseScore, Territory, utcnow
from ..registry import catalog
from .benchmarks import rebuild_distributions
from .reference import territory_fragility

#: Share of each actor type among demo respondents.
ACTOR_SHARES = {"citoyen": 0.45, "entreprise": 0.25, "association": 0.20, "elu": 0.10}
#: Probability of answering « oui » to `partenariats`, by actor type.
PARTNERSHIP_YES = {"citoyen": 0.30, "entreprise": 0.37, "association": 0.38, "elu": 0.55}
PARTNERSHIP_DONT_KNOW = 0.03
RATING_DONT_KNOW = 0.05
AGREEMENT_DONT_KNOW = 0.08
#: « Ne sait pas » on other questions that offer it.
OTHER_DONT_KNOW = 0.04
ENGLISH_SHARE = 0.07
#: Completed over this many days before now.
PERIOD_DAYS = 548

#: Fragility rating: the mean at the national level (index 100), points per 25 points of index,
#: bounds of the mean before the actor offset, spread between respondents.
RATING_AT_NATIONAL = 5.5
INDEX_POINTS_PER_RATING_POINT = 25.0
RATING_MEAN_BOUNDS = (1.5, 9.0)
RATING_SD = 2.0
#: What each actor type sees more (or less) than others, in rating points.
ACTOR_RATING_OFFSETS = {
    "citoyen": {
        "niveau_de_vie": 1.0,
        "securite": 0.6,
        "sante": 0.6,
        "environnement": 0.4,
        "developpement_economique": -0.3,
    },
    "entreprise": {
        "emploi": 1.0,
        "developpement_economique": 0.8,
        "mobilite": 0.5,
        "numerique": 0.3,
        "culture": -0.4,
        "diversite": -0.3,
    },
    "association": {
        "pauvrete": 1.0,
        "isolement": 0.9,
        "logement": 0.6,
        "diversite": 0.5,
        "developpement_economique": -0.4,
    },
    "elu": {
        "mobilite": 0.9,
        "sante": 0.8,
        "vieillissement": 0.6,
        "transition_energetique": 0.4,
        "securite": -0.3,
    },
}

#: Latent impact score (0–100) by actor type and axis, its spread between respondents, the spread
#: of the regional offsets, the bonus of respondents with partnerships and the item noise.
LATENT_MEANS = {
    "citoyen": {"confiance": 48.0, "performance": 52.0, "innovation": 55.0},
    "entreprise": {"confiance": 56.0, "performance": 54.0, "innovation": 57.0},
    "association": {"confiance": 60.0, "performance": 56.0, "innovation": 61.0},
    "elu": {"confiance": 58.0, "performance": 60.0, "innovation": 57.0},
}
LATENT_SD = 14.0
REGION_OFFSET_SD = 4.0
PARTNERSHIP_BONUS = 8.0
ITEM_SD = 18.0
#: Probability that each option of a multiple choice is ticked (at least one always is).
OPTION_SHARE = 0.3

NO_ANSWER = -1
DONT_KNOW = -2


def rating_mean(index: float | None, actor: str, domain: str) -> float:
    """Mean fragility rating (0–10) drawn for a domain by an actor type in a region.

    `index` is the region's objective fragility index for the domain (100 = France; None: no
    index): 100 gives 5.5, each 25 points more one point more, clipped to 1.5–9; then the actor
    type's offset for the domain; the result stays within 0.5–9.5.
    """
    base = RATING_AT_NATIONAL
    if index is not None and math.isfinite(index):
        base += (index - 100.0) / INDEX_POINTS_PER_RATING_POINT
    low, high = RATING_MEAN_BOUNDS
    base = min(max(base, low), high)
    return min(max(base + ACTOR_RATING_OFFSETS.get(actor, {}).get(domain, 0.0), 0.5), 9.5)


def demo_count() -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Response).where(Response.is_demo == true())
        )
        or 0
    )


def purge_demo() -> int:
    """Delete every demo response with its answers and scores, then recount the reference groups.

    Real responses, territories and reference data stay. Returns the number of responses removed.
    """
    demo_ids = select(Response.id).where(Response.is_demo == true())
    bulk = {"synchronize_session": False}
    db.session.execute(
        delete(Answer).where(Answer.response_id.in_(demo_ids)), execution_options=bulk
    )
    db.session.execute(
        delete(ResponseScore).where(ResponseScore.response_id.in_(demo_ids)), execution_options=bulk
    )
    # A real response never redoes a demo one, but ON DELETE SET NULL is not left to chance.
    db.session.execute(
        update(Response).where(Response.previous_id.in_(demo_ids)).values(previous_id=None),
        execution_options=bulk,
    )
    removed = db.session.execute(
        delete(Response).where(Response.is_demo == true()), execution_options=bulk
    ).rowcount
    db.session.commit()
    db.session.expire_all()
    rebuild_distributions()
    return removed or 0


# --------------------------------------------------------------------------- drawing


@dataclass(frozen=True)
class _Communes:
    keys: np.ndarray  # "commune:<code>" (object)
    regions: np.ndarray  # region index of each commune
    region_codes: np.ndarray  # region code of each commune (object; None where unknown)
    weights: np.ndarray  # population shares


@dataclass
class _Plan:
    """What is drawn for one questionnaire, fixed for the whole load."""

    questionnaire: Questionnaire
    actor: str
    #: Mean rating per region and domain question (n_regions, n_domain_questions).
    rating_means: np.ndarray
    #: Latent mean per region and axis (n_regions, 3).
    latent_means: np.ndarray
    #: Option weights of each choice question.
    choice_weights: dict[str, np.ndarray]
    items: list[Question]
    weights: np.ndarray
    item_axes: list[str]


class _Codes:
    """How the answers to one question are coded in arrays, and their stored values.

    A code is NO_ANSWER, DONT_KNOW or: the index of a scale value or option (scale, choice),
    a bit mask of options (multiple choice), option indices + 1 in base n + 1 (ranking), a commune
    index (territory), the offset from the minimum (number).
    """

    def __init__(self, question: Question, communes: _Communes) -> None:
        self.question = question
        self.communes = communes
        self._values: dict[int, object] = {}
        self._texts: dict[int, str] = {}

    def value(self, code: int) -> object:
        if code in self._values:
            return self._values[code]
        question = self.question
        kind = question.type
        if code == DONT_KNOW:
            value = None
        elif kind == "scale":
            value = question.scale.values[code].value
        elif kind == "choice":
            value = question.options[code].value
        elif kind == "multi_choice":
            value = [o.value for i, o in enumerate(question.options) if code >> i & 1]
        elif kind == "ranking":
            base, value = len(question.options) + 1, []
            while code:
                code, digit = divmod(code, base)
                value.append(question.options[digit - 1].value)
        elif kind == "territory":
            value = self.communes.keys[code]
        elif kind == "number":
            value = int((question.minimum or 0) + code)
        else:  # never drawn
            raise AssertionError(kind)
        self._values[code] = value
        return value

    def text(self, code: int) -> str:
        """The JSON text stored for a code, as SQLAlchemy's JSON type writes it."""
        if code not in self._texts:
            self._texts[code] = json.dumps(self.value(code))
        return self._texts[code]

    def table(self, codes: np.ndarray, make: Callable[[int], object]) -> np.ndarray:
        """`make(code)` for every answered code (object array, None where unanswered)."""
        out = np.full(codes.shape, None, dtype=object)
        answered = codes != NO_ANSWER
        if answered.any():
            unique, inverse = np.unique(codes[answered], return_inverse=True)
            made = np.empty(unique.size, dtype=object)
            for position, code in enumerate(unique.tolist()):
                made[position] = make(code)
            out[answered] = made[inverse]
        return out


def _subsets(rng: np.random.Generator, m: int, k: int) -> np.ndarray:
    """Bit masks of random non-empty subsets of k options."""
    ticked = rng.random((m, k)) < OPTION_SHARE
    empty = ~ticked.any(axis=1)
    ticked[empty, rng.integers(0, k, int(empty.sum()))] = True
    return ticked.astype(np.int64) @ (np.int64(1) << np.arange(k, dtype=np.int64))


def _nearest(targets: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Index of the nearest of `points` to each target."""
    return np.abs(targets[..., None] - points).argmin(axis=-1)


def _with_dont_know(rng, codes: np.ndarray, share: float) -> np.ndarray:
    return np.where(rng.random(codes.shape) < share, DONT_KNOW, codes)


class _Drawer:
    """Draws batches of demo responses; the set-up (communes, fragility, offsets) is done once."""

    def __init__(self, seed: int, total: int) -> None:
        self.seed = seed
        self.total = total
        self.now = utcnow().replace(microsecond=0)
        rng = np.random.default_rng([seed, 0])
        self.communes = self._load_communes()
        catalog_ = catalog()
        domains = list(catalog_.vocabulary.domains)
        fragility = self._fragility(domains)
        region_offsets = rng.normal(0.0, REGION_OFFSET_SD, (len(self.region_codes), len(AXES)))
        self.plans: list[_Plan] = []
        self.codes: dict[str, dict[str, _Codes]] = {}
        for actor in ACTOR_SHARES:
            questionnaire = catalog_.get(actor)
            if questionnaire is None or questionnaire.kind != "full":
                raise RuntimeError(f"no full questionnaire {actor!r} to draw demo responses of")
            domain_questions = [
                q for q in questionnaire.questions if q.type == "scale" and q.domain and not q.axis
            ]
            ratings = np.array(
                [
                    [
                        rating_mean(fragility[region].get(q.domain), actor, q.domain)
                        for q in domain_questions
                    ]
                    for region in self.region_codes
                ]
            )
            latent = np.array([LATENT_MEANS[actor][axis] for axis in AXES]) + region_offsets
            choice_weights = {
                q.id: rng.dirichlet(np.full(len(q.options), 2.0))
                for q in questionnaire.questions
                if q.type == "choice"
            }
            items = [q for q in questionnaire.questions if q.axis is not None]
            self.plans.append(
                _Plan(
                    questionnaire=questionnaire,
                    actor=actor,
                    rating_means=ratings.reshape(len(self.region_codes), len(domain_questions)),
                    latent_means=latent,
                    choice_weights=choice_weights,
                    items=items,
                    weights=np.array([q.weight for q in items], dtype=float),
                    item_axes=[q.axis for q in items],
                )
            )
            self.codes[actor] = {q.id: _Codes(q, self.communes) for q in questionnaire.questions}

    # ----------------------------------------------------------------------- set-up

    def _load_communes(self) -> _Communes:
        rows = db.session.execute(
            select(Territory.code, Territory.region_code, Territory.population)
            .where(Territory.level == "commune")
            .order_by(Territory.code)
        ).all()
        if not rows:
            raise RuntimeError("no commune is loaded: run `flask --app diagnostic init-db` first")
        self.region_codes = sorted({region for _c, region, _p in rows if region})
        index = {code: i for i, code in enumerate(self.region_codes)}
        # Communes without a region share a pseudo-region (no index, own offsets).
        if any(region is None for _c, region, _p in rows):
            self.region_codes.append(None)
        regions = np.array([index.get(region, len(index)) for _c, region, _p in rows])
        population = np.array([float(p or 0) for _c, _r, p in rows])
        if population.sum() <= 0:
            population[:] = 1.0
        return _Communes(
            keys=np.array([f"commune:{code}" for code, _r, _p in rows], dtype=object),
            regions=regions,
            region_codes=np.array([region for _c, region, _p in rows], dtype=object),
            weights=population / population.sum(),
        )

    def _fragility(self, domains: list[str]) -> dict[str | None, dict[str, float]]:
        territories = {
            t.code: t
            for t in db.session.scalars(
                select(Territory).where(
                    Territory.level == "region",
                    Territory.code.in_([c for c in self.region_codes if c]),
                )
            )
        }
        result: dict[str | None, dict[str, float]] = {}
        for code in self.region_codes:
            territory = territories.get(code)
            result[code] = (
                {}
                if territory is None
                else {
                    domain: item.index
                    for domain, item in territory_fragility(territory, domains).items()
                    if item.index is not None
                }
            )
        return result

    # ----------------------------------------------------------------------- batches

    def batch(self, number: int, start: int, size: int) -> _Batch:
        """Responses `start` to `start + size` (of `total`), drawn with the batch's own stream."""
        rng = np.random.default_rng([self.seed, 1, number])
        shares = np.array(list(ACTOR_SHARES.values()))
        actors = rng.choice(len(shares), size=size, p=shares / shares.sum())
        communes = rng.choice(len(self.communes.weights), size=size, p=self.communes.weights)
        completed, created = self._times(rng, start, size)
        language = np.where(rng.random(size) < ENGLISH_SHARE, "en", "fr")
        groups = []
        for number_, plan in enumerate(self.plans):
            positions = np.flatnonzero(actors == number_)
            if positions.size:
                groups.append(self._answers(rng, plan, positions, communes[positions]))
        return _Batch(self, size, communes, completed, created, language, groups)

    def _times(self, rng, start: int, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Completion and start times in microseconds since 1970 (UTC).

        The day follows the response's rank in the whole load, with a density rising linearly
        towards now; the time of day peaks mid-morning and in the evening (Paris ≈ UTC+1).
        """
        rank = (start + np.arange(size) + rng.random(size)) / max(self.total, 1)
        days_ago = np.floor((1.0 - np.sqrt(rank)) * PERIOD_DAYS)
        evening = rng.random(size) < 0.45
        hours = np.where(evening, rng.normal(20.5, 1.5, size), rng.normal(10.5, 2.0, size))
        seconds_of_day = (np.clip(hours, 6.0, 23.9) - 1.0) * 3600.0
        midnight = self.now.replace(hour=0, minute=0, second=0)
        micro = 1_000_000
        day0 = int(midnight.timestamp()) * micro
        completed = (
            day0
            - days_ago.astype(np.int64) * 86_400 * micro
            + (seconds_of_day * micro).astype(np.int64)
        )
        completed = np.minimum(completed, int(self.now.timestamp() - 60) * micro)
        minutes = np.exp(rng.normal(np.log(12.0), 0.45, size))
        resumed = rng.random(size) < 0.08
        minutes += np.where(resumed, rng.uniform(60.0, 7 * 24 * 60.0, size), 0.0)
        return completed, completed - (minutes * 60 * micro).astype(np.int64)

    def _answers(self, rng, plan: _Plan, positions: np.ndarray, communes: np.ndarray) -> _Group:
        questionnaire = plan.questionnaire
        m = positions.size
        regions = self.communes.regions[communes]
        codes: dict[str, np.ndarray] = {}
        # Partnerships first: answers to later questions depend on them.
        draw = rng.random(m)
        partners = draw < PARTNERSHIP_YES[plan.actor]
        partnership_dont_know = draw > 1.0 - PARTNERSHIP_DONT_KNOW
        latent = (
            plan.latent_means[regions]
            + rng.normal(0.0, LATENT_SD, (m, len(AXES)))
            + np.where(partners, PARTNERSHIP_BONUS, 0.0)[:, None]
        )
        domain_questions = [
            q for q in questionnaire.questions if q.type == "scale" and q.domain and not q.axis
        ]
        ratings = rng.normal(plan.rating_means[regions], RATING_SD)
        rated: dict[str, np.ndarray] = {}  # domain → rating (NaN: « ne sait pas »)
        for column, question in enumerate(domain_questions):
            # The value whose score (0–100) is nearest the rating (0–10): on the 0–10 scale,
            # the rating rounded.
            points = np.array([v.score for v in question.scale.values]) / 10.0
            chosen = _nearest(ratings[:, column], points)
            if question.offers_dont_know:
                chosen = _with_dont_know(rng, chosen, RATING_DONT_KNOW)
            codes[question.id] = chosen
            rated[question.domain] = np.where(chosen >= 0, points[np.maximum(chosen, 0)], np.nan)
        for question in questionnaire.questions:
            if question.id in codes:
                continue
            kind = question.type
            if kind == "territory":
                codes[question.id] = communes.astype(np.int64)
            elif kind == "text":
                codes[question.id] = np.full(m, NO_ANSWER)
            elif (
                question.id == "partenariats"
                and kind == "choice"
                and question.option("oui")
                and question.option("non")
            ):
                yes = question.options.index(question.option("oui"))
                no = question.options.index(question.option("non"))
                dont_know = partnership_dont_know & question.offers_dont_know
                codes[question.id] = np.where(dont_know, DONT_KNOW, np.where(partners, yes, no))
            elif kind == "choice":
                chosen = rng.choice(
                    len(question.options), size=m, p=plan.choice_weights[question.id]
                )
                if question.offers_dont_know:
                    chosen = _with_dont_know(rng, chosen, OTHER_DONT_KNOW)
                codes[question.id] = chosen
            elif kind == "multi_choice":
                chosen = _subsets(rng, m, len(question.options))
                if question.offers_dont_know:
                    chosen = _with_dont_know(rng, chosen, OTHER_DONT_KNOW)
                codes[question.id] = chosen
            elif kind == "ranking":
                codes[question.id] = self._ranking(rng, question, rated, m)
            elif kind == "scale" and question.axis is not None:
                codes[question.id] = self._agreement(
                    rng, question, latent[:, AXES.index(question.axis)]
                )
            elif kind == "scale":
                chosen = rng.integers(0, len(question.scale.values), m)
                if question.offers_dont_know:
                    chosen = _with_dont_know(rng, chosen, OTHER_DONT_KNOW)
                codes[question.id] = chosen
            elif kind == "number":
                low = question.minimum or 0
                high = question.maximum if question.maximum is not None else low + 10
                codes[question.id] = rng.integers(0, int(high - low) + 1, m)
            else:
                codes[question.id] = np.full(m, NO_ANSWER)
        codes = {q.id: codes[q.id] for q in questionnaire.questions}
        applicable = self._applicability(plan, codes)
        for question_id, applies in applicable.items():
            codes[question_id] = np.where(applies, codes[question_id], NO_ANSWER)
        return _Group(plan, positions, codes, self._scores(plan, codes, applicable))

    def _ranking(self, rng, question: Question, rated: dict[str, np.ndarray], m: int) -> np.ndarray:
        """The highest-rated domains in order (ties at random), else a random order."""
        k = len(question.options)
        limit = min(question.max_choices or k, k)
        base = k + 1
        while base**limit >= 2**62:  # codes stay int64 (a ranking of every option is not drawn)
            limit -= 1
        if all(option.value in rated for option in question.options):
            keys = np.column_stack([rated[option.value] for option in question.options])
            keys = np.where(np.isnan(keys), -1.0, keys + rng.random((m, k)) * 0.5)
        else:
            keys = rng.random((m, k))
        order = np.argsort(-keys, axis=1, kind="stable")[:, :limit]
        ranked = np.take_along_axis(keys, order, axis=1) >= 0
        digits = np.where(ranked, order + 1, 0).astype(np.int64)
        # Pack the chosen options (in rank order) as digits of base k + 1, the first lowest.
        codes = (digits * base ** np.arange(limit, dtype=np.int64)).sum(axis=1)
        return np.where(codes > 0, codes, NO_ANSWER)

    def _agreement(self, rng, question: Question, latent: np.ndarray) -> np.ndarray:
        """The scale value whose item score is nearest the latent score plus item noise."""
        target = np.clip(latent + rng.normal(0.0, ITEM_SD, latent.size), 0.0, 100.0)
        scores = np.array([v.score for v in question.scale.values])
        # A reversed item scores 100 − the value's score: aim the value at 100 − target.
        chosen = _nearest(100.0 - target if question.reversed else target, scores)
        if question.offers_dont_know:
            chosen = _with_dont_know(rng, chosen, AGREEMENT_DONT_KNOW)
        return chosen

    def _applicability(self, plan: _Plan, codes: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Whether each question applies to each response, as `applicable_questions` decides."""
        tables = self.codes[plan.actor]
        applicable: dict[str, np.ndarray] = {}
        for question in plan.questionnaire.questions:
            condition = question.show_if
            size = codes[question.id].size
            if condition is None:
                applicable[question.id] = np.ones(size, dtype=bool)
                continue
            source = np.where(
                applicable.get(condition.question, False), codes[condition.question], NO_ANSWER
            )
            table = tables[condition.question]
            holds = table.table(source, lambda c, t=table, k=condition: k.holds(t.value(c)))
            applicable[question.id] = holds.astype(bool)  # None (no answer) does not hold
        return applicable

    def _scores(
        self, plan: _Plan, codes: dict[str, np.ndarray], applicable: dict[str, np.ndarray]
    ) -> dict[str, dict[str, np.ndarray]]:
        items = plan.items
        m = next(iter(codes.values())).size
        scores = np.full((m, len(items)), np.nan)
        dont_know = np.zeros((m, len(items)), dtype=bool)
        applies = np.zeros((m, len(items)), dtype=bool)
        for column, question in enumerate(items):
            values = np.array(
                [100.0 - v.score if question.reversed else v.score for v in question.scale.values]
            )
            chosen = codes[question.id]
            scores[:, column] = np.where(chosen >= 0, values[np.maximum(chosen, 0)], np.nan)
            dont_know[:, column] = chosen == DONT_KNOW
            applies[:, column] = applicable[question.id]
        return axis_scores(scores, applies, dont_know, plan.weights, plan.item_axes)


@dataclass
class _Group:
    """The responses of one questionnaire in a batch: their positions in it, answer codes and
    scores."""

    plan: _Plan
    positions: np.ndarray
    codes: dict[str, np.ndarray]
    scores: dict[str, dict[str, np.ndarray]]


class _Batch:
    """A batch of drawn responses, turned into rows for each way of writing them."""

    def __init__(
        self,
        drawer: _Drawer,
        size: int,
        communes: np.ndarray,
        completed: np.ndarray,
        created: np.ndarray,
        language: np.ndarray,
        groups: list[_Group],
    ) -> None:
        self.drawer = drawer
        self.size = size
        self.communes = communes
        self.completed = completed
        self.created = created
        self.language = language
        self.groups = groups
        self.questionnaire = np.empty(size, dtype=object)
        self.version = np.zeros(size, dtype=np.int64)
        self.actor = np.empty(size, dtype=object)
        self.section = np.zeros(size, dtype=np.int64)
        for group in groups:
            questionnaire = group.plan.questionnaire
            self.questionnaire[group.positions] = questionnaire.id
            self.version[group.positions] = questionnaire.version
            self.actor[group.positions] = group.plan.actor
            self.section[group.positions] = len(questionnaire.sections) - 1

    @property
    def answer_count(self) -> int:
        return sum(
            int((codes != NO_ANSWER).sum())
            for group in self.groups
            for codes in group.codes.values()
        )

    def response_columns(self, timestamp: Callable[[np.ndarray], list]) -> dict[str, list]:
        """Columns of the response rows (ids excepted), with times formatted by `timestamp`."""
        size = self.size
        # Private tokens are never shown: a hash of random bytes, unique like a real one.
        secret = os.urandom(32 * size)
        public = os.urandom(16 * size).hex()
        completed = timestamp(self.completed)
        communes = self.drawer.communes
        return {
            "public_id": [public[32 * i : 32 * i + 32] for i in range(size)],
            "token_hash": [
                hashlib.sha256(secret[32 * i : 32 * i + 32]).hexdigest() for i in range(size)
            ],
            "questionnaire_id": self.questionnaire.tolist(),
            "questionnaire_version": self.version.tolist(),
            "actor": self.actor.tolist(),
            "territory": communes.keys[self.communes].tolist(),
            "region_code": communes.region_codes[self.communes].tolist(),
            "language": self.language.tolist(),
            "status": ["completed"] * size,
            "current_section": self.section.tolist(),
            "created_at": timestamp(self.created),
            "updated_at": completed,
            "completed_at": completed,
            "is_demo": [True] * size,
        }

    def score_columns(self, ids: np.ndarray) -> dict[str, list]:
        """Columns of the score rows, three per response (in response order, axis by axis)."""
        columns: dict[str, list] = {
            name: []
            for name in (
                "response_id",
                "axis",
                "score",
                "score_key",
                "coverage",
                "dont_know_share",
                "applicable_items",
                "answered_items",
                "dont_know_items",
            )
        }
        for group in self.groups:
            for axis, values in group.scores.items():
                score = values["score"]
                missing = np.isnan(score)
                # scoring.benchmarks.score_key, vectorised: floor(score × 10 + 0.5).
                keys = np.floor(np.where(missing, 0.0, score) * 10 + 0.5).astype(np.int64)
                columns["response_id"] += ids[group.positions].tolist()
                columns["axis"] += [axis] * group.positions.size
                columns["score"] += np.where(missing, None, score).tolist()
                columns["score_key"] += np.where(missing, None, keys).tolist()
                columns["coverage"] += values["coverage"].tolist()
                columns["dont_know_share"] += values["dont_know_share"].tolist()
                columns["applicable_items"] += values["applicable"].tolist()
                columns["answered_items"] += values["answered"].tolist()
                columns["dont_know_items"] += values["dont_know"].tolist()
        return columns

    def answer_objects(self) -> list[str]:
        """Per response, a JSON object `question id → stored JSON text` (SQLite's json_each)."""
        objects: list[str | None] = [None] * self.size
        for group in self.groups:
            tables = self.drawer.codes[group.plan.actor]
            parts = []
            for question_id, codes in group.codes.items():
                prefix = json.dumps(question_id) + ":"
                table = tables[question_id]
                fragments = table.table(
                    codes, lambda c, t=table, p=prefix: p + json.dumps(t.text(c)) + ","
                )
                parts.append(np.where(codes == NO_ANSWER, "", fragments).tolist())
            for position, row in zip(
                group.positions.tolist(), zip(*parts, strict=True), strict=True
            ):
                objects[position] = "{" + "".join(row)[:-1] + "}"
        return objects

    def answer_rows(self, ids: np.ndarray, value: bool = False) -> Iterator[tuple]:
        """(response id, question id, stored JSON text) — or the value itself with `value` —
        in response id order, each response's answers in questionnaire order."""
        response_ids, question_ids, stored = [], [], []
        for group in self.groups:
            tables = self.drawer.codes[group.plan.actor]
            group_ids = ids[group.positions]
            for question_id, codes in group.codes.items():
                answered = codes != NO_ANSWER
                count = int(answered.sum())
                if not count:
                    continue
                table = tables[question_id]
                response_ids.append(group_ids[answered])
                question_ids.append(np.full(count, question_id, dtype=object))
                stored.append(table.table(codes[answered], table.value if value else table.text))
        if not response_ids:
            return iter(())
        all_ids = np.concatenate(response_ids)
        order = np.argsort(all_ids, kind="stable")
        return zip(
            all_ids[order].tolist(),
            np.concatenate(question_ids)[order].tolist(),
            np.concatenate(stored)[order].tolist(),
            strict=True,
        )


# --------------------------------------------------------------------------- writing


def _iso_times(micros: np.ndarray) -> list[str]:
    """'YYYY-MM-DD HH:MM:SS.ffffff' (UTC), how SQLAlchemy stores a datetime in SQLite."""
    return [
        text.replace("T", " ")
        for text in np.datetime_as_string(micros.astype("datetime64[us]"), unit="us").tolist()
    ]


def _sqlite_times(micros: np.ndarray) -> list[str]:
    return _iso_times(micros)


def _postgresql_times(micros: np.ndarray) -> list[str]:
    return [text + "+00" for text in _iso_times(micros)]


def _datetimes(micros: np.ndarray) -> list[datetime]:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return [epoch + timedelta(microseconds=m) for m in micros.tolist()]


def _check_sqlite_time_format() -> None:
    """Refuse to write times SQLAlchemy would not read back as it writes them."""
    column = Response.__table__.c.completed_at
    dialect = db.session.get_bind().dialect
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    sample = datetime(2025, 3, 4, 5, 6, 7, 89, tzinfo=UTC)
    micros = np.array([int(sample.timestamp()) * 1_000_000 + 89])
    expected = processor(sample) if processor else str(sample)
    if _sqlite_times(micros)[0] != expected:
        raise RuntimeError(f"unexpected SQLite datetime format {expected!r}")


RESPONSE_COLUMNS = (
    "public_id",
    "token_hash",
    "questionnaire_id",
    "questionnaire_version",
    "actor",
    "territory",
    "region_code",
    "language",
    "status",
    "current_section",
    "created_at",
    "updated_at",
    "completed_at",
    "is_demo",
)
SCORE_COLUMNS = (
    "response_id",
    "axis",
    "score",
    "score_key",
    "coverage",
    "dont_know_share",
    "applicable_items",
    "answered_items",
    "dont_know_items",
)


def _write_sqlite(batch: _Batch) -> None:
    connection = db.session.connection()
    cursor = connection.connection.driver_connection.cursor()
    try:
        columns = batch.response_columns(_sqlite_times)
        columns["is_demo"] = [1] * batch.size
        cursor.executemany(
            f"INSERT INTO response ({', '.join(RESPONSE_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(RESPONSE_COLUMNS))})",
            zip(*(columns[name] for name in RESPONSE_COLUMNS), strict=True),
        )
        # The write lock is held: the rows got consecutive ids after the largest one.
        last = cursor.execute("SELECT max(id) FROM response").fetchone()[0]
        first = last - batch.size + 1
        found = dict(
            cursor.execute(
                "SELECT id, token_hash FROM response WHERE id IN (?, ?)", (first, last)
            ).fetchall()
        )
        if (
            found.get(first) != columns["token_hash"][0]
            or found.get(last) != columns["token_hash"][-1]
        ):
            raise RuntimeError("demo responses did not get consecutive ids")
        ids = np.arange(first, last + 1, dtype=np.int64)
        scores = batch.score_columns(ids)
        cursor.executemany(
            f"INSERT INTO response_score ({', '.join(SCORE_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(SCORE_COLUMNS))})",
            zip(*(scores[name] for name in SCORE_COLUMNS), strict=True),
        )
        # SQLite expands each response's object into rows: the value is the JSON text itself.
        cursor.executemany(
            "INSERT INTO answer (response_id, question_id, value) "
            "SELECT ?, key, value FROM json_each(?)",
            zip(ids.tolist(), batch.answer_objects(), strict=True),
        )
    finally:
        cursor.close()


def _copy(cursor, table: str, columns: tuple[str, ...], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _write_postgresql(batch: _Batch) -> None:
    connection = db.session.connection()
    ids = np.array(
        connection.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('response', 'id')) "
            "FROM generate_series(1, %(n)s)",
            {"n": batch.size},
        )
        .scalars()
        .all(),
        dtype=np.int64,
    )
    cursor = connection.connection.driver_connection.cursor()
    try:
        columns = batch.response_columns(_postgresql_times)
        _copy(
            cursor,
            "response",
            ("id", *RESPONSE_COLUMNS),
            zip(ids.tolist(), *(columns[name] for name in RESPONSE_COLUMNS), strict=True),
        )
        scores = batch.score_columns(ids)
        _copy(
            cursor,
            "response_score",
            SCORE_COLUMNS,
            zip(*(scores[name] for name in SCORE_COLUMNS), strict=True),
        )
        _copy(cursor, "answer", ("response_id", "question_id", "value"), batch.answer_rows(ids))
    finally:
        cursor.close()


def _write_core(batch: _Batch) -> None:
    """SQLAlchemy Core executemany: any database, but ~5× slower than the native paths."""
    columns = batch.response_columns(_datetimes)
    rows = [
        dict(zip(RESPONSE_COLUMNS, values, strict=True))
        for values in zip(*(columns[name] for name in RESPONSE_COLUMNS), strict=True)
    ]
    ids = np.array(
        db.session.execute(
            insert(Response).returning(Response.id, sort_by_parameter_order=True), rows
        )
        .scalars()
        .all(),
        dtype=np.int64,
    )
    scores = batch.score_columns(ids)
    db.session.execute(
        insert(ResponseScore),
        [
            dict(zip(SCORE_COLUMNS, values, strict=True))
            for values in zip(*(scores[name] for name in SCORE_COLUMNS), strict=True)
        ],
    )
    db.session.execute(
        insert(Answer),
        [
            {"response_id": response_id, "question_id": question_id, "value": value}
            for response_id, question_id, value in batch.answer_rows(ids, value=True)
        ],
    )


def _writer() -> Callable[[_Batch], None]:
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        _check_sqlite_time_format()
        return _write_sqlite
    if dialect == "postgresql":
        return _write_postgresql
    return _write_core


def seed_demo(
    n: int, seed: int = 0, progress: Callable[[int], None] | None = None, batch: int = 20_000
) -> int:
    """Create `n` synthetic completed demo responses (see the module's description), then
    recount the reference groups. Each batch is committed on its own; `progress(k)` is called
    after each with the number of responses it added. Returns the number created."""
    if n <= 0:
        return 0
    batch = max(1, int(batch))
    drawer = _Drawer(seed, n)
    write = _writer()
    created = 0
    for number, start in enumerate(range(0, n, batch)):
        drawn = drawer.batch(number, start, min(batch, n - start))
        try:
            write(drawn)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        created += drawn.size
        if progress is not None:
            progress(drawn.size)
    rebuild_distributions()
    return created
