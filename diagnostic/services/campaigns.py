"""Campaigns: creation, access, public links, and their running counts and summaries."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from questionnaires import Catalog, Questionnaire
from scoring import AXES
from scoring.aggregates import (
    Group,
    Quartiles,
    choice_shares,
    impact_profiles,
    participation,
    perceived_fragility,
    response_metrics,
    subtract,
)
from scoring.benchmarks import Histogram, summarise
from scoring.suppression import Cell, protect_partition

from ..extensions import db
from ..models import (
    Answer,
    Campaign,
    CampaignLink,
    CampaignScore,
    CampaignStat,
    Response,
    ScoreDistribution,
    SurveyFigure,
    Territory,
    User,
    utcnow,
)
from . import reference, territories

WHOLE = ""
#: Levels a campaign can be run at.
CAMPAIGN_LEVELS = ("commune", "epci", "departement", "region")
#: The multiple-answer questions shown in the alliance dynamics.
ALLIANCE_QUESTIONS = ("partenariats", "partenaires", "pratiques", "jouer_collectif",
                      "travaillent_ensemble", "levier")


class CampaignError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --------------------------------------------------------------------------- campaigns


def create_campaign(owner: User, title: str, territory: Territory, questionnaires: dict[str, str],
                    starts_on: date | None = None, ends_on: date | None = None) -> Campaign:
    """A new open campaign with one public link per actor type (`questionnaires`: actor → id)."""
    if territory.level not in CAMPAIGN_LEVELS:
        raise CampaignError("bad_level")
    if not questionnaires:
        raise CampaignError("no_actor")
    if starts_on and ends_on and ends_on < starts_on:
        raise CampaignError("bad_period")
    campaign = Campaign(public_id=secrets.token_hex(6), owner_id=owner.id, title=title.strip(),
                        territory=territory.key, starts_on=starts_on, ends_on=ends_on)
    for actor, questionnaire_id in questionnaires.items():
        campaign.links.append(CampaignLink(actor=actor, questionnaire_id=questionnaire_id,
                                           slug=secrets.token_urlsafe(9)))
    db.session.add(campaign)
    db.session.commit()
    return campaign


def campaigns_of(user: User) -> list[Campaign]:
    """The campaigns a user may see: their own, or all for an administrator."""
    query = select(Campaign).order_by(Campaign.created_at.desc())
    if not user.is_admin:
        query = query.where(Campaign.owner_id == user.id)
    return list(db.session.scalars(query))


def campaign_for(user: User, public_id: str) -> Campaign | None:
    """The campaign if the user may see it (owner or administrator), else None."""
    campaign = db.session.scalar(select(Campaign).where(Campaign.public_id == public_id))
    if campaign is None or not (user.is_admin or campaign.owner_id == user.id):
        return None
    return campaign


def link_by_slug(slug: str) -> CampaignLink | None:
    if not slug or len(slug) > 24:
        return None
    return db.session.scalar(select(CampaignLink).where(CampaignLink.slug == slug))


def set_open(campaign: Campaign, is_open: bool) -> None:
    campaign.status = "open" if is_open else "closed"
    campaign.closed_at = None if is_open else utcnow()
    db.session.commit()


def within(scope: Territory, commune: Territory) -> bool:
    """Whether a commune lies in a campaign's territory."""
    if commune.level != "commune":
        return False
    return {
        "commune": commune.code,
        "epci": commune.epci_code,
        "departement": commune.departement_code,
        "region": commune.region_code,
    }.get(scope.level) == scope.code


def contains(scope: Territory, place: Territory) -> bool:
    """Whether a commune, EPCI or department lies in a campaign's territory."""
    if place.level == "commune":
        return within(scope, place)
    if place.level == "departement":
        return scope.level == "region" and place.region_code == scope.code
    if place.level == "epci" and scope.level in ("departement", "region"):
        column = Territory.departement_code if scope.level == "departement" \
            else Territory.region_code
        return db.session.scalar(select(func.count()).select_from(Territory).where(
            Territory.level == "commune", Territory.epci_code == place.code,
            column == scope.code)) > 0
    return False


def national_figures(campaign: Campaign) -> dict[tuple[str, str, str], SurveyFigure]:
    """The published national figures that compare with one answer of a campaign's question:
    (actor, question, value) → figure."""
    figures = {}
    actors = [link.actor for link in campaign.links]
    for figure in db.session.scalars(select(SurveyFigure).where(
            SurveyFigure.actor.in_(actors), SurveyFigure.question_id.is_not(None),
            SurveyFigure.value_pct.is_not(None))):
        values = figure.answer_values or []
        if len(values) == 1:
            value = "nsp" if values[0] is None else str(values[0])
            figures.setdefault((figure.actor, figure.question_id, value), figure)
    return figures


def response_counts(campaign: Campaign) -> dict[str, int]:
    """Completed responses per actor type (from the running counts)."""
    rows = db.session.execute(select(CampaignStat.actor, CampaignStat.count).where(
        CampaignStat.campaign_id == campaign.id, CampaignStat.commune_code == WHOLE,
        CampaignStat.metric == "n")).all()
    return dict(rows)


# --------------------------------------------------------------------------- running counts


def _insert(model):
    dialect = db.session.get_bind().dialect.name
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(model)


def _commune_of(response: Response) -> str:
    parsed = territories.parse_key(response.territory or "")
    return parsed[1] if parsed and parsed[0] == "commune" else WHOLE


def touch(campaign_id: int) -> None:
    """Say that a campaign's counts changed: figures cached under its old revision are stale
    (caller commits)."""
    db.session.execute(update(Campaign).where(Campaign.id == campaign_id)
                       .values(revision=Campaign.revision + 1))


def record_completion(response: Response, questionnaire: Questionnaire, sign: int = 1) -> None:
    """Add a just-completed campaign response to its campaign's counts; with `sign` -1, take a
    counted response out of them before it is deleted (rows reaching 0 go). Caller commits."""
    if response.campaign_id is None or response.actor is None:
        return
    touch(response.campaign_id)
    day = (response.completed_at or utcnow()).date()
    metrics = response_metrics(questionnaire, response.answer_map(), day)
    communes = {WHOLE, _commune_of(response)}
    rows = [{"campaign_id": response.campaign_id, "actor": response.actor,
             "commune_code": commune, "metric": metric, "count": sign * count,
             "total": sign * total}
            for commune in communes for metric, (count, total) in metrics.items()]
    statement = _insert(CampaignStat)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["campaign_id", "actor", "commune_code", "metric"],
        set_={"count": CampaignStat.count + statement.excluded.count,
              "total": CampaignStat.total + statement.excluded.total}), rows)
    scored = [{"campaign_id": response.campaign_id, "actor": response.actor,
               "commune_code": commune, "axis": score.axis, "score_key": score.score_key,
               "count": sign}
              for commune in communes for score in response.scores
              if score.score_key is not None]
    if scored:
        statement = _insert(CampaignScore)
        db.session.execute(statement.on_conflict_do_update(
            index_elements=["campaign_id", "actor", "commune_code", "axis", "score_key"],
            set_={"count": CampaignScore.count + statement.excluded.count}), scored)
    if sign < 0:
        for model in (CampaignStat, CampaignScore):
            db.session.execute(delete(model).where(
                model.campaign_id == response.campaign_id, model.actor == response.actor,
                model.commune_code.in_(communes), model.count <= 0))


def rebuild_counts(campaign: Campaign, catalog: Catalog, chunk: int = 5000) -> int:
    """Recount a campaign from its completed responses (after a bulk load or a purge)."""
    db.session.execute(delete(CampaignStat).where(CampaignStat.campaign_id == campaign.id))
    db.session.execute(delete(CampaignScore).where(CampaignScore.campaign_id == campaign.id))
    touch(campaign.id)
    ids = list(db.session.scalars(select(Response.id).where(
        Response.campaign_id == campaign.id, Response.status == "completed")
        .order_by(Response.id)))
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        for response in db.session.scalars(select(Response).where(Response.id.in_(part))):
            questionnaire = catalog.get(response.questionnaire_id, response.questionnaire_version)
            if questionnaire is not None:
                record_completion(response, questionnaire)
        db.session.commit()
        db.session.expunge_all()
    return len(ids)


# --------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class Filters:
    #: An actor type, or None for all.
    actor: str | None = None
    #: A sub-territory of the campaign (commune, epci or departement key), or None.
    territory: Territory | None = None


def _scope_condition(model, campaign: Campaign, filters: Filters):
    """The rows of the counts for the filtered communes (one query per need joins on it)."""
    conditions = [model.campaign_id == campaign.id]
    if filters.actor:
        conditions.append(model.actor == filters.actor)
    place = filters.territory
    if place is None:
        conditions.append(model.commune_code == WHOLE)
    elif place.level == "commune":
        conditions.append(model.commune_code == place.code)
    else:
        communes = select(Territory.code).where(Territory.level == "commune",
                                                *_place_condition(place))
        conditions.append(model.commune_code.in_(communes))
    return and_(*conditions)


def groups_for(campaign: Campaign, filters: Filters,
               left_out: dict[str, set[str]] | None = None,
               participation_only: bool = False, with_scores: bool = True) -> dict[str, Group]:
    """The counts and histograms of each actor type, for the filtered part of the campaign.

    `left_out`: per actor type, communes of the filter's territory whose responses are not
    counted (`Partition.left_out`): they are subtracted from the territory's sums, so that every
    query reads one range of the primary key per commune. `participation_only`: the responses
    per day only; `with_scores`: also the impact-score histograms."""
    actors = [link.actor for link in campaign.links if not filters.actor
              or link.actor == filters.actor]
    left_out = {actor: codes for actor, codes in (left_out or {}).items()
                if codes and actor in actors}
    metrics: dict[str, dict[str, list]] = {}
    pairs: dict[str, dict[str, dict[int, int]]] = {}

    def add(actor, metric, count, total, sign=1):
        entry = metrics.setdefault(actor, {}).setdefault(metric, [0, 0.0])
        entry[0] += sign * int(count)
        entry[1] += sign * float(total or 0.0)

    def add_score(actor, axis, key, count, sign=1):
        histogram = pairs.setdefault(actor, {}).setdefault(axis, {})
        histogram[key] = histogram.get(key, 0) + sign * int(count)

    stat_filter = _scope_condition(CampaignStat, campaign, filters)
    if participation_only:
        stat_filter = and_(stat_filter, or_(CampaignStat.metric == "n",
                                            CampaignStat.metric.like("day:%")))
    for actor, metric, count, total in db.session.execute(
            select(CampaignStat.actor, CampaignStat.metric, func.sum(CampaignStat.count),
                   func.sum(CampaignStat.total))
            .where(stat_filter).group_by(CampaignStat.actor, CampaignStat.metric)):
        add(actor, metric, count, total)
    scored = with_scores and not participation_only
    if scored:
        for actor, axis, key, count in db.session.execute(
                select(CampaignScore.actor, CampaignScore.axis, CampaignScore.score_key,
                       func.sum(CampaignScore.count))
                .where(_scope_condition(CampaignScore, campaign, filters))
                .group_by(CampaignScore.actor, CampaignScore.axis, CampaignScore.score_key)):
            add_score(actor, axis, key, count)
    for actor, codes in left_out.items():
        # One range of the primary key per commune left out (no GROUP BY: it would lead the
        # planner to the metric index and a scan of the whole campaign).
        where = [CampaignStat.campaign_id == campaign.id,
                 CampaignStat.commune_code.in_(sorted(codes)), CampaignStat.actor == actor]
        if participation_only:
            where.append(or_(CampaignStat.metric == "n", CampaignStat.metric.like("day:%")))
        for metric, count, total in db.session.execute(
                select(CampaignStat.metric, CampaignStat.count, CampaignStat.total).where(*where)):
            add(actor, metric, count, total, -1)
        if scored:
            for axis, key, count in db.session.execute(
                    select(CampaignScore.axis, CampaignScore.score_key, CampaignScore.count).where(
                        CampaignScore.campaign_id == campaign.id,
                        CampaignScore.commune_code.in_(sorted(codes)),
                        CampaignScore.actor == actor)):
                add_score(actor, axis, key, count, -1)
    return {actor: Group({metric: (count, total) for metric, (count, total)
                          in metrics.get(actor, {}).items() if count},
                         {axis: Histogram.from_pairs(list(values.items()))
                          for axis, values in pairs.get(actor, {}).items()})
            for actor in actors}


@dataclass(frozen=True)
class Partition:
    """A campaign's responses by commune, per actor type, and the communes that filtered
    figures leave out (`scoring.suppression.protect_partition`)."""

    counts: dict[str, dict[str, int]]
    hidden: dict[str, set[str]]

    def left_out(self, actor: str, communes: set[str]) -> set[str]:
        """The communes of `communes` with responses of `actor` that a filtered figure leaves
        out."""
        return communes & self.hidden.get(actor, set())

    def counted(self, actor: str, communes: set[str] | None) -> set[str]:
        """The communes of `communes` (None: all) whose responses a filtered figure counts."""
        mine = self.counts.get(actor, {})
        chosen = mine.keys() if communes is None else communes & mine.keys()
        return {code for code in chosen if code not in self.hidden.get(actor, set())}


def partition(campaign: Campaign, actors: Sequence[str], min_size: int) -> Partition:
    """One query: the responses of each actor type by commune."""
    rows = db.session.execute(select(CampaignStat.actor, CampaignStat.commune_code,
                                     CampaignStat.count).where(
        CampaignStat.campaign_id == campaign.id, CampaignStat.metric == "n",
        CampaignStat.actor.in_(list(actors)))).all()
    whole: dict[str, int] = {}
    counts: dict[str, dict[str, int]] = {actor: {} for actor in actors}
    for actor, code, count in rows:
        if code == WHOLE:
            whole[actor] = int(count)
        else:
            counts[actor][code] = int(count)
    hidden = {actor: protect_partition(
        counts[actor], min_size, unplaced=whole.get(actor, 0) - sum(counts[actor].values()))
        for actor in actors}
    return Partition(counts, hidden)


def _communes_in(place: Territory) -> set[str]:
    if place.level == "commune":
        return {place.code}
    return set(db.session.scalars(select(Territory.code).where(
        Territory.level == "commune", *_place_condition(place))))


def _enclosing(scope: Territory, place: Territory) -> list[Territory]:
    """The territories a filter can show that hold all of `place` and lie within `scope`
    (besides `scope` itself)."""
    keys = []
    if place.level == "commune":
        keys = [f"epci:{place.epci_code}" if place.epci_code else None,
                f"departement:{place.departement_code}"]
    elif place.level == "epci":
        departments = set(db.session.scalars(select(Territory.departement_code).distinct().where(
            Territory.level == "commune", Territory.epci_code == place.code)))
        if len(departments) == 1:
            keys = [f"departement:{departments.pop()}"]
    found = []
    for key in keys:
        territory = territories.get_territory(key) if key else None
        if territory is not None and territory.key != scope.key and contains(scope, territory):
            found.append(territory)
    return found


def protected_groups(campaign: Campaign, scope: Territory, filters: Filters,
                     min_size: int) -> dict[str, Group]:
    """The groups of a sub-territory filter, counted over the communes `partition` lets them
    show, with what the whole campaign and each enclosing territory add to them (their
    complements), so that no difference of two views rests on fewer than `min_size` responses."""
    actors = [link.actor for link in campaign.links if not filters.actor
              or link.actor == filters.actor]
    parts = partition(campaign, actors, min_size)
    place = filters.territory
    inside = _communes_in(place)
    groups = groups_for(campaign, filters,
                        {actor: parts.left_out(actor, inside) for actor in actors})
    wider = [groups_for(campaign, Filters(actor=filters.actor), with_scores=False)]
    for territory in _enclosing(scope, place):
        codes = _communes_in(territory)
        wider.append(groups_for(campaign, Filters(actor=filters.actor, territory=territory),
                                {actor: parts.left_out(actor, codes) for actor in actors},
                                with_scores=False))
    return {actor: Group(group.metrics, group.histograms,
                         tuple(subtract(view[actor].metrics, group.metrics) for view in wider))
            for actor, group in groups.items()}


@dataclass
class CampaignSummary:
    campaign: Campaign
    territory: Territory
    filters: Filters
    min_size: int
    #: Responses per actor type, and per actor type per day.
    responses: dict[str, int]
    timeline: dict[str, dict[str, int]]
    #: The filtered group is smaller than `min_size`: nothing but participation is shown.
    too_small: bool
    domains: list
    profiles: dict[str, dict[str, Quartiles]]
    #: Per actor type and axis, the regional and national reference groups.
    references: dict[str, dict[str, dict[str, object]]]
    #: question → (per actor type: value → Cell, all together: value → Cell)
    alliances: dict[str, tuple[dict[str, dict[str, Cell]], dict[str, Cell]]]
    #: The fragility index of the campaign's territory (or of its department or region).
    fragility_territory: Territory | None
    comments: list[str] = field(default_factory=list)
    #: Per actor type, responses of the filtered territory its figures leave out (they come
    #: from communes with too few responses: see `protected_groups`).
    left_out: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.responses.values())


def _option_values(catalog: Catalog, campaign: Campaign, question_id: str) -> list[str]:
    values: list[str] = []
    for link in campaign.links:
        questionnaire = catalog.get(link.questionnaire_id)
        question = questionnaire.question(question_id) if questionnaire else None
        if question is None:
            continue
        for value in question.accepted_values():
            if value not in values:
                values.append(str(value))
        if question.offers_dont_know and "nsp" not in values:
            values.append("nsp")
    return values


def fragility_territory(territory: Territory) -> Territory | None:
    """Where the objective indices come from: the territory itself for a department or region,
    else its department (communes and EPCI have no indicators of their own)."""
    if territory.level in ("departement", "region"):
        return territory
    code = territory.departement_code
    if territory.level == "epci":
        code = db.session.scalar(select(Territory.departement_code).where(
            Territory.level == "commune", Territory.epci_code == territory.code).limit(1))
    if not code:
        return None
    return db.session.scalar(select(Territory).where(Territory.level == "departement",
                                                     Territory.code == code))


def _references(campaign: Campaign, territory: Territory, actors: Sequence[str], min_size: int
                ) -> dict[str, dict[str, dict[str, object]]]:
    # An EPCI spans communes: its region is that of its department.
    located = territory if territory.level != "epci" else fragility_territory(territory)
    region = None
    if located is not None:
        region = located.code if located.level == "region" else located.region_code
    regions = ["", region] if region else [""]
    rows = db.session.execute(select(
        ScoreDistribution.actor, ScoreDistribution.region_code, ScoreDistribution.axis,
        ScoreDistribution.score_key, ScoreDistribution.count).where(
        ScoreDistribution.questionnaire_id.in_([link.questionnaire_id for link in campaign.links]),
        ScoreDistribution.actor.in_(list(actors)),
        ScoreDistribution.region_code.in_(regions))).all()
    pairs: dict[tuple[str, str, str], list[tuple[int, int]]] = {}
    for actor, region_code, axis, key, count in rows:
        pairs.setdefault((actor, region_code, axis), []).append((key, count))
    empty: list[tuple[int, int]] = []
    return {
        actor: {
            axis: {
                "region": summarise(Histogram.from_pairs(pairs.get((actor, region, axis), empty)),
                                    None, min_size) if region else None,
                "pays": summarise(Histogram.from_pairs(pairs.get((actor, "", axis), empty)),
                                  None, min_size),
            }
            for axis in AXES
        }
        for actor in actors
    }


def _comments(campaign: Campaign, actors: Sequence[str], limit: int = 100) -> list[str]:
    """The latest free-text answers of the given actor types, for the organiser's eyes only."""
    if not actors:
        return []
    query = (select(Answer.value).join(Response, Response.id == Answer.response_id)
             .where(Response.campaign_id == campaign.id, Response.status == "completed",
                    Response.actor.in_(list(actors)), Answer.question_id == "commentaire")
             .order_by(Response.completed_at.desc()).limit(limit))
    return [value for value in db.session.scalars(query) if isinstance(value, str)]


def _place_condition(place: Territory):
    if place.level == "commune":
        return [Territory.code == place.code]
    column = {"epci": Territory.epci_code, "departement": Territory.departement_code,
              "region": Territory.region_code}[place.level]
    return [column == place.code]


#: Groups of the latest dashboard views kept per worker, under the campaign's revision.
CACHE_SIZE = 64
_CACHE_LOCK = threading.Lock()


def _groups(campaign: Campaign, territory: Territory, filters: Filters, min_size: int
            ) -> tuple[dict[str, Group], dict[str, Group]]:
    """The participation groups and the protected figure groups of a view, from the worker's
    cache when the campaign's counts have not changed since (its revision, read from the
    database with the campaign, says so: any worker may have changed them)."""
    cache: OrderedDict = current_app.extensions.setdefault("campaign_groups", OrderedDict())
    key = (campaign.public_id, campaign.revision, filters.actor,
           filters.territory.key if filters.territory is not None else None, min_size)
    with _CACHE_LOCK:
        found = cache.get(key)
        if found is not None:
            cache.move_to_end(key)
            return found
    if filters.territory is None:
        counted = groups = groups_for(campaign, filters)
    else:
        counted = groups_for(campaign, filters, participation_only=True)
        groups = protected_groups(campaign, territory, filters, min_size)
    with _CACHE_LOCK:
        cache[key] = (counted, groups)
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    return counted, groups


def summary(campaign: Campaign, filters: Filters, catalog: Catalog, min_size: int,
            with_comments: bool = False) -> CampaignSummary:
    """Everything the dashboard, the report and the API say about a campaign, protected."""
    territory = territories.get_territory(campaign.territory)
    counted, groups = _groups(campaign, territory, filters, min_size)
    responses, timeline = participation(counted)
    total = sum(responses.values())
    figures_n = sum(group.n for group in groups.values())
    domains = list(catalog.vocabulary.domains)
    source = fragility_territory(filters.territory or territory)
    indices = {}
    if source is not None:
        indices = {domain: result.index for domain, result in
                   reference.territory_fragility(source, domains).items()}
    alliances = {}
    for question in ALLIANCE_QUESTIONS:
        values = _option_values(catalog, campaign, question)
        if values:
            alliances[question] = choice_shares(groups, question, values, min_size)
    comments = []
    if with_comments and filters.territory is None:
        # Free text needs twice the minimum, actor type by actor type (no sub-territory: the
        # difference of two lists would tell whose a comment is).
        comments = _comments(campaign, [actor for actor, n in responses.items()
                                        if n >= 2 * min_size])
    return CampaignSummary(
        campaign=campaign, territory=territory, filters=filters, min_size=min_size,
        responses=responses, timeline=timeline, too_small=total > 0 and figures_n < min_size,
        domains=perceived_fragility(groups, domains, indices, min_size),
        profiles=impact_profiles(groups, AXES, min_size),
        references=_references(campaign, territory, list(groups), min_size),
        alliances=alliances, fragility_territory=source, comments=comments,
        left_out={actor: responses[actor] - group.n for actor, group in groups.items()
                  if responses.get(actor, 0) > group.n},
    )


def _reference_json(group) -> dict | None:
    if group is None:
        return None
    return {"suppressed": True} if group.suppressed else group.as_dict()


def summary_json(summary_: CampaignSummary) -> dict:
    """The summary for the API: protected cells say `{"suppressed": true}` and nothing else."""
    return {
        "id": summary_.campaign.public_id,
        "title": summary_.campaign.title,
        "territory": summary_.campaign.territory,
        "status": summary_.campaign.status,
        "min_group_size": summary_.min_size,
        "filters": {"actor": summary_.filters.actor,
                    "territory": summary_.filters.territory.key
                    if summary_.filters.territory else None},
        "responses": summary_.responses,
        "timeline": summary_.timeline,
        "too_small": summary_.too_small,
        "left_out": summary_.left_out,
        "fragility_territory": summary_.fragility_territory.key
        if summary_.fragility_territory else None,
        "domains": [] if summary_.too_small else [
            {
                "domain": row.domain,
                "index": None if row.index is None else round(row.index, 1),
                "groups": {
                    actor: {"mean": cell.mean.as_dict(), "priority": cell.priority.as_dict(3),
                            "dont_know": cell.dont_know.as_dict(3),
                            "classification": cell.classification}
                    for actor, cell in row.groups.items()
                },
                "all": {"mean": row.total.mean.as_dict(), "priority": row.total.priority.as_dict(3),
                        "dont_know": row.total.dont_know.as_dict(3),
                        "classification": row.total.classification},
            }
            for row in summary_.domains
        ],
        "impacts": {} if summary_.too_small else {
            actor: {
                axis: {
                    "campaign": profile.as_dict(),
                    "region": _reference_json(summary_.references[actor][axis]["region"]),
                    "pays": _reference_json(summary_.references[actor][axis]["pays"]),
                }
                for axis, profile in profiles.items()
            }
            for actor, profiles in summary_.profiles.items()
        },
        "alliances": {} if summary_.too_small else {
            question: {
                "groups": {actor: {value: cell.as_dict(3) for value, cell in cells.items()}
                           for actor, cells in per_actor.items()},
                "all": {value: cell.as_dict(3) for value, cell in totals.items()},
            }
            for question, (per_actor, totals) in summary_.alliances.items()
        },
    }
