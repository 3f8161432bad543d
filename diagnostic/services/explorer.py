"""The territory explorer: what the application's own respondents perceive in a region or a
department, beside its objective fragility index and the national figures; and the comparison of
the indices of a few territories.

Perceived figures come from the completed self-diagnoses (the four full questionnaires, campaign
responses included; demo responses too, flagged so that pages say so), counted with three
GROUP BY queries — answers, impact scores, responses — by actor type, region and department, and
turned into the running-count shape of `scoring.aggregates` (`response_metrics`), so that the
campaign dashboards' own functions (`perceived_fragility`, `impact_profiles`, `choice_shares`)
compute and protect every figure.

Protection (`scoring.suppression`), as for a campaign filtered on a sub-territory:

- every figure goes through `protect` (`Group.cell`): nothing resting on 1 to MIN_GROUP_SIZE − 1
  responses is shown;
- regions partition France and departments their region (`protect_partition`, actor type by
  actor type): a region or a department whose figures could be worked out from the shown ones
  (national minus the shown regions, region minus its shown departments) is left out whole, and
  so is every department of a region left out;
- a figure is also hidden when what a wider view adds to it (region minus department, France minus
  region or department) rests on 1 to MIN_GROUP_SIZE − 1 responses (`Group.complements`).

Only per-actor-type figures are published (no all-actor totals), so no total can be differenced.

Caching: the counts (not the protected figures: `protect` runs on every view) are kept per
worker under a revision read from the national reference groups (`BenchmarkGroup`, kept by the
write path of every completion and deletion: one small query), and recomputed when it changes —
at most once every EXPLORER_REFRESH_SECONDS (default 60) per worker, so that a busy period of
submissions does not recount on every view: figures may then lag new responses by that much. A
recount of more than EXPLORER_SYNC_COUNT responses (default 20,000, ~2 s) runs in a background
thread of the worker instead of holding the request: the figures counted before are shown
meanwhile, or, before the first count, the page says they are being counted.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import Text, case, cast, func, literal, select

from questionnaires import Catalog
from scoring import AXES
from scoring.aggregates import (
    DONT_KNOW,
    DomainRow,
    Group,
    Quartiles,
    choice_shares,
    impact_profiles,
    perceived_fragility,
    response_metrics,
    subtract,
)
from scoring.benchmarks import Histogram
from scoring.fragility import DomainFragility
from scoring.suppression import Cell, protect_partition

from ..extensions import db
from ..models import (
    Answer,
    BenchmarkGroup,
    Response,
    ResponseScore,
    SurveyFigure,
    Territory,
)
from . import reference, territories
from .exports import neutralise

#: Levels with perceived figures of their own (communes and EPCI show their objective profile).
PERCEIVED_LEVELS = ("region", "departement")
#: Levels with a fragility index, that can be compared.
COMPARED_LEVELS = ("region", "departement")
#: At most this many territories side by side.
MAX_COMPARED = 4
PRIORITY_QUESTION = "priorites"
PARTNERSHIP_QUESTION = "partenariats"
PARTNERSHIP_VALUES = ("oui", "non", DONT_KNOW)
NATIONAL = "pays:FR"
#: Any day: `response_metrics` counts the day of a response, which the explorer does not use.
_DAY = date(2000, 1, 1)


# --------------------------------------------------------------------------- counting


@dataclass(frozen=True)
class Counts:
    """The application's completed self-diagnoses, counted once for every scope: per scope key
    (`pays:FR`, `region:84`, `departement:69`) and actor type, a `Group` (metrics, histograms)."""

    groups: Mapping[str, Mapping[str, Group]]
    #: Demo responses counted, per scope key.
    demo: Mapping[str, int]
    #: Per actor type, the scopes whose figures are left out (`protect_partition`).
    hidden: Mapping[str, frozenset[str]]
    #: Department code → region code.
    regions_of: Mapping[str, str]

    def scope(self, key: str) -> Mapping[str, Group]:
        return self.groups.get(key, {})


def _department():
    """The department of a response's territory, from its key: a commune's INSEE code starts
    with its department's (two characters, three overseas: 97x, 98x)."""
    key = Response.territory
    return case(
        (key.like("commune:97%") | key.like("commune:98%"), func.substr(key, 9, 3)),
        (key.like("commune:%"), func.substr(key, 9, 2)),
        (key.like("departement:%"), func.substr(key, 13)),
        else_=None,
    )


def _needed_questions(catalog: Catalog) -> set[str]:
    """Questions the explorer counts: the domain ratings, the priorities and the partnerships;
    without a `show_if`, so that one answer's metrics do not depend on the others'."""
    return {
        question.id
        for questionnaire in catalog.latest("full")
        for question in questionnaire.questions
        if question.show_if is None
        and (
            (question.type == "scale" and question.domain)
            or question.id in (PRIORITY_QUESTION, PARTNERSHIP_QUESTION)
        )
    }


def _ratings(catalog: Catalog) -> dict[str, tuple[str, dict[str, float]]]:
    """The domain ratings the database can add up itself: question id → (domain, the rating out
    of 10 of each value, keyed by its JSON text), from `response_metrics` (the campaigns' rule).
    A question whose scale or domain differs between versions is counted value by value."""
    found: dict[str, tuple[str, dict[str, float]]] = {}
    differing = set()
    for questionnaire in catalog.versions():
        if questionnaire.kind != "full":
            continue
        for question in questionnaire.questions:
            if question.type != "scale" or not question.domain or question.show_if is not None:
                continue
            metric = f"rating:{question.domain}"
            entry = (question.domain, {
                json.dumps(item.value): response_metrics(
                    questionnaire, {question.id: item.value}, _DAY)[metric][1]
                for item in question.scale.values})
            if found.setdefault(question.id, entry) != entry:
                differing.add(question.id)
    return {key: entry for key, entry in found.items() if key not in differing}


def _rating_expression(ratings: Mapping[str, tuple[str, dict[str, float]]]):
    """The rating of an answer row (NULL for « ne sait pas » or another question)."""
    text = cast(Answer.value, Text)
    by_scale: dict[tuple, list[str]] = {}
    for question_id, (_domain, values) in ratings.items():
        by_scale.setdefault(tuple(sorted(values.items())), []).append(question_id)
    return case(
        *[(Answer.question_id.in_(sorted(ids)),
           case({value: literal(rating) for value, rating in scale}, value=text, else_=None))
          for scale, ids in by_scale.items()],
        else_=None,
    )


class _Sums:
    """Metrics and histograms added up per scope and actor type."""

    def __init__(self) -> None:
        self.metrics: dict[tuple[str, str], dict[str, list]] = {}
        self.histograms: dict[tuple[str, str], dict[str, dict[int, int]]] = {}
        self.demo: dict[str, int] = {}

    @staticmethod
    def scopes(region: str | None, department: str | None) -> list[str]:
        keys = [NATIONAL]
        if region:
            keys.append(f"region:{region}")
        if department:
            keys.append(f"departement:{department}")
        return keys

    def add(self, scopes: list[str], actor: str, metric: str, count: int, total: float) -> None:
        for scope in scopes:
            entry = self.metrics.setdefault((scope, actor), {}).setdefault(metric, [0, 0.0])
            entry[0] += count
            entry[1] += total

    def add_score(self, scopes: list[str], actor: str, axis: str, key: int, count: int) -> None:
        for scope in scopes:
            histogram = self.histograms.setdefault((scope, actor), {}).setdefault(axis, {})
            histogram[key] = histogram.get(key, 0) + count

    def groups(self, actors: Sequence[str]) -> dict[str, dict[str, Group]]:
        scopes = {scope for scope, _actor in {*self.metrics, *self.histograms}}
        return {
            scope: {
                actor: Group(
                    {metric: (int(count), total) for metric, (count, total)
                     in self.metrics.get((scope, actor), {}).items() if count},
                    {axis: Histogram.from_pairs(list(pairs.items())) for axis, pairs
                     in self.histograms.get((scope, actor), {}).items()},
                )
                for actor in actors
            }
            for scope in scopes
        }


@dataclass
class Tally:
    """What a count adds up, kept so that a later count of the responses completed since adds
    to it: the sums, the responses counted per (questionnaire, actor type) — checked against the
    reference groups — and the latest completion counted."""

    sums: _Sums
    totals: dict[tuple[str, str], int]
    latest: datetime | None


def tally(catalog: Catalog, since: Tally | None = None) -> Tally:
    """Count the completed self-diagnoses by actor type, region and department (three GROUP BY
    queries): all of them, or with `since`, those completed after its latest, added to it."""
    actors = list(catalog.vocabulary.actors)
    full = [questionnaire.id for questionnaire in catalog.latest("full")]
    department = _department().label("departement")
    completed = [Response.status == "completed", Response.actor.in_(actors),
                 Response.questionnaire_id.in_(full)]
    counted = since or Tally(_Sums(), {}, None)
    if since is not None and since.latest is not None:
        completed.append(Response.completed_at > since.latest)
    sums = counted.sums
    for questionnaire_id, actor, region, code, n, demo, latest in db.session.execute(
            select(Response.questionnaire_id, Response.actor, Response.region_code, department,
                   func.count(), func.sum(case((Response.is_demo.is_(True), 1), else_=0)),
                   func.max(Response.completed_at))
            .where(*completed)
            .group_by(Response.questionnaire_id, Response.actor, Response.region_code,
                      department)):
        scopes = sums.scopes(region, code)
        sums.add(scopes, actor, "n", int(n), 0.0)
        for scope in scopes:
            sums.demo[scope] = sums.demo.get(scope, 0) + int(demo or 0)
        group = (questionnaire_id, actor)
        counted.totals[group] = counted.totals.get(group, 0) + int(n)
        if latest is not None and (counted.latest is None or latest > counted.latest):
            counted.latest = latest
    ratings = _ratings(catalog)
    if ratings:
        rating = _rating_expression(ratings)
        for actor, region, code, question_id, rated, total, dont_know in db.session.execute(
                select(Response.actor, Response.region_code, department, Answer.question_id,
                       func.count(rating), func.sum(rating),
                       func.sum(case((cast(Answer.value, Text) == "null", 1), else_=0)))
                .join(Answer, Answer.response_id == Response.id)
                .where(*completed, Answer.question_id.in_(sorted(ratings)))
                .group_by(Response.actor, Response.region_code, department,
                          Answer.question_id)):
            domain = ratings[question_id][0]
            scopes = sums.scopes(region, code)
            sums.add(scopes, actor, f"rating:{domain}", int(rated), float(total or 0.0))
            sums.add(scopes, actor, f"rating_nsp:{domain}", int(dont_know or 0), 0.0)
    needed = sorted(_needed_questions(catalog) - set(ratings))
    # What one answer adds to its group, as a campaign counts it (`response_metrics` also
    # counts the response and its day: those come from the first query); the same answer
    # comes back for many places and actor types.
    metrics_of: dict[tuple, list[tuple[str, int, float]]] = {}
    for (actor, region, code, questionnaire_id, version, question_id, value,
         count) in db.session.execute(
            select(Response.actor, Response.region_code, department, Response.questionnaire_id,
                   Response.questionnaire_version, Answer.question_id, Answer.value, func.count())
            .join(Answer, Answer.response_id == Response.id)
            .where(*completed, Answer.question_id.in_(needed))
            .group_by(Response.actor, Response.region_code, department,
                      Response.questionnaire_id, Response.questionnaire_version,
                      Answer.question_id, Answer.value)):
        key = (questionnaire_id, version, question_id, json.dumps(value))
        if key not in metrics_of:
            questionnaire = catalog.get(questionnaire_id, version)
            metrics_of[key] = [] if questionnaire is None else [
                (metric, one, total) for metric, (one, total)
                in response_metrics(questionnaire, {question_id: value}, _DAY).items()
                if metric != "n" and not metric.startswith("day:")]
        scopes = sums.scopes(region, code)
        for metric, one, total in metrics_of[key]:
            sums.add(scopes, actor, metric, one * int(count), total * int(count))
    for actor, region, code, axis, key, count in db.session.execute(
            select(Response.actor, Response.region_code, department, ResponseScore.axis,
                   ResponseScore.score_key, func.count())
            .join(ResponseScore, ResponseScore.response_id == Response.id)
            .where(*completed, ResponseScore.score_key.is_not(None))
            .group_by(Response.actor, Response.region_code, department, ResponseScore.axis,
                      ResponseScore.score_key)):
        sums.add_score(sums.scopes(region, code), actor, axis, int(key), int(count))
    return counted


def counts_of(counted: Tally, catalog: Catalog, min_size: int) -> Counts:
    """The groups of every scope from a tally, and those the partition leaves out."""
    actors = list(catalog.vocabulary.actors)
    groups = counted.sums.groups(actors)
    regions_of = dict(db.session.execute(
        select(Territory.code, Territory.region_code).where(Territory.level == "departement")
    ).all())
    return Counts(groups, dict(counted.sums.demo),
                  _hidden(groups, actors, regions_of, min_size), regions_of)


def count_responses(catalog: Catalog) -> Counts:
    """Count every completed self-diagnosis, from scratch."""
    return counts_of(tally(catalog), catalog, _min_size())


def _min_size() -> int:
    return current_app.config["MIN_GROUP_SIZE"]


def _hidden(groups: Mapping[str, Mapping[str, Group]], actors: Sequence[str],
            regions_of: Mapping[str, str], min_size: int) -> dict[str, frozenset[str]]:
    """Per actor type, the regions and departments left out (see the module documentation)."""

    def n(scope: str, actor: str) -> int:
        group = groups.get(scope, {}).get(actor)
        return group.n if group is not None else 0

    hidden: dict[str, frozenset[str]] = {}
    region_keys = sorted({key for key in groups if key.startswith("region:")})
    for actor in actors:
        counts = {key: n(key, actor) for key in region_keys if n(key, actor)}
        left = set(protect_partition(counts, min_size,
                                     unplaced=n(NATIONAL, actor) - sum(counts.values())))
        for region in region_keys:
            departments = {f"departement:{code}" for code, owner in regions_of.items()
                           if f"region:{owner}" == region}
            counts = {key: n(key, actor) for key in departments if n(key, actor)}
            if region in left:
                left |= set(counts)
                continue
            left |= protect_partition(counts, min_size,
                                      unplaced=n(region, actor) - sum(counts.values()))
        # Departments of no known region (a territory file changed since): never shown.
        left |= {key for key in groups if key.startswith("departement:")
                 and key.split(":", 1)[1] not in regions_of}
        hidden[actor] = frozenset(left)
    return hidden


def _revision() -> tuple:
    """What changes whenever a completed response is added or deleted: the national reference
    groups (their sizes and latest completion)."""
    return tuple(tuple(row) for row in db.session.execute(
        select(BenchmarkGroup.questionnaire_id, BenchmarkGroup.actor, BenchmarkGroup.responses,
               BenchmarkGroup.last_at)
        .where(BenchmarkGroup.region_code == "")
        .order_by(BenchmarkGroup.questionnaire_id, BenchmarkGroup.actor)).all())


@dataclass
class _Cached:
    revision: tuple
    computed_at: float
    tally: Tally
    counts: Counts
    min_size: int


#: Guards the cache; one recount at a time per worker (a recount adds to the cached tally).
_LOCK = threading.Lock()
_RECOUNT = threading.Lock()


def _recount(cached: _Cached | None, revision: tuple, catalog: Catalog) -> Tally:
    """The responses counted again: only those completed since the last count when nothing
    was deleted meanwhile, and when the result then has as many responses per questionnaire and
    actor type as the reference groups; else all of them."""
    full = {questionnaire.id for questionnaire in catalog.latest("full")}
    expected = {(questionnaire_id, actor): responses
                for questionnaire_id, actor, responses, _last in revision
                if questionnaire_id in full and responses}
    if cached is not None and all(expected.get(group, 0) >= n
                                  for group, n in cached.tally.totals.items()):
        added = tally(catalog, since=cached.tally)
        if {group: n for group, n in added.totals.items() if n} == expected:
            return added
    return tally(catalog)


class CountsNotReady(RuntimeError):
    """The perceived figures are being counted in the background (many responses to count and
    none counted yet in this worker): ask again in a moment."""


def _to_count(cached: _Cached | None, revision: tuple, catalog: Catalog) -> int:
    """About how many responses a recount would read (all of them when nothing is counted yet
    or some were deleted; else those added since)."""
    full = {questionnaire.id for questionnaire in catalog.latest("full")}
    expected = {(questionnaire_id, actor): responses
                for questionnaire_id, actor, responses, _last in revision
                if questionnaire_id in full and responses}
    total = sum(expected.values())
    if cached is None or not all(expected.get(group, 0) >= n
                                 for group, n in cached.tally.totals.items()):
        return total
    return max(total - sum(cached.tally.totals.values()), 0)


def _counted(store: dict, min_size: int) -> _Cached | None:
    """The counts this worker made last, if made for the same smallest group size."""
    with _LOCK:
        cached = store.get("counts")
    return cached if cached is not None and cached.min_size == min_size else None


def _recount_into(store: dict, cached: _Cached | None, revision: tuple, catalog: Catalog,
                  min_size: int) -> _Cached:
    counted = _recount(cached, revision, catalog)
    fresh = _Cached(revision, time.monotonic(), counted, counts_of(counted, catalog, min_size),
                    min_size)
    with _LOCK:
        store["counts"] = fresh
    return fresh


def _count_in_background(store: dict, catalog: Catalog, min_size: int) -> None:
    """Recount in a thread of this worker, unless one already is: the request that asked does
    not wait (a count of 100,000 responses takes ~10 s, of a million a few minutes)."""
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            try:
                with _RECOUNT:
                    _recount_into(store, _counted(store, min_size), _revision(), catalog,
                                  min_size)
            except Exception:  # logged; the next request past the refresh delay tries again
                app.logger.exception("Counting the explorer's perceived figures failed")
            finally:
                db.session.remove()

    with _LOCK:
        running = store.get("thread")
        if running is not None and running.is_alive():
            return
        thread = store["thread"] = threading.Thread(target=run, name="explorer-counts",
                                                    daemon=True)
    thread.start()


def counts(catalog: Catalog) -> Counts:
    """The counts, from the worker's cache when still current (see the module documentation).

    A recount of more than EXPLORER_SYNC_COUNT responses runs in the background: meanwhile the
    counts made before are given (figures lag a little longer), or, when this worker has none
    yet, CountsNotReady is raised (the page says the figures are being counted; the API answers
    503 with Retry-After)."""
    refresh = current_app.config["EXPLORER_REFRESH_SECONDS"]
    min_size = _min_size()
    store = current_app.extensions.setdefault("explorer_counts", {})

    def current() -> _Cached | None:
        cached = _counted(store, min_size)
        if cached is not None and (
                cached.revision == revision or time.monotonic() - cached.computed_at < refresh):
            return cached
        return None

    revision = _revision()
    found = current()
    if found is not None:
        return found.counts
    cached = _counted(store, min_size)
    if _to_count(cached, revision, catalog) > current_app.config["EXPLORER_SYNC_COUNT"]:
        _count_in_background(store, catalog, min_size)
        if cached is None:
            raise CountsNotReady()
        return cached.counts
    with _RECOUNT:
        found = current()  # counted meanwhile by another thread
        if found is not None:
            return found.counts
        return _recount_into(store, _counted(store, min_size), revision, catalog,
                             min_size).counts


# --------------------------------------------------------------------------- a territory


@dataclass(frozen=True)
class Published:
    """The Observatoire's published national figures that compare with the explorer's."""

    #: actor → domain → figure (a mean score out of 10).
    domains: Mapping[str, Mapping[str, SurveyFigure]]
    #: actor → figure (a share answering « oui » to the partnerships question, in %).
    partnerships: Mapping[str, SurveyFigure]


@dataclass
class Perceived:
    """What the application's respondents perceive in a territory and in France, protected."""

    territory: Territory
    min_size: int
    actors: list[str]
    #: Completed responses per actor type, in the territory and in France (participation counts
    #: are shown as they are).
    responses: dict[str, int]
    national_responses: dict[str, int]
    #: Per actor type, the territory's responses whose figures are left out (a neighbouring
    #: region or department has too few: see the module documentation).
    left_out: dict[str, int]
    #: Demo responses are counted in the territory's or the national figures.
    with_demo: bool
    domains: list[DomainRow]
    national_domains: list[DomainRow]
    profiles: dict[str, dict[str, Quartiles]]
    national_profiles: dict[str, dict[str, Quartiles]]
    #: Per actor type, per value of the partnerships question: its share.
    partnerships: dict[str, dict[str, Cell]]
    national_partnerships: dict[str, dict[str, Cell]]
    published: Published
    fragility: dict[str, DomainFragility] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.responses.values())


def _scoped_groups(data: Counts, territory: Territory, actors: Sequence[str], min_size: int
                   ) -> tuple[dict[str, Group], dict[str, int]]:
    """The territory's groups with their complements (what each wider scope adds); and, per
    actor type, the responses left out because of the partition although they are enough by
    themselves (see the module documentation)."""
    key = territory.key
    wider = [NATIONAL]
    if territory.level == "departement" and territory.region_code:
        wider.insert(0, f"region:{territory.region_code}")
    own = data.scope(key)
    groups, left_out = {}, {}
    for actor in actors:
        group = own.get(actor, Group({}))
        if key in data.hidden.get(actor, frozenset()):
            if group.n >= min_size:
                left_out[actor] = group.n
            # Left out whole: as if what the neighbours add were too few for every figure, so
            # that each one says it is hidden and on how many answers (`Group.cell`).
            groups[actor] = Group(group.metrics, {},
                                  (dict.fromkeys(group.metrics, (1, 0.0)),))
            continue
        complements = tuple(
            subtract(data.scope(scope).get(actor, Group({})).metrics, group.metrics)
            for scope in wider)
        groups[actor] = Group(group.metrics, group.histograms, complements)
    return groups, left_out


def _left_out_profiles(profiles: dict[str, dict[str, Quartiles]], data: Counts,
                       territory: Territory) -> dict[str, dict[str, Quartiles]]:
    """Impact profiles of the actor types left out by the partition: hidden, with their size."""
    own = data.scope(territory.key)
    for actor in profiles:
        if territory.key in data.hidden.get(actor, frozenset()) and actor in own:
            histograms = own[actor].histograms
            profiles[actor] = {
                axis: Quartiles(n=histograms[axis].n if axis in histograms else 0,
                                suppressed=axis in histograms)
                for axis in profiles[actor]}
    return profiles


def published_figures(catalog: Catalog) -> Published:
    """The published figures matching the explorer's: the citizens' importance scores of
    domains (out of 10) and the share of companies and associations with partnerships."""
    domains: dict[str, dict[str, SurveyFigure]] = {}
    partnerships: dict[str, SurveyFigure] = {}
    for questionnaire in catalog.latest("full"):
        actor = questionnaire.actor
        by_question = {question.id: question.domain for question in questionnaire.questions
                       if question.type == "scale" and question.domain}
        for figure in reference.survey_figures(actor):
            if figure.question_id in by_question and figure.score_10 is not None:
                domains.setdefault(actor, {}).setdefault(by_question[figure.question_id], figure)
            elif (figure.question_id == PARTNERSHIP_QUESTION and figure.value_pct is not None
                  and figure.answer_values == ["oui"]):
                partnerships.setdefault(actor, figure)
    return Published(domains, partnerships)


def perceived(territory: Territory, catalog: Catalog, min_size: int) -> Perceived:
    """The protected perceived figures of a region or a department, beside France's."""
    if territory.level not in PERCEIVED_LEVELS:
        raise ValueError(f"no perceived figures for a {territory.level}")
    data = counts(catalog)
    actors = list(catalog.vocabulary.actors)
    domains = list(catalog.vocabulary.domains)
    groups, left_out = _scoped_groups(data, territory, actors, min_size)
    national = {actor: data.scope(NATIONAL).get(actor, Group({})) for actor in actors}
    fragility = reference.territory_fragility(territory, domains)
    indices = {domain: result.index for domain, result in fragility.items()}
    shares, _total = choice_shares(groups, PARTNERSHIP_QUESTION, PARTNERSHIP_VALUES, min_size)
    national_shares, _national_total = choice_shares(
        national, PARTNERSHIP_QUESTION, PARTNERSHIP_VALUES, min_size)
    own = data.scope(territory.key)
    return Perceived(
        territory=territory,
        min_size=min_size,
        actors=actors,
        responses={actor: own[actor].n for actor in actors if actor in own},
        national_responses={actor: group.n for actor, group in national.items()},
        left_out=left_out,
        with_demo=bool(data.demo.get(territory.key) or data.demo.get(NATIONAL)),
        domains=perceived_fragility(groups, domains, indices, min_size),
        national_domains=perceived_fragility(national, domains, {}, min_size),
        profiles=_left_out_profiles(impact_profiles(groups, AXES, min_size), data, territory),
        national_profiles=impact_profiles(national, AXES, min_size),
        partnerships=shares,
        national_partnerships=national_shares,
        published=published_figures(catalog),
        fragility=fragility,
    )


def _figure_json(figure: SurveyFigure | None) -> dict | None:
    if figure is None:
        return None
    return {
        "study": figure.study,
        "fieldwork": figure.fieldwork,
        "sample": figure.sample,
        "value_pct": figure.value_pct,
        "score_10": figure.score_10,
        "source": figure.source,
    }


def _cell_json(cell: Cell, digits: int = 1) -> dict:
    """A protected figure: `{"n": n, "suppressed": true}` when hidden, as the results API says
    of a reference group."""
    if cell.suppressed:
        return {"n": cell.n, "suppressed": True}
    return cell.as_dict(digits)


def _quartiles_json(quartiles: Quartiles) -> dict:
    if quartiles.suppressed:
        return {"n": quartiles.n, "suppressed": True}
    return {"n": quartiles.n, "median": quartiles.median, "q1": quartiles.q1, "q3": quartiles.q3}


def perceived_json(view: Perceived) -> dict:
    """The perceived figures for the API, protected as on the page."""
    national_rows = {row.domain: row for row in view.national_domains}

    def actor_block(actor: str) -> dict:
        left_out = actor in view.left_out
        return {
            "responses": view.responses.get(actor, 0),
            "left_out": left_out,
            "domains": {
                row.domain: {
                    "mean": _cell_json(row.groups[actor].mean),
                    "priority": _cell_json(row.groups[actor].priority, 3),
                    "dont_know": _cell_json(row.groups[actor].dont_know, 3),
                    "classification": row.groups[actor].classification,
                    "national": {
                        "mean": _cell_json(national_rows[row.domain].groups[actor].mean),
                        "priority": _cell_json(national_rows[row.domain].groups[actor].priority,
                                               3),
                        "published": _figure_json(
                            view.published.domains.get(actor, {}).get(row.domain)),
                    },
                }
                for row in view.domains
            },
            "impacts": {
                axis: {
                    "territory": _quartiles_json(view.profiles[actor][axis]),
                    "national": _quartiles_json(view.national_profiles[actor][axis]),
                }
                for axis in AXES
            },
            "partnerships": {
                "territory": {value: _cell_json(cell, 3)
                              for value, cell in view.partnerships[actor].items()},
                "national": {value: _cell_json(cell, 3)
                             for value, cell in view.national_partnerships[actor].items()},
                "published": _figure_json(view.published.partnerships.get(actor)),
            },
        }

    return {
        "territory": view.territory.key,
        "name": view.territory.name,
        "min_group_size": view.min_size,
        "includes_demo": view.with_demo,
        "responses": {actor: view.responses.get(actor, 0) for actor in view.actors},
        "national_responses": view.national_responses,
        "fragility": {row.domain: None if row.index is None else round(row.index, 1)
                      for row in view.domains},
        "actors": {actor: actor_block(actor) for actor in view.actors},
    }


# --------------------------------------------------------------------------- comparison


class ComparisonError(ValueError):
    """Territories that cannot be compared: `code` says why, `key` which one."""

    def __init__(self, code: str, key: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.key = key


def compared_territories(keys: Sequence[str]) -> list[Territory]:
    """The territories of `keys` (duplicates once, in order); raises ComparisonError for more
    than MAX_COMPARED, an unknown key, or a territory without a fragility index."""
    unique = list(dict.fromkeys(key.strip() for key in keys if key.strip()))
    if len(unique) > MAX_COMPARED:
        raise ComparisonError("too_many")
    found = []
    for key in unique:
        territory = territories.get_territory(key)
        if territory is None:
            raise ComparisonError("unknown", key[:40])
        if territory.level not in COMPARED_LEVELS:
            raise ComparisonError("level", key)
        found.append(territory)
    return found


@dataclass(frozen=True)
class Compared:
    territory: Territory
    fragility: dict[str, DomainFragility]


def comparison(chosen: Sequence[Territory], domains: Sequence[str]) -> list[Compared]:
    return [Compared(territory, reference.territory_fragility(territory, list(domains)))
            for territory in chosen]


CSV_COLUMNS = ("territory", "level", "code", "domain", "index", "indicator", "value", "unit",
               "year", "source")


def comparison_rows(compared: Sequence[Compared], domain_labels: Mapping[str, str],
                    indicator_label: Callable[[str], str]) -> list[list]:
    """The figures of a comparison, one row per territory, domain and indicator figure (a
    domain without any: one row with its index alone), in CSV_COLUMNS order."""
    rows = []
    for item in compared:
        territory = item.territory
        for domain, label in domain_labels.items():
            result = item.fragility[domain]
            index = None if result.index is None else round(result.index, 1)
            head = [territory.name, territory.level, territory.code, label, index]
            if not result.indicators:
                rows.append([*head, "", "", "", "", ""])
            for indicator in result.indicators:
                figure = indicator.figure
                rows.append([*head, indicator_label(figure.indicator), figure.value, figure.unit,
                             figure.year, figure.source])
    return rows


def comparison_csv(rows: Sequence[Sequence]) -> bytes:
    """The rows under CSV_COLUMNS, as the other exports write them: UTF-8 with a byte-order mark
    for spreadsheets, no cell a spreadsheet would run as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


# --------------------------------------------------------------------------- a profile


@dataclass
class Profile:
    """Everything a territory's page says: where it lies, its structure, its fragility index
    (regions and departments) and, there, what the respondents perceive."""

    territory: Territory
    #: The territories it lies in, smallest first (for an EPCI: those of its communes).
    enclosing: list[Territory]
    structure: dict[str, reference.StructuralFigure]
    #: The index of the 16 domains (regions and departments; None for a commune or an EPCI).
    fragility: dict[str, DomainFragility] | None
    #: The departments of a region.
    children: list[Territory]
    perceived: Perceived | None
    #: The perceived figures are being counted (CountsNotReady): the page says so.
    counting: bool = False


def _enclosing(territory: Territory) -> list[Territory]:
    if territory.level != "epci":
        return [place for place in territories.parents(territory) if place.level != "pays"]
    codes = db.session.execute(
        select(Territory.departement_code, Territory.region_code).distinct()
        .where(Territory.level == "commune", Territory.epci_code == territory.code)).all()
    wanted = [("departement", code) for code in sorted({d for d, _r in codes if d})]
    wanted += [("region", code) for code in sorted({r for _d, r in codes if r})]
    found = []
    for level, code in wanted:
        place = territories.get_territory(f"{level}:{code}")
        if place is not None:
            found.append(place)
    return found


def profile(territory: Territory, catalog: Catalog, min_size: int) -> Profile:
    """The page of a region, department, EPCI or commune."""
    perceived_view = None
    fragility = None
    counting = False
    if territory.level in PERCEIVED_LEVELS:
        try:
            perceived_view = perceived(territory, catalog, min_size)
            fragility = perceived_view.fragility
        except CountsNotReady:
            counting = True
            fragility = reference.territory_fragility(territory,
                                                      list(catalog.vocabulary.domains))
    children = []
    if territory.level == "region":
        children = list(db.session.scalars(
            select(Territory).where(Territory.level == "departement",
                                    Territory.region_code == territory.code)
            .order_by(Territory.code)))
    return Profile(
        territory=territory,
        enclosing=_enclosing(territory),
        structure=reference.territory_profile(territory),
        fragility=fragility,
        children=children,
        perceived=perceived_view,
        counting=counting,
    )


def level_rows(level: str, values: Mapping[str, float | None]
               ) -> list[tuple[str, str, float | None]]:
    """Every territory of a level on the maps as (code, name, value): regions by name,
    departments by code (the overseas collectivities, outside regions and departments, are
    left out)."""
    found = db.session.execute(
        select(Territory.code, Territory.name, Territory.search_name)
        .where(Territory.level == level, Territory.zone.in_(("metro", "drom")))).all()
    order = (lambda row: row[0]) if level == "departement" else (lambda row: row[2])
    return [(code, name, values.get(code)) for code, name, _search in sorted(found, key=order)]
