"""Demo responses: plausible, scored as real ones, counted in the benchmarks, purged cleanly."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from diagnostic.extensions import db
from diagnostic.models import (
    Answer,
    BenchmarkGroup,
    IndicatorValue,
    Response,
    ResponseScore,
    ScoreDistribution,
    Territory,
)
from diagnostic.registry import catalog
from diagnostic.services import demo, responses
from diagnostic.services.benchmarks import rebuild_distributions
from diagnostic.services.reference import territory_fragility
from questionnaires import applicable_answers, check_answers
from scoring import score_axes
from scoring.benchmarks import score_key
from tests.answers import full_answers

N = 200
SEED = 11
ACTORS = {"citoyen", "entreprise", "association", "elu"}


def seed(app, n: int = N, seed: int = SEED, batch: int = 64) -> list[int]:
    """Seed demo responses in small batches; return the sizes `progress` was told."""
    told: list[int] = []
    with app.app_context():
        assert demo.seed_demo(n, seed=seed, progress=told.append, batch=batch) == n
    return told


def demo_responses() -> list[Response]:
    return db.session.scalars(
        select(Response).where(Response.is_demo.is_(True)).order_by(Response.id)
    ).all()


def snapshot() -> list[tuple]:
    """What a demo response is made of, in id order (not its times, which depend on now)."""
    return [
        (
            r.questionnaire_id,
            r.actor,
            r.territory,
            r.region_code,
            r.language,
            sorted(r.answer_map().items()),
            [(s.axis, s.score_key, s.answered_items) for s in r.scores],
        )
        for r in demo_responses()
    ]


def distributions() -> set[tuple]:
    return {
        (d.questionnaire_id, d.actor, d.region_code, d.axis, d.score_key, d.count)
        for d in db.session.scalars(select(ScoreDistribution))
    }


def real_response(app, territory_key: str = "commune:69123", questionnaire_id: str = "elu"):
    with app.app_context():
        questionnaire = catalog().get(questionnaire_id)
        territory = db.session.scalar(
            select(Territory).where(
                Territory.level == "commune", Territory.code == territory_key.split(":")[1]
            )
        )
        response, _token, scores = responses.create_completed_response(
            questionnaire, territory, full_answers(questionnaire, territory_key), "fr"
        )
        return response.id, scores


# --------------------------------------------------------------------------- drawing


def test_rating_mean_rises_with_the_fragility_index():
    # A domain no actor type sees differently: the index alone.
    assert "education" not in {d for offsets in demo.ACTOR_RATING_OFFSETS.values() for d in offsets}
    assert demo.rating_mean(100, "citoyen", "education") == pytest.approx(5.5)
    assert demo.rating_mean(None, "citoyen", "education") == pytest.approx(5.5)
    assert demo.rating_mean(125, "citoyen", "education") == pytest.approx(6.5)
    assert demo.rating_mean(150, "elu", "education") == pytest.approx(7.5)
    assert demo.rating_mean(75, "entreprise", "education") == pytest.approx(4.5)
    # Clipped: an extreme index does not push the mean off the scale.
    assert demo.rating_mean(1000, "citoyen", "education") == pytest.approx(9.0)
    assert demo.rating_mean(1, "citoyen", "education") == pytest.approx(1.54)
    assert demo.rating_mean(0, "citoyen", "education") == pytest.approx(1.5)
    means = [demo.rating_mean(index, "association", "sante") for index in range(40, 260, 10)]
    assert means == sorted(means)
    assert all(0.5 <= mean <= 9.5 for mean in means)
    # Plus the actor type's offset: companies see unemployment more than citizens do.
    assert demo.rating_mean(100, "entreprise", "emploi") == pytest.approx(6.5)
    assert demo.rating_mean(100, "entreprise", "emploi") > demo.rating_mean(
        100, "citoyen", "emploi"
    )
    assert demo.rating_mean(100, "association", "pauvrete") > demo.rating_mean(
        100, "entreprise", "pauvrete"
    )


def test_ratings_are_drawn_around_the_mean_of_the_region_objective_index(app):
    with app.app_context():
        drawer = demo._Drawer(seed=1, total=10)
        domains = list(catalog().vocabulary.domains)
        for plan in drawer.plans:
            questions = [q for q in plan.questionnaire.questions if q.domain and not q.axis]
            assert [q.domain for q in questions] == domains
            for row, code in enumerate(drawer.region_codes):
                region = db.session.scalar(
                    select(Territory).where(Territory.level == "region", Territory.code == code)
                )
                indices = territory_fragility(region, domains)
                expected = [
                    demo.rating_mean(indices[q.domain].index, plan.actor, q.domain)
                    for q in questions
                ]
                assert plan.rating_means[row].tolist() == pytest.approx(expected)
        # Réunion's unemployment is far above Auvergne-Rhône-Alpes': rated higher there.
        citoyen = drawer.plans[0]
        emploi = [
            q.domain for q in citoyen.questionnaire.questions if q.domain and not q.axis
        ].index("emploi")
        reunion, aura = drawer.region_codes.index("04"), drawer.region_codes.index("84")
        assert citoyen.rating_means[reunion, emploi] > citoyen.rating_means[aura, emploi] + 1


# --------------------------------------------------------------------------- seeding


def test_seed_creates_completed_demo_responses_of_the_four_actor_types(app):
    told = seed(app)
    assert told == [64, 64, 64, 8]
    with app.app_context():
        rows = demo_responses()
        assert len(rows) == N == demo.demo_count()
        assert {r.status for r in rows} == {"completed"}
        counts = Counter(r.actor for r in rows)
        assert set(counts) == ACTORS
        assert counts["citoyen"] > counts["entreprise"] > counts["elu"]
        for r in rows:
            questionnaire = catalog().get(r.actor)
            assert (r.questionnaire_id, r.questionnaire_version) == (
                questionnaire.id,
                questionnaire.version,
            )
            assert r.current_section == len(questionnaire.sections) - 1
        communes = {
            t.key: t
            for t in db.session.scalars(select(Territory).where(Territory.level == "commune"))
        }
        for r in rows:
            assert r.territory in communes
            assert r.region_code == communes[r.territory].region_code
        # Population-weighted: Paris (2.1 M inhabitants) comes before the smallest communes.
        places = Counter(r.territory for r in rows)
        assert places["commune:75056"] > places.get("commune:01400", 0)
        languages = Counter(r.language for r in rows)
        assert set(languages) <= {"fr", "en"} and languages["fr"] > 0.8 * N
        now = datetime.now(UTC)
        for r in rows:
            completed = r.completed_at.replace(tzinfo=r.completed_at.tzinfo or UTC)
            created = r.created_at.replace(tzinfo=r.created_at.tzinfo or UTC)
            assert now - timedelta(days=560) < completed <= now
            assert created < completed
        assert len({r.public_id for r in rows}) == N
        assert all(len(r.public_id) == 32 and len(r.token_hash) == 64 for r in rows)
        assert len({r.token_hash for r in rows}) == N
        assert all(int(r.token_hash, 16) >= 0 for r in rows)


def test_answers_are_valid_and_scores_are_those_of_a_real_response(app):
    seed(app)
    with app.app_context():
        checked = 0
        for r in demo_responses():
            questionnaire = catalog().get(r.questionnaire_id, r.questionnaire_version)
            answers = r.answer_map()
            assert answers, r.id
            # Acceptable answers, only to questions that apply, no free text.
            accepted, errors = check_answers(questionnaire, answers)
            assert errors == {} and accepted == answers
            assert applicable_answers(questionnaire, answers) == answers
            assert not [q for q in questionnaire.questions if q.type == "text" and q.id in answers]
            assert answers[questionnaire.territory_question.id] == r.territory
            # Scored as `complete_response` scores a real response.
            stored = {s.axis: s for s in r.scores}
            assert set(stored) == {"confiance", "performance", "innovation"}
            for axis, expected in score_axes(questionnaire, answers).items():
                row = stored[axis]
                assert (row.applicable_items, row.answered_items, row.dont_know_items) == (
                    expected.applicable_items,
                    expected.answered_items,
                    expected.dont_know_items,
                )
                assert row.coverage == expected.coverage
                assert row.dont_know_share == expected.dont_know_share
                if expected.score is None:
                    assert row.score is None and row.score_key is None
                else:
                    # Exactly: a batch sums item by item, as one response does.
                    assert row.score == expected.score
                    assert row.score_key == score_key(expected.score)
                checked += 1
        assert checked == 3 * N


def test_answers_are_plausible(app):
    seed(app)
    with app.app_context():
        rows = demo_responses()
        ratings, dont_know, partnerships = 0, 0, Counter()
        for r in rows:
            questionnaire = catalog().get(r.questionnaire_id, r.questionnaire_version)
            answers = r.answer_map()
            rated = {
                q.domain: answers[q.id]
                for q in questionnaire.questions
                if q.domain and not q.axis and q.id in answers
            }
            assert len(rated) == 16
            ratings += len(rated)
            dont_know += sum(value is None for value in rated.values())
            # The priorities are the three highest-rated domains, highest first.
            priorities = answers["priorites"]
            assert len(priorities) == 3
            values = [rated[d] for d in priorities]
            assert None not in values and values == sorted(values, reverse=True)
            others = [v for d, v in rated.items() if d not in priorities and v is not None]
            assert min(values) >= max(others)
            partnership = answers.get("partenariats", "absent")
            partnerships[r.actor, partnership] += 1
            for question_id in ("partenaires", "pratiques", "domaines_partenariats"):
                if partnership == "oui":
                    assert answers[question_id], (r.id, question_id)
                else:
                    assert question_id not in answers
        assert 0.02 < dont_know / ratings < 0.09
        assert (
            partnerships["elu", "oui"]
            / sum(n for (actor, _v), n in partnerships.items() if actor == "elu")
            > 0.3
        )
        assert 0 < sum(n for (_a, value), n in partnerships.items() if value is None) < 0.1 * N


def test_reversed_items_are_answered_against_the_latent_score(app):
    seed(app)
    with app.app_context():
        agree, disagree = 0, 0
        for r in demo_responses():
            questionnaire = catalog().get(r.questionnaire_id, r.questionnaire_version)
            answers = r.answer_map()
            for axis in ("confiance", "performance", "innovation"):
                items = [q for q in questionnaire.axis_questions(axis) if answers.get(q.id)]
                plain = [answers[q.id] for q in items if not q.reversed]
                reversed_ = [answers[q.id] for q in items if q.reversed]
                if not plain or not reversed_:
                    continue
                high = sum(plain) / len(plain) >= 2.5
                agrees = sum(reversed_) / len(reversed_) >= 2.5
                agree += high == agrees
                disagree += high != agrees
        assert disagree > agree


def test_benchmark_histograms_equal_a_rebuild_and_count_every_scored_response(app):
    real_response(app)
    seed(app)
    real_response(app, "commune:13055", "citoyen")  # counted on completion, after the load
    with app.app_context():
        kept = distributions()
        groups = {
            (g.questionnaire_id, g.actor, g.region_code, g.responses)
            for g in db.session.scalars(select(BenchmarkGroup))
        }
        rebuild_distributions()
        assert distributions() == kept
        assert {
            (g.questionnaire_id, g.actor, g.region_code, g.responses)
            for g in db.session.scalars(select(BenchmarkGroup))
        } == groups
        # Each national group holds every response of its actor type with a score on the axis.
        scored = Counter(
            db.session.execute(
                select(Response.questionnaire_id, Response.actor, ResponseScore.axis)
                .join(ResponseScore, ResponseScore.response_id == Response.id)
                .where(Response.status == "completed", ResponseScore.score_key.is_not(None))
            ).all()
        )
        national = Counter()
        for questionnaire_id, actor, region, axis, _key, count in kept:
            if region == "":
                national[questionnaire_id, actor, axis] += count
        assert national == scored
        assert sum(scored.values()) > 2.5 * N
        sizes = Counter(
            db.session.execute(
                select(Response.questionnaire_id, Response.actor).where(
                    Response.status == "completed"
                )
            ).all()
        )
        assert {(q, a): n for q, a, region, n in groups if region == ""} == sizes


def test_purge_removes_only_the_demo_responses(app):
    real_id, real_scores = real_response(app)
    with app.app_context():
        territories = db.session.scalar(select(func.count()).select_from(Territory))
        indicators = db.session.scalar(select(func.count()).select_from(IndicatorValue))
        real_answers = db.session.scalar(select(func.count()).select_from(Answer))
        before = distributions()
    seed(app)
    with app.app_context():
        assert demo.purge_demo() == N
        assert demo.demo_count() == 0
        assert db.session.scalars(select(Response.id)).all() == [real_id]
        assert db.session.scalar(select(func.count()).select_from(Answer)) == real_answers
        assert set(db.session.scalars(select(ResponseScore.response_id))) == {real_id}
        assert db.session.scalar(select(func.count()).select_from(Territory)) == territories
        assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) == indicators
        # The real response's distribution entries stay, and nothing else.
        assert distributions() == before
        assert {(d[2], d[3], d[4]) for d in before if d[2] == ""} == {
            ("", axis, score_key(s.score)) for axis, s in real_scores.items() if s.score is not None
        }
        assert db.session.scalars(select(BenchmarkGroup.responses)).all() == [1, 1]
        assert demo.purge_demo() == 0


def test_the_same_seed_gives_the_same_answers(app):
    seed(app, 60, seed=5, batch=25)
    with app.app_context():
        first = snapshot()
        assert demo.purge_demo() == 60
    seed(app, 60, seed=5, batch=25)
    with app.app_context():
        assert snapshot() == first
        demo.purge_demo()
    seed(app, 60, seed=6, batch=25)
    with app.app_context():
        assert snapshot() != first


def test_the_portable_writer_stores_the_same_responses(app, monkeypatch):
    """SQLAlchemy Core executemany, used on other databases, writes what the native path does."""
    seed(app, 60, seed=5, batch=25)
    with app.app_context():
        native = snapshot()
        native_scores = [
            [(s.axis, s.score, s.coverage, s.dont_know_share) for s in r.scores]
            for r in demo_responses()
        ]
        demo.purge_demo()
    monkeypatch.setattr(demo, "_writer", lambda: demo._write_core)
    seed(app, 60, seed=5, batch=25)
    with app.app_context():
        assert snapshot() == native
        assert [
            [(s.axis, s.score, s.coverage, s.dont_know_share) for s in r.scores]
            for r in demo_responses()
        ] == native_scores


def test_nothing_to_seed(app):
    with app.app_context():
        assert demo.seed_demo(0) == 0
        assert demo.demo_count() == 0
