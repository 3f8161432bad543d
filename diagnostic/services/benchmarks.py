"""Reference groups of completed responses, kept as score histograms so that a results page never
scans the responses.

Each completed response adds one to its group's histogram for each axis it has a score on, in its
region and in the country (`region_code` ""), and updates the group's size and period. A bulk load
(demo data) rebuilds them at once with `rebuild_distributions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, literal, select, union_all
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from scoring.benchmarks import GroupSummary, Histogram, summarise

from ..extensions import db
from ..models import BenchmarkGroup, Response, ResponseScore, ScoreDistribution

NATIONAL = ""


def _insert(model):
    dialect = db.session.get_bind().dialect.name
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(model)


def _least_greatest():
    dialect = db.session.get_bind().dialect.name
    return (func.least, func.greatest) if dialect == "postgresql" else (func.min, func.max)


def record_completion(response: Response) -> None:
    """Count a just-completed response in its reference groups (in the caller's transaction)."""
    if response.actor is None:
        return
    regions = [NATIONAL] + ([response.region_code] if response.region_code else [])
    least, greatest = _least_greatest()
    for region in regions:
        group = {
            "questionnaire_id": response.questionnaire_id,
            "actor": response.actor,
            "region_code": region,
        }
        statement = _insert(BenchmarkGroup).values(
            **group, responses=1, first_at=response.completed_at, last_at=response.completed_at
        )
        excluded = statement.excluded
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=list(group),
                set_={
                    "responses": BenchmarkGroup.responses + 1,
                    "first_at": least(BenchmarkGroup.first_at, excluded.first_at),
                    "last_at": greatest(BenchmarkGroup.last_at, excluded.last_at),
                },
            )
        )
        for score in response.scores:
            if score.score_key is None:
                continue
            statement = _insert(ScoreDistribution).values(
                **group, axis=score.axis, score_key=score.score_key, count=1
            )
            db.session.execute(
                statement.on_conflict_do_update(
                    index_elements=[*group, "axis", "score_key"],
                    set_={"count": ScoreDistribution.count + 1},
                )
            )


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
