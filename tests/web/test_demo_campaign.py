"""Demo responses in a campaign: they come through its links and lie in its territory, and the
running counts `seed_demo` adds from its batches' arrays are exactly those
`campaigns.rebuild_counts` replays response by response; `purge_demo` takes them out again."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, func, select, update

from diagnostic.extensions import db
from diagnostic.models import (
    Campaign,
    CampaignLink,
    CampaignScore,
    CampaignStat,
    Response,
    Territory,
    User,
)
from diagnostic.registry import catalog
from diagnostic.services import accounts, campaigns, demo, responses
from diagnostic.services.territories import get_territory
from tests.answers import full_answers

N = 300
ACTORS = ("citoyen", "entreprise", "association", "elu")
#: Communes of the test extract in region 84 (Auvergne-Rhône-Alpes).
REGION_84 = {"01001", "01400", "38185", "69029", "69123", "69256", "69266"}


@pytest.fixture
def campaign_id(app):
    """A campaign of region 84 with the four actor types; removed afterwards with its counts."""
    with app.app_context():
        owner = accounts.create_user(f"demo-{uuid.uuid4().hex[:8]}@example.org", "x" * 16)
        campaign = campaigns.create_campaign(
            owner, "Démo", get_territory("region:84"), {actor: actor for actor in ACTORS}
        )
        ids = campaign.id, owner.id
    yield ids[0]
    with app.app_context():
        db.session.rollback()
        for model in (CampaignStat, CampaignScore, CampaignLink):
            db.session.execute(delete(model).where(model.campaign_id == ids[0]))
        db.session.execute(
            update(Response).where(Response.campaign_id == ids[0]).values(campaign_id=None)
        )
        db.session.execute(delete(Campaign).where(Campaign.id == ids[0]))
        db.session.execute(delete(User).where(User.id == ids[1]))
        db.session.commit()


def counts(campaign_id: int) -> tuple[dict, dict]:
    """The campaign's running counts: CampaignStat and CampaignScore rows by key."""
    db.session.expire_all()
    stats = {
        (s.actor, s.commune_code, s.metric): (s.count, s.total)
        for s in db.session.scalars(
            select(CampaignStat).where(CampaignStat.campaign_id == campaign_id)
        )
    }
    scores = {
        (s.actor, s.commune_code, s.axis, s.score_key): s.count
        for s in db.session.scalars(
            select(CampaignScore).where(CampaignScore.campaign_id == campaign_id)
        )
    }
    return stats, scores


def rebuilt(campaign_id: int) -> tuple[dict, dict]:
    """The counts `campaigns.rebuild_counts` makes, replaying `record_completion` per response."""
    campaigns.rebuild_counts(db.session.get(Campaign, campaign_id), catalog())
    db.session.commit()
    return counts(campaign_id)


def test_counts_from_the_batches_are_those_replayed_response_by_response(app, campaign_id):
    with app.app_context():
        assert demo.seed_demo(200, seed=3, batch=64, campaign_id=campaign_id) == 200
        # A second load adds to the counts already there.
        assert demo.seed_demo(N - 200, seed=4, batch=37, campaign_id=campaign_id) == N - 200
        stats, scores = counts(campaign_id)
        # Counted by commune and for the whole campaign, every kind of metric.
        assert sum(stats[(a, campaigns.WHOLE, "n")][0] for a in ACTORS) == N
        assert sum(c for (_a, commune, m), (c, _t) in stats.items() if m == "n" and commune) == N
        kinds = {metric.split(":")[0] for _a, _c, metric in stats}
        assert kinds == {"n", "day", "q", "rating", "rating_nsp"}
        assert any(metric.endswith("=nsp") for _a, _c, metric in stats)
        assert any(total > 0 for _c, total in stats.values())
        assert {axis for _a, _c, axis, _k in scores} == {"confiance", "performance", "innovation"}
        assert {commune for _a, commune, _m in stats} <= REGION_84 | {campaigns.WHOLE}

        assert rebuilt(campaign_id) == (stats, scores)


def test_demo_responses_come_through_the_campaign_and_lie_in_its_territory(app, campaign_id):
    with app.app_context():
        demo.seed_demo(N, seed=5, batch=100, campaign_id=campaign_id)
        rows = db.session.execute(
            select(
                Response.campaign_id,
                Response.actor,
                Response.questionnaire_id,
                Response.territory,
                Response.region_code,
            ).where(Response.is_demo.is_(True))
        ).all()
        assert len(rows) == N
        assert {row.campaign_id for row in rows} == {campaign_id}
        assert {row.actor for row in rows} == set(ACTORS)
        assert all(row.questionnaire_id == row.actor for row in rows)
        assert {row.region_code for row in rows} == {"84"}
        assert {row.territory.split(":")[1] for row in rows} <= REGION_84
        summary = campaigns.summary(
            db.session.get(Campaign, campaign_id), campaigns.Filters(), catalog(), 5
        )
        assert summary.total == N
        assert sum(summary.responses.values()) == N


def test_within_narrows_the_communes_and_a_campaign_narrows_the_actor_types(app, campaign_id):
    with app.app_context():
        department = db.session.scalar(
            select(Territory).where(Territory.level == "departement", Territory.code == "69")
        )
        link = db.session.scalar(
            select(CampaignLink).where(
                CampaignLink.campaign_id == campaign_id, CampaignLink.actor == "elu"
            )
        )
        db.session.delete(link)
        db.session.commit()
        demo.seed_demo(120, seed=6, batch=50, campaign_id=campaign_id, within=department)
        territories = db.session.scalars(
            select(Response.territory).where(Response.is_demo.is_(True))
        ).all()
        assert {key.split(":")[1][:2] for key in territories} == {"69"}
        actors = set(db.session.scalars(select(Response.actor).distinct()))
        assert actors == {"citoyen", "entreprise", "association"}
        stats, scores = counts(campaign_id)
        assert {commune for _a, commune, _m in stats} <= {
            "69029",
            "69123",
            "69256",
            "69266",
            campaigns.WHOLE,
        }
        assert rebuilt(campaign_id) == (stats, scores)
        # Without a campaign, `within` alone narrows the communes too.
        demo.seed_demo(50, seed=7, within=get_territory("commune:38185"))
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Response)
                .where(
                    Response.is_demo.is_(True),
                    Response.campaign_id.is_(None),
                    Response.territory != "commune:38185",
                )
            )
            == 0
        )


def test_purging_demo_responses_leaves_the_counts_of_the_real_ones(app, campaign_id):
    with app.app_context():
        questionnaire = catalog().get("elu")
        lyon = get_territory("commune:69123")
        stored, _token, _scores = responses.create_completed_response(
            questionnaire, lyon, full_answers(questionnaire, lyon.key), "fr"
        )
        response = db.session.get(Response, stored.id)
        response.campaign_id = campaign_id
        campaigns.record_completion(response, questionnaire)
        db.session.commit()
        real = counts(campaign_id)
        assert real[0][("elu", campaigns.WHOLE, "n")] == (1, 0.0)

        demo.seed_demo(N, seed=8, batch=128, campaign_id=campaign_id)
        seeded = counts(campaign_id)
        assert sum(seeded[0][(a, campaigns.WHOLE, "n")][0] for a in ACTORS) == N + 1
        assert rebuilt(campaign_id) == seeded

        assert demo.purge_demo() == N
        assert counts(campaign_id) == real
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_purging_a_campaign_of_demo_responses_only_empties_its_counts(app, campaign_id):
    with app.app_context():
        demo.seed_demo(50, seed=9, campaign_id=campaign_id)
        assert counts(campaign_id)[0]
        assert demo.purge_demo() == 50
        assert counts(campaign_id) == ({}, {})
