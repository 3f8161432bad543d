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

In a campaign (`seed_demo(..., campaign_id=...)`), respondents are of the campaign's actor types
(shares renormalised), answer its links' questionnaires and live in its territory; the campaign's
running counts (CampaignStat, CampaignScore) are counted from the batches' arrays with numpy —
exactly what `campaigns.record_completion` adds response by response — and upserted once at the
end. `purge_demo` recounts such campaigns from their real responses.

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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import delete, func, insert, select, true, update

from questionnaires import Question, Questionnaire
from scoring import AXES, axis_scores
from scoring.aggregates import DONT_KNOW as NSP

from ..extensions import db
from ..models import (
    Answer,
    Campaign,
    CampaignScore,
    CampaignStat,
    Response,
    ResponseScore,
    Territory,
    utcnow,
)
from ..registry import catalog
from . import campaigns
from .benchmarks import rebuild_distributions
from .campaigns import WHOLE
from .reference import territory_fragility
from .territories import get_territory

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

    Real responses, territories and reference data stay; the campaigns that had demo responses
    are recounted from their real ones (`campaigns.rebuild_counts`). Returns the number of
    responses removed.
    """
    demo_ids = select(Response.id).where(Response.is_demo == true())
    campaign_ids = db.session.scalars(
        select(Response.campaign_id)
        .where(Response.is_demo == true(), Response.campaign_id.is_not(None))
        .distinct()
    ).all()
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
    for campaign_id in campaign_ids:
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is not None:
            campaigns.rebuild_counts(campaign, catalog())
            db.session.commit()
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

    def __init__(
        self,
        seed: int,
        total: int,
        questionnaires: Mapping[str, str] | None = None,
        within: Territory | None = None,
        campaign_id: int | None = None,
    ) -> None:
        """`questionnaires`: actor type → questionnaire id (default: every actor type of
        `ACTOR_SHARES`, its questionnaire of the same id); `within`: draw communes of that
        territory only; `campaign_id`: the campaign the responses are attached to."""
        self.seed = seed
        self.total = total
        self.campaign_id = campaign_id
        self.now = utcnow().replace(microsecond=0)
        rng = np.random.default_rng([seed, 0])
        self.communes = self._load_communes(within)
        catalog_ = catalog()
        domains = list(catalog_.vocabulary.domains)
        fragility = self._fragility(domains)
        region_offsets = rng.normal(0.0, REGION_OFFSET_SD, (len(self.region_codes), len(AXES)))
        if questionnaires is None:
            questionnaires = {actor: actor for actor in ACTOR_SHARES}
        unknown = set(questionnaires) - set(ACTOR_SHARES)
        if unknown:
            raise RuntimeError(f"no demo respondents of actor type {sorted(unknown)}")
        actors = [actor for actor in ACTOR_SHARES if actor in questionnaires]
        if not actors:
            raise RuntimeError("no actor type to draw demo responses of")
        self.shares = np.array([ACTOR_SHARES[actor] for actor in actors])
        self.plans: list[_Plan] = []
        self.codes: dict[str, dict[str, _Codes]] = {}
        for actor in actors:
            questionnaire = catalog_.get(questionnaires[actor])
            kind = (questionnaire.kind, questionnaire.actor) if questionnaire else None
            if kind != ("full", actor):
                raise RuntimeError(
                    f"no full questionnaire {questionnaires[actor]!r} of actor type {actor!r} "
                    "to draw demo responses of"
                )
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

    def _load_communes(self, within: Territory | None = None) -> _Communes:
        query = (
            select(Territory.code, Territory.region_code, Territory.population)
            .where(Territory.level == "commune")
            .order_by(Territory.code)
        )
        if within is not None:
            column = {
                "commune": Territory.code,
                "epci": Territory.epci_code,
                "departement": Territory.departement_code,
                "region": Territory.region_code,
            }.get(within.level)
            if column is None:
                raise RuntimeError(f"cannot draw communes within a {within.level!r}")
            query = query.where(column == within.code)
        rows = db.session.execute(query).all()
        if not rows:
            if within is not None:
                raise RuntimeError(f"no commune is loaded within {within.key}")
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
        shares = self.shares
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


def _score_keys(score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where a score is missing, and `scoring.benchmarks.score_key` of each, vectorised:
    floor(score × 10 + 0.5) (0 where missing)."""
    missing = np.isnan(score)
    return missing, np.floor(np.where(missing, 0.0, score) * 10 + 0.5).astype(np.int64)


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
            "campaign_id": [self.drawer.campaign_id] * size,
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
                missing, keys = _score_keys(score)
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


# --------------------------------------------------------------------------- campaign counts

#: A count key is `slot << _METRIC_BITS | metric`, the slot being actor type × (commune or the
#: whole campaign) and the metric a CampaignStat metric's number, or axis × score key for the
#: CampaignScore histograms.
_METRIC_BITS = 24
_METRIC_MASK = (1 << _METRIC_BITS) - 1
#: Room for the score keys of one axis (0–1000).
_SCORE_KEYS = 1 << 11
_DAY_MICROS = 86_400 * 1_000_000


class _Sums:
    """Counts and totals per int64 key, added piece by piece and summed with numpy once in a
    while (when the pieces outgrow the sums) and at the end."""

    def __init__(self) -> None:
        self._keys: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []
        self._totals: list[np.ndarray] = []
        self._pending = 0
        self._summed = 0

    def add(
        self, keys: np.ndarray, counts: np.ndarray | None = None, totals: np.ndarray | None = None
    ) -> None:
        if not keys.size:
            return
        self._keys.append(keys.astype(np.int64, copy=False))
        self._counts.append(np.ones(keys.size, np.int64) if counts is None else counts)
        self._totals.append(np.zeros(keys.size) if totals is None else totals)
        self._pending += keys.size
        if self._pending > max(4_000_000, self._summed):
            self.sum()

    def sum(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(keys, counts, totals), keys sorted and distinct."""
        if not self._keys:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        if self._pending:
            unique, inverse = np.unique(np.concatenate(self._keys), return_inverse=True)
            # Exact: counts stay far below 2**53, and totals are sums of ratings (0–10) in order.
            counts = np.bincount(inverse, np.concatenate(self._counts), unique.size)
            totals = np.bincount(inverse, np.concatenate(self._totals), unique.size)
            self._keys, self._counts = [unique], [np.rint(counts).astype(np.int64)]
            self._totals = [totals]
            self._summed, self._pending = unique.size, 0
        return self._keys[0], self._counts[0], self._totals[0]


class _CampaignCounts:
    """What `campaigns.record_completion` adds to a campaign's running counts for each response
    of the batches given to `add`, summed over whole batches with numpy instead of response by
    response: the CampaignStat metrics of `scoring.aggregates.response_metrics` (`n`,
    `day:<date>`, `q:<question>`, `q:<question>=<value>`, `rating:<domain>` with the sum of the
    ratings, `rating_nsp:<domain>`) and the CampaignScore histograms, by actor type and commune
    and for the whole campaign (commune "")."""

    def __init__(self, drawer: _Drawer) -> None:
        self.drawer = drawer
        self.actors = [plan.actor for plan in drawer.plans]
        #: Slots per actor type: the communes of the drawer, then the whole campaign.
        self.whole = len(drawer.communes.keys)
        self.slots = self.whole + 1
        self.names: list[str] = []
        self._ids: dict[str, int] = {}
        self.axes: list[str] = []
        self.stats = _Sums()
        self.scores = _Sums()

    def _id(self, name: str) -> int:
        number = self._ids.get(name)
        if number is None:
            number = self._ids[name] = len(self.names)
            if number > _METRIC_MASK:
                raise RuntimeError("too many distinct campaign metrics")
            self.names.append(name)
        return number

    def add(self, batch: _Batch) -> None:
        """Count a batch (once it is committed)."""
        days = batch.completed // _DAY_MICROS  # the UTC day of completion, as record_completion
        for group in batch.groups:
            plan = group.plan
            tables = self.drawer.codes[plan.actor]
            actor = self.actors.index(plan.actor)
            slots = (actor * self.slots + batch.communes[group.positions].astype(np.int64)) << (
                _METRIC_BITS
            )
            keys = [slots | self._id("n")]
            unique, inverse = np.unique(days[group.positions], return_inverse=True)
            names = np.datetime_as_string(unique.astype("datetime64[D]")).tolist()
            keys.append(slots | np.array([self._id(f"day:{day}") for day in names])[inverse])
            # The last rated question of a domain gives its rating (a dict keeps the last one).
            rated: dict[str, np.ndarray] = {}
            dont_know: dict[str, np.ndarray] = {}
            for question in plan.questionnaire.questions:
                codes = group.codes[question.id]
                if question.type == "scale" and question.domain:
                    points = np.array([v.score for v in question.scale.values], dtype=float) / 10
                    domain = question.domain
                    before = rated.get(domain, np.full(codes.size, np.nan))
                    rated[domain] = np.where(codes >= 0, points[np.maximum(codes, 0)], before)
                    dont_know[domain] = dont_know.get(domain, False) | (codes == DONT_KNOW)
                elif question.type in ("choice", "multi_choice", "ranking"):
                    keys += self._choices(question, tables[question.id], codes, slots)
            totals = []
            for domain, rating in rated.items():
                has = ~np.isnan(rating)
                totals.append((slots[has] | self._id(f"rating:{domain}"), rating[has]))
            for domain, flags in dont_know.items():
                keys.append(slots[flags] | self._id(f"rating_nsp:{domain}"))
            self.stats.add(np.concatenate(keys))
            if totals:
                self.stats.add(
                    np.concatenate([k for k, _t in totals]),
                    totals=np.concatenate([t for _k, t in totals]),
                )
            for axis, values in group.scores.items():
                if axis not in self.axes:
                    self.axes.append(axis)
                missing, score_keys = _score_keys(values["score"])
                scored = ~missing
                self.scores.add(
                    slots[scored] | (self.axes.index(axis) * _SCORE_KEYS + score_keys[scored])
                )

    def _choices(
        self, question: Question, table: _Codes, codes: np.ndarray, slots: np.ndarray
    ) -> list[np.ndarray]:
        """`q:<question>` for each answer, and `q:<question>=<value>` for each value chosen
        (`nsp` for « ne sait pas »)."""
        answered = codes != NO_ANSWER
        if not answered.any():
            return []
        where = slots[answered]
        unique, inverse = np.unique(codes[answered], return_inverse=True)
        items: list[list[int]] = []
        for code in unique.tolist():
            value = table.value(code)
            chosen = [NSP] if value is None else value if isinstance(value, list) else [value]
            metrics = dict.fromkeys(f"q:{question.id}={item}" for item in chosen)
            items.append([self._id(metric) for metric in metrics])
        lengths = np.array([len(ids) for ids in items], dtype=np.int64)
        flat = np.array([number for ids in items for number in ids], dtype=np.int64)
        starts = np.cumsum(lengths) - lengths
        each = lengths[inverse]
        offsets = np.arange(int(each.sum())) - np.repeat(np.cumsum(each) - each, each)
        metrics = flat[np.repeat(starts[inverse], each) + offsets]
        return [where | self._id(f"q:{question.id}"), np.repeat(where, each) | metrics]

    def _rows(self, sums: _Sums) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list]:
        """(actor, commune, metric numbers, counts, totals) of every count, the whole campaign's
        included, in key order."""
        keys, counts, totals = sums.sum()
        slots = keys >> _METRIC_BITS
        whole = ((slots // self.slots) * self.slots + self.whole) << _METRIC_BITS
        both = _Sums()
        both.add(keys, counts, totals)
        both.add(whole | (keys & _METRIC_MASK), counts, totals)
        keys, counts, totals = both.sum()
        slots = keys >> _METRIC_BITS
        return slots // self.slots, slots % self.slots, keys & _METRIC_MASK, counts, totals

    @staticmethod
    def _ranks(names: list[str]) -> np.ndarray:
        """The rank of each name in sorted order."""
        ranks = np.empty(len(names), dtype=np.int64)
        ranks[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
        return ranks

    def _labelled(
        self, actors: np.ndarray, communes: np.ndarray, names: list[str], metrics: np.ndarray
    ) -> tuple[np.ndarray, list, list, list]:
        """The rows in the order of the table's primary key (inserted so, the B-tree grows at
        its end), and their actor type, commune code and metric names."""
        codes = [key.split(":", 1)[1] for key in self.drawer.communes.keys.tolist()] + [WHOLE]
        order = np.lexsort(
            (
                self._ranks(names)[metrics],
                self._ranks(codes)[communes],
                self._ranks(self.actors)[actors],
            )
        )
        return (
            order,
            np.array(self.actors, dtype=object)[actors[order]].tolist(),
            np.array(codes, dtype=object)[communes[order]].tolist(),
            np.array(names, dtype=object)[metrics[order]].tolist(),
        )

    def stat_rows(self, campaign_id: int) -> Iterator[tuple]:
        """(campaign_id, actor, commune_code, metric, count, total) of every CampaignStat row."""
        actors, communes, metrics, counts, totals = self._rows(self.stats)
        order, actor_names, commune_codes, names = self._labelled(
            actors, communes, self.names, metrics
        )
        return zip(
            [campaign_id] * len(names),
            actor_names,
            commune_codes,
            names,
            counts[order].tolist(),
            totals[order].tolist(),
            strict=True,
        )

    def score_rows(self, campaign_id: int) -> Iterator[tuple]:
        """(campaign_id, actor, commune_code, axis, score_key, count) of every CampaignScore
        row."""
        actors, communes, metrics, counts, _totals = self._rows(self.scores)
        # A name per (axis, score key) number that sorts as the primary key does.
        pairs = [f"{axis}\t{key:04d}" for axis in self.axes for key in range(_SCORE_KEYS)]
        order, actor_names, commune_codes, _pairs = self._labelled(actors, communes, pairs, metrics)
        metrics = metrics[order]
        return zip(
            [campaign_id] * len(actor_names),
            actor_names,
            commune_codes,
            np.array(self.axes, dtype=object)[metrics // _SCORE_KEYS].tolist(),
            (metrics % _SCORE_KEYS).tolist(),
            counts[order].tolist(),
            strict=True,
        )


STAT_COLUMNS = ("campaign_id", "actor", "commune_code", "metric", "count", "total")
SCORE_COUNT_COLUMNS = ("campaign_id", "actor", "commune_code", "axis", "score_key", "count")
STAT_KEY = ("campaign_id", "actor", "commune_code", "metric")
SCORE_COUNT_KEY = ("campaign_id", "actor", "commune_code", "axis", "score_key")


def _upsert_sql(table: str, columns: tuple[str, ...], key: tuple[str, ...], source: str) -> str:
    """Add rows to a table of counts: insert, or add `count` (and `total`) to the row there."""
    added = [c for c in columns if c in ("count", "total")]
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) {source} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
        + ", ".join(f'"{c}" = {table}."{c}" + excluded."{c}"' for c in added)
    )


def _save_counts(counts: _CampaignCounts, campaign_id: int) -> None:
    """Add the counted responses to the campaign's running counts (caller commits)."""
    campaigns.touch(campaign_id)
    tables = (
        ("campaign_stat", STAT_COLUMNS, STAT_KEY, counts.stat_rows(campaign_id)),
        ("campaign_score", SCORE_COUNT_COLUMNS, SCORE_COUNT_KEY, counts.score_rows(campaign_id)),
    )
    connection = db.session.connection()
    dialect = connection.dialect.name
    if dialect == "sqlite":
        cursor = connection.connection.driver_connection.cursor()
        try:
            for table, columns, key, rows in tables:
                values = f"VALUES ({', '.join('?' * len(columns))})"
                cursor.executemany(_upsert_sql(table, columns, key, values), rows)
        finally:
            cursor.close()
    elif dialect == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        try:
            for table, columns, key, rows in tables:
                staging = f"demo_{table}"
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {staging} "
                    f"(LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP"
                )
                _copy(cursor, staging, columns, rows)
                select_ = f"SELECT {', '.join(columns)} FROM {staging}"
                cursor.execute(_upsert_sql(table, columns, key, select_))
                cursor.execute(f"DROP TABLE {staging}")
        finally:
            cursor.close()
    else:  # as record_completion does it
        models = {"campaign_stat": CampaignStat, "campaign_score": CampaignScore}
        for table, columns, key, rows in tables:
            model = models[table]
            statement = campaigns._insert(model)
            statement = statement.on_conflict_do_update(
                index_elements=list(key),
                set_={
                    c: getattr(model, c) + getattr(statement.excluded, c)
                    for c in columns
                    if c in ("count", "total")
                },
            )
            batch_: list[dict] = []
            for row in rows:
                batch_.append(dict(zip(columns, row, strict=True)))
                if len(batch_) >= 10_000:
                    db.session.execute(statement, batch_)
                    batch_ = []
            if batch_:
                db.session.execute(statement, batch_)


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
    "campaign_id",
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
    n: int,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
    batch: int = 20_000,
    campaign_id: int | None = None,
    within: Territory | None = None,
) -> int:
    """Create `n` synthetic completed demo responses (see the module's description), then
    recount the reference groups. Each batch is committed on its own; `progress(k)` is called
    after each with the number of responses it added. Returns the number created.

    `within`: respondents live in the communes of that territory (commune, EPCI, department or
    region) only. `campaign_id`: the responses come through that campaign's links — its actor
    types and questionnaires, its territory unless `within` says otherwise — and are added to its
    running counts at the end, counted from the batches' arrays (as `campaigns.record_completion`
    would count them one by one, exactly: see `_CampaignCounts`). Should the load stop half way,
    the committed batches are counted all the same.
    """
    if n <= 0:
        return 0
    batch = max(1, int(batch))
    questionnaires = None
    if campaign_id is not None:
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None:
            raise RuntimeError(f"no campaign {campaign_id}")
        questionnaires = {link.actor: link.questionnaire_id for link in campaign.links}
        if within is None:
            within = get_territory(campaign.territory)
            if within is None:
                raise RuntimeError(f"unknown territory {campaign.territory!r} of the campaign")
    drawer = _Drawer(seed, n, questionnaires, within, campaign_id)
    counts = _CampaignCounts(drawer) if campaign_id is not None else None
    write = _writer()
    created = 0
    try:
        for number, start in enumerate(range(0, n, batch)):
            drawn = drawer.batch(number, start, min(batch, n - start))
            try:
                write(drawn)
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
            created += drawn.size
            if counts is not None:
                counts.add(drawn)
            if progress is not None:
                progress(drawn.size)
    finally:
        if counts is not None and created:
            _save_counts(counts, campaign_id)
            db.session.commit()
    rebuild_distributions()
    return created
