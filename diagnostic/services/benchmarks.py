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

from sqlalchemy import delete, func, insert, literal, select
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
    """Recount every group from the completed responses (after a bulk load or a purge)."""
    db.session.execute(delete(ScoreDistribution))
    db.session.execute(delete(BenchmarkGroup))
    completed = (Response.status == "completed", Response.actor.is_not(None))
    # Each group by region, then the whole country under the region code "".
    for by_region in (True, False):
        region = Response.region_code if by_region else literal(NATIONAL).label("region")
        where = [*completed, Response.region_code.is_not(None)] if by_region else list(completed)
        grouping = [Response.questionnaire_id, Response.actor] + (
            [Response.region_code] if by_region else []
        )
        keys = [Response.questionnaire_id, Response.actor, region]
        groups = db.session.execute(
            select(
                *keys,
                func.count(),
                func.min(Response.completed_at),
                func.max(Response.completed_at),
            )
            .where(*where)
            .group_by(*grouping)
        ).all()
        if groups:
            db.session.execute(
                insert(BenchmarkGroup),
                [
                    {
                        "questionnaire_id": q,
                        "actor": a,
                        "region_code": r,
                        "responses": n,
                        "first_at": first,
                        "last_at": last,
                    }
                    for q, a, r, n, first, last in groups
                ],
            )
        counts = db.session.execute(
            select(*keys, ResponseScore.axis, ResponseScore.score_key, func.count())
            .join(ResponseScore, ResponseScore.response_id == Response.id)
            .where(*where, ResponseScore.score_key.is_not(None))
            .group_by(*grouping, ResponseScore.axis, ResponseScore.score_key)
        ).all()
        if counts:
            db.session.execute(
                insert(ScoreDistribution),
                [
                    {
                        "questionnaire_id": q,
                        "actor": a,
                        "region_code": r,
                        "axis": axis,
                        "score_key": key,
                        "count": n,
                    }
                    for q, a, r, axis, key, n in counts
                ],
            )
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
