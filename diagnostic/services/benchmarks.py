"""Reference groups of completed responses, kept as score histograms so that a results page never
scans the responses.

Each completed response adds one to its group's histogram for each axis it has a score on, in its
region and in the country (`region_code` ""), and updates the group's size and period. A bulk load
(demo data) rebuilds them at once with `rebuild_distributions`. A deleted response is taken out
again: `record_removal`, or `removal_of` then `subtract` for many at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert, literal, select, union_all, update

from scoring.benchmarks import GroupSummary, Histogram, summarise

from ..extensions import db
from ..models import BenchmarkGroup, Response, ResponseScore, ScoreDistribution, as_utc
from . import rows

NATIONAL = ""


def record_completion(response: Response) -> None:
    """Count a just-completed response in its reference groups (in the caller's transaction)."""
    count_completion(response.questionnaire_id, response.actor, response.region_code,
                     response.completed_at,
                     {score.axis: score.score_key for score in response.scores})


def count_completion(questionnaire_id: str, actor: str | None, region_code: str | None,
                     completed_at: datetime, score_keys: Mapping[str, int | None]) -> None:
    """Count a completed response in its reference groups (in the caller's transaction)."""
    for statement in completion_counts(questionnaire_id, actor, region_code, completed_at,
                                       score_keys):
        rows.execute(statement)


def completion_counts(questionnaire_id: str, actor: str | None, region_code: str | None,
                      completed_at: datetime, score_keys: Mapping[str, int | None]
                      ) -> list[rows.Insert]:
    """What counts a completed response (its group and its scores in tenths, by axis) in its
    region's and the country's reference groups: one upsert of the two groups' sizes and
    periods, one of the histogram bins. Rows go in key order, the same in every transaction,
    so that concurrent submissions on PostgreSQL wait for each other instead of deadlocking."""
    if actor is None:
        return []
    regions = sorted({NATIONAL, region_code or NATIONAL})
    statements = [rows.upsert(
        BenchmarkGroup.__table__,
        ("questionnaire_id", "actor", "region_code", "responses", "first_at", "last_at"),
        [(questionnaire_id, actor, region, 1, completed_at, completed_at) for region in regions],
        key=("questionnaire_id", "actor", "region_code"),
        updates={
            "responses": "{table}.responses + {new}.responses",
            "first_at": "least({table}.first_at, {new}.first_at)",
            "last_at": "greatest({table}.last_at, {new}.last_at)",
        })]
    bins = [(questionnaire_id, actor, region, axis, key, 1)
            for region in regions for axis, key in sorted(score_keys.items()) if key is not None]
    if bins:
        statements.append(rows.upsert(
            ScoreDistribution.__table__,
            ("questionnaire_id", "actor", "region_code", "axis", "score_key", "count"), bins,
            key=("questionnaire_id", "actor", "region_code", "axis", "score_key"),
            updates={"count": "{table}.count + {new}.count"}))
    return statements


@dataclass
class Removal:
    """What responses about to be deleted count in the reference groups: per group
    (questionnaire, actor, region), the responses and their first and last completion; per
    group, axis and score key, the scores."""

    groups: dict[tuple[str, str, str], tuple[int, datetime, datetime]]
    scores: dict[tuple[str, str, str, str, int], int]

    def __bool__(self) -> bool:
        return bool(self.groups)


def record_removal(response: Response) -> None:
    """Take a completed response out of its reference groups, before it is deleted: the mirror
    of `record_completion` (in the caller's transaction)."""
    if response.actor is None or not response.completed:
        return
    regions = [NATIONAL] + ([response.region_code] if response.region_code else [])
    group = (response.questionnaire_id, response.actor)
    moment = as_utc(response.completed_at)
    subtract(Removal(
        {(*group, region): (1, moment, moment) for region in regions},
        {(*group, region, score.axis, score.score_key): 1 for region in regions
         for score in response.scores if score.score_key is not None}),
        Response.id != response.id)


def removal_of(condition) -> Removal:
    """What the completed responses matching `condition` (on Response) count in the reference
    groups, read before they are deleted (two grouped queries); `subtract` it once they are."""
    completed = (Response.status == "completed", Response.actor.is_not(None), condition)
    group = [Response.questionnaire_id, Response.actor, Response.region_code]
    groups: dict[tuple[str, str, str], tuple[int, datetime, datetime]] = {}
    for questionnaire_id, actor, region, n, first, last in db.session.execute(
            select(*group, func.count(), func.min(Response.completed_at),
                   func.max(Response.completed_at)).where(*completed).group_by(*group)):
        first, last = as_utc(first), as_utc(last)
        keys = [NATIONAL] + ([region] if region else [])
        for key in keys:
            before = groups.get((questionnaire_id, actor, key))
            if before is not None:
                n_, first_, last_ = before
                n, first, last = n + n_, min(first, first_), max(last, last_)
            groups[(questionnaire_id, actor, key)] = (n, first, last)
    scores: dict[tuple[str, str, str, str, int], int] = {}
    for questionnaire_id, actor, region, axis, key, n in db.session.execute(
            select(*group, ResponseScore.axis, ResponseScore.score_key, func.count())
            .join(ResponseScore, ResponseScore.response_id == Response.id)
            .where(*completed, ResponseScore.score_key.is_not(None))
            .group_by(*group, ResponseScore.axis, ResponseScore.score_key)):
        for region_key in [NATIONAL] + ([region] if region else []):
            entry = (questionnaire_id, actor, region_key, axis, key)
            scores[entry] = scores.get(entry, 0) + n
    return Removal(groups, scores)


def subtract(removal: Removal, *still_counted) -> None:
    """Take a removal out of the histograms and the groups' sizes (rows reaching 0 go); a
    group whose first or last response went gets its period from the responses left (those
    matching `still_counted` too, when they are not deleted yet). In the caller's transaction."""
    if not removal:
        return
    histograms, sizes = ScoreDistribution.__table__, BenchmarkGroup.__table__
    score_key_names = ("questionnaire_id", "actor", "region_code", "axis", "score_key")
    group_key_names = score_key_names[:3]

    def decrement(table, names, column, amounts):
        db.session.execute(
            update(table).where(*(table.c[name] == bindparam(f"key_{name}") for name in names))
            .values({column: table.c[column] - bindparam("amount")}),
            [{**{f"key_{name}": value for name, value in zip(names, key, strict=True)},
              "amount": amount} for key, amount in amounts.items()])

    if removal.scores:
        decrement(histograms, score_key_names, "count", removal.scores)
    decrement(sizes, group_key_names, "responses",
              {key: n for key, (n, _first, _last) in removal.groups.items()})
    questionnaires = sorted({key[0] for key in removal.groups})
    db.session.execute(delete(histograms).where(
        histograms.c.questionnaire_id.in_(questionnaires), histograms.c.count <= 0))
    db.session.execute(delete(sizes).where(
        sizes.c.questionnaire_id.in_(questionnaires), sizes.c.responses <= 0))
    for key, (_n, first, last) in removal.groups.items():
        row = db.session.get(BenchmarkGroup, key, populate_existing=True)
        if row is None or (first > as_utc(row.first_at) and last < as_utc(row.last_at)):
            continue
        questionnaire_id, actor, region = key
        where = [Response.questionnaire_id == questionnaire_id, Response.actor == actor,
                 Response.status == "completed", *still_counted]
        if region != NATIONAL:
            where.append(Response.region_code == region)
        first_at, last_at = db.session.execute(
            select(func.min(Response.completed_at), func.max(Response.completed_at))
            .where(*where)).one()
        if first_at is None:  # counted, yet no response left: the count was wrong
            db.session.delete(row)
        else:
            row.first_at, row.last_at = first_at, last_at
    db.session.flush()


def rebuild_distributions() -> None:
    """Recount every group from the completed responses (after a bulk load or a purge).

    The regional groups are counted from the responses; the national ones are the sum of the
    regional ones plus the responses without a region (one scan of the responses, not two).
    """
    db.session.execute(delete(ScoreDistribution))
    db.session.execute(delete(BenchmarkGroup))
    completed = (Response.status == "completed", Response.actor.is_not(None))
    group = [Response.questionnaire_id, Response.actor]
    scored = [ResponseScore.axis, ResponseScore.score_key]

    def counts(where):
        return (select(*group, Response.region_code, *scored, func.count().label("n"))
                .join(ResponseScore, ResponseScore.response_id == Response.id)
                .where(*completed, ResponseScore.score_key.is_not(None), *where)
                .group_by(*group, Response.region_code, *scored))

    def groups(where):
        return (select(*group, Response.region_code, func.count().label("n"),
                       func.min(Response.completed_at).label("first_at"),
                       func.max(Response.completed_at).label("last_at"))
                .where(*completed, *where).group_by(*group, Response.region_code))

    regional = [Response.region_code.is_not(None)]
    db.session.execute(insert(ScoreDistribution).from_select(
        ["questionnaire_id", "actor", "region_code", "axis", "score_key", "count"],
        counts(regional)))
    db.session.execute(insert(BenchmarkGroup).from_select(
        ["questionnaire_id", "actor", "region_code", "responses", "first_at", "last_at"],
        groups(regional)))

    distribution = ScoreDistribution
    parts = union_all(
        select(distribution.questionnaire_id, distribution.actor, distribution.axis,
               distribution.score_key, distribution.count.label("n"))
        .where(distribution.region_code != NATIONAL),
        select(*group, *scored, func.count().label("n"))
        .join(ResponseScore, ResponseScore.response_id == Response.id)
        .where(*completed, ResponseScore.score_key.is_not(None), Response.region_code.is_(None))
        .group_by(*group, *scored),
    ).subquery()
    db.session.execute(insert(ScoreDistribution).from_select(
        ["questionnaire_id", "actor", "region_code", "axis", "score_key", "count"],
        select(parts.c.questionnaire_id, parts.c.actor, literal(NATIONAL), parts.c.axis,
               parts.c.score_key, func.sum(parts.c.n))
        .group_by(parts.c.questionnaire_id, parts.c.actor, parts.c.axis, parts.c.score_key)))
    sizes = union_all(
        select(BenchmarkGroup.questionnaire_id, BenchmarkGroup.actor,
               BenchmarkGroup.responses.label("n"), BenchmarkGroup.first_at,
               BenchmarkGroup.last_at).where(BenchmarkGroup.region_code != NATIONAL),
        select(*group, func.count().label("n"), func.min(Response.completed_at),
               func.max(Response.completed_at))
        .where(*completed, Response.region_code.is_(None)).group_by(*group),
    ).subquery()
    db.session.execute(insert(BenchmarkGroup).from_select(
        ["questionnaire_id", "actor", "region_code", "responses", "first_at", "last_at"],
        select(sizes.c.questionnaire_id, sizes.c.actor, literal(NATIONAL), func.sum(sizes.c.n),
               func.min(sizes.c.first_at), func.max(sizes.c.last_at))
        .group_by(sizes.c.questionnaire_id, sizes.c.actor)))
    db.session.commit()


@dataclass(frozen=True)
class ReferenceGroup:
    """A reference group as named on the page: who, where, how many, when."""

    actor: str
    #: The region code, or "" for the whole country.
    region_code: str
    responses: int
    first_at: datetime | None
    last_at: datetime | None


@dataclass(frozen=True)
class AxisBenchmark:
    region: GroupSummary | None
    national: GroupSummary

    def as_dict(self) -> dict:
        return {
            "region": self.region.as_dict() if self.region else None,
            "pays": self.national.as_dict(),
        }


def _histograms(
    questionnaire_id: str, actor: str, regions: list[str]
) -> dict[tuple[str, str], Histogram]:
    rows = db.session.execute(
        select(
            ScoreDistribution.region_code,
            ScoreDistribution.axis,
            ScoreDistribution.score_key,
            ScoreDistribution.count,
        ).where(
            ScoreDistribution.questionnaire_id == questionnaire_id,
            ScoreDistribution.actor == actor,
            ScoreDistribution.region_code.in_(regions),
        )
    ).all()
    pairs: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for region, axis, key, count in rows:
        pairs.setdefault((region, axis), []).append((key, count))
    return {group: Histogram.from_pairs(values) for group, values in pairs.items()}


def benchmarks_for(
    response: Response, scores: Mapping[str, float | None], axes: list[str], min_size: int
) -> tuple[dict[str, AxisBenchmark], dict[str, ReferenceGroup]]:
    """Per axis, where the response stands in its region and in the country; and the groups.

    Reads at most two histograms per axis (one query) and the two groups' sizes and periods.
    """
    actor = response.actor or ""
    regions = [NATIONAL] + ([response.region_code] if response.region_code else [])
    histograms = _histograms(response.questionnaire_id, actor, regions)
    empty = Histogram.from_pairs([])
    results = {}
    for axis in axes:
        national = summarise(histograms.get((NATIONAL, axis), empty), scores.get(axis), min_size)
        region = None
        if response.region_code:
            region = summarise(
                histograms.get((response.region_code, axis), empty), scores.get(axis), min_size
            )
        results[axis] = AxisBenchmark(region=region, national=national)
    groups = {
        ("pays" if row.region_code == NATIONAL else "region"): ReferenceGroup(
            row.actor, row.region_code, row.responses, row.first_at, row.last_at
        )
        for row in db.session.scalars(
            select(BenchmarkGroup).where(
                BenchmarkGroup.questionnaire_id == response.questionnaire_id,
                BenchmarkGroup.actor == actor,
                BenchmarkGroup.region_code.in_(regions),
            )
        )
    }
    return results, groups
