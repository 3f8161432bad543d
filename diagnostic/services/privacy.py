"""Privacy: a respondent deletes their own answers with their private link, an organiser deletes
a campaign or a workshop with all its responses, and responses older than the retention period
are purged. Every aggregate follows: the reference groups' histograms (`benchmarks`) and the
running counts of the campaigns concerned (`campaigns`), whose revision changes so that no
dashboard shows figures cached before.

No address or browser is stored with a response (see `tests/web/test_privacy.py`); what a
deletion removes is the response row, its answers and its scores, nothing is kept aside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, true, update

from questionnaires import Catalog

from ..extensions import db
from ..models import Answer, Campaign, Response, ResponseScore, Workshop, utcnow
from . import benchmarks, campaigns


def _delete_rows(condition) -> int:
    """Delete the responses matching `condition` with their answers and scores (bulk, in the
    caller's transaction); returns how many responses went."""
    ids = select(Response.id).where(condition)
    bulk = {"synchronize_session": False}
    db.session.execute(delete(Answer).where(Answer.response_id.in_(ids)), execution_options=bulk)
    db.session.execute(delete(ResponseScore).where(ResponseScore.response_id.in_(ids)),
                       execution_options=bulk)
    # A response redoing a deleted one stays, without its link to it (ON DELETE SET NULL says
    # the same; it is not left to chance).
    db.session.execute(update(Response).where(Response.previous_id.in_(ids))
                       .values(previous_id=None, updated_at=Response.updated_at),
                       execution_options=bulk)
    removed = db.session.execute(delete(Response).where(condition), execution_options=bulk)
    return removed.rowcount or 0


def _remove(condition) -> int:
    """Delete the responses matching `condition` and take them out of the reference groups
    (one grouped read before, one subtraction after). Caller commits."""
    removal = benchmarks.removal_of(condition)
    removed = _delete_rows(condition)
    benchmarks.subtract(removal)
    return removed


# --------------------------------------------------------------------------- a respondent


def delete_response(response: Response, catalog: Catalog) -> None:
    """Delete a response for good, with its answers and scores (a workshop participant's answers
    leave the workshop's figures with it); its reference groups and its campaign's counts no
    longer count it."""
    campaign_id = response.campaign_id if response.completed else None
    recount = False
    if response.completed:
        benchmarks.record_removal(response)
        if campaign_id is not None:
            questionnaire = catalog.get(response.questionnaire_id, response.questionnaire_version)
            if questionnaire is None:
                recount = True  # its definition is gone: the counts are made again without it
            else:
                campaigns.record_completion(response, questionnaire, sign=-1)
    _delete_rows(Response.id == response.id)
    db.session.commit()
    db.session.expire_all()
    if recount:
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is not None:
            campaigns.rebuild_counts(campaign, catalog)
            db.session.commit()


# --------------------------------------------------------------------------- an organiser


@dataclass(frozen=True)
class Count:
    """Responses a deletion would remove: all of them, and how many were completed."""

    total: int
    completed: int


def _count(condition) -> Count:
    total, completed = db.session.execute(
        select(func.count(), func.count().filter(Response.status == "completed"))
        .where(condition)).one()
    return Count(int(total), int(completed or 0))


def campaign_count(campaign: Campaign) -> Count:
    return _count(Response.campaign_id == campaign.id)


def workshop_count(workshop: Workshop) -> Count:
    return _count(Response.workshop_id == workshop.id)


def delete_campaign(campaign: Campaign) -> int:
    """Delete a campaign with every response that came through its links (workshop answers
    added to it included), their answers and scores, and its links and counts. Returns the
    responses deleted."""
    removed = _remove(Response.campaign_id == campaign.id)
    # A workshop whose answers were added to it stays (without those answers).
    db.session.execute(update(Workshop).where(Workshop.campaign_id == campaign.id)
                       .values(campaign_id=None))
    db.session.delete(campaign)  # its links; its counts by ON DELETE CASCADE
    db.session.commit()
    return removed


def delete_workshop(workshop: Workshop, catalog: Catalog) -> int:
    """Delete a workshop with all its participants' answers; those added to a campaign leave
    its counts (a workshop has at most a few hundred participants: each is taken out in
    turn). Returns the participants deleted."""
    condition = Response.workshop_id == workshop.id
    attached = db.session.scalars(select(Response).where(
        condition, Response.status == "completed", Response.campaign_id.is_not(None))).all()
    recount = set()
    for response in attached:
        questionnaire = catalog.get(response.questionnaire_id, response.questionnaire_version)
        if questionnaire is None:
            recount.add(response.campaign_id)
        else:
            campaigns.record_completion(response, questionnaire, sign=-1)
    removed = _remove(condition)
    db.session.delete(workshop)
    db.session.commit()
    for campaign_id in recount:
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is not None:
            campaigns.rebuild_counts(campaign, catalog)
            db.session.commit()
    return removed


# --------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class Expired:
    """Responses past the retention period: all, completed, unfinished, demo."""

    total: int
    completed: int
    demo: int

    @property
    def unfinished(self) -> int:
        return self.total - self.completed


def expired_condition(days: int, now: datetime | None = None):
    """Responses completed more than `days` days ago, and unfinished ones last saved more than
    `days` days ago (demo ones too)."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    return func.coalesce(Response.completed_at, Response.updated_at) < cutoff


def purge_expired(days: int, catalog: Catalog, now: datetime | None = None,
                  dry_run: bool = False) -> Expired:
    """Delete the responses past the retention period (`expired_condition`), then recount once
    the reference groups and the campaigns concerned. With `dry_run`, only count them."""
    condition = expired_condition(days, now)
    total, completed, demo = db.session.execute(
        select(func.count(), func.count().filter(Response.status == "completed"),
               func.count().filter(Response.is_demo == true())).where(condition)).one()
    found = Expired(int(total), int(completed or 0), int(demo or 0))
    if dry_run or not found.total:
        return found
    campaign_ids = db.session.scalars(select(Response.campaign_id).distinct().where(
        condition, Response.status == "completed", Response.campaign_id.is_not(None))).all()
    _delete_rows(condition)
    db.session.commit()
    db.session.expire_all()
    for campaign_id in campaign_ids:
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is not None:
            campaigns.rebuild_counts(campaign, catalog)
            db.session.commit()
    if found.completed:
        benchmarks.rebuild_distributions()
    return found
