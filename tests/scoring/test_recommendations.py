"""Practices to explore next, each expected list written by hand from the module's rules.

Practices by impact (from scoring.recommendations):
  confiance:   dialogue_territorial, experience_collective, tiers_lieux, engagement_salaries
  performance: pratiques_responsables, cooperation_economique, investissement_societal,
               engagement_territorial
  innovation:  innovation_societale, accompagnement_acteurs, mecenat, tiers_lieux
Not for a citizen: engagement_salaries, investissement_societal, mecenat, cooperation_economique.
"""

from __future__ import annotations

import random

import pytest

from scoring.recommendations import (
    AXIS_ORDER,
    MAX_FROM_DOMAINS,
    MAX_PRACTICES,
    MIN_PRACTICES,
    NOT_FOR_ACTOR,
    PRACTICES_BY_AXIS,
    PRACTICES_BY_DOMAIN,
    Recommendation,
    axes_weakest_first,
    recommend,
)

ACTORS = ("citoyen", "entreprise", "association", "elu", None)
ALL_PRACTICES = frozenset(
    {p for practices in PRACTICES_BY_AXIS.values() for p in practices}
    | {p for practices in PRACTICES_BY_DOMAIN.values() for p in practices}
)
CITIZEN_EXCLUDED = {
    "engagement_salaries",
    "mecenat",
    "investissement_societal",
    "cooperation_economique",
}
REASONS = {"weakest_axis", "next_axis", "priority_domain", "deepen"}


def weakest(axis: str) -> dict[str, float]:
    """Scores where `axis` is the weakest, then the others in AXIS_ORDER (20, 50, 80)."""
    others = [a for a in AXIS_ORDER if a != axis]
    return {axis: 20.0, others[0]: 50.0, others[1]: 80.0}


def W(practice: str, axis: str, domain: str | None = None) -> Recommendation:
    return Recommendation(practice, "weakest_axis", axis=axis, domain=domain)


def N(practice: str, axis: str, domain: str | None = None) -> Recommendation:
    return Recommendation(practice, "next_axis", axis=axis, domain=domain)


def P(practice: str, domain: str) -> Recommendation:
    return Recommendation(practice, "priority_domain", axis=None, domain=domain)


def D(practice: str, axis: str) -> Recommendation:
    return Recommendation(practice, "deepen", axis=axis)


def test_constants():
    assert AXIS_ORDER == ("confiance", "performance", "innovation")
    assert (MIN_PRACTICES, MAX_PRACTICES, MAX_FROM_DOMAINS) == (3, 5, 2)
    assert NOT_FOR_ACTOR["citoyen"] == CITIZEN_EXCLUDED


# --------------------------------------------------------------------------- axes_weakest_first


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        # 30 < 40 < 50
        (
            {"confiance": 50, "performance": 30, "innovation": 40},
            ["performance", "innovation", "confiance"],
        ),
        # all tied: AXIS_ORDER
        (
            {"innovation": 40, "performance": 40, "confiance": 40},
            ["confiance", "performance", "innovation"],
        ),
        # innovation = performance = 20 < 60: the tie broken by AXIS_ORDER (performance first)
        (
            {"innovation": 20, "performance": 20, "confiance": 60},
            ["performance", "innovation", "confiance"],
        ),
        # confiance = innovation = 10 < 90
        (
            {"confiance": 10, "performance": 90, "innovation": 10},
            ["confiance", "innovation", "performance"],
        ),
        # only performance scored; then confiance, innovation (AXIS_ORDER)
        (
            {"confiance": None, "performance": 70, "innovation": None},
            ["performance", "confiance", "innovation"],
        ),
        # a missing axis is like None
        ({"innovation": 10}, ["innovation", "confiance", "performance"]),
        # two scored: 0 < 100, then confiance
        (
            {"confiance": None, "performance": 100, "innovation": 0},
            ["innovation", "performance", "confiance"],
        ),
        ({}, ["confiance", "performance", "innovation"]),
        (
            {"confiance": None, "performance": None, "innovation": None},
            ["confiance", "performance", "innovation"],
        ),
    ],
)
def test_axes_weakest_first(scores, expected):
    assert axes_weakest_first(scores) == expected


def test_axes_weakest_first_ignores_unknown_axes():
    assert axes_weakest_first({"autre": 0, "innovation": 5}) == [
        "innovation",
        "confiance",
        "performance",
    ]


# --------------------------------------------------------------------------- recommend


def test_a_innovation_weakest_nothing_done_no_priority():
    # innovation 20 is the weakest: its first three practices
    result = recommend(weakest("innovation"), "entreprise")
    assert result == [
        W("innovation_societale", "innovation"),
        W("accompagnement_acteurs", "innovation"),
        W("mecenat", "innovation"),
    ]


def test_b_confiance_weakest_skips_a_practice_already_done():
    # dialogue_territorial done: the next three of confiance
    result = recommend(weakest("confiance"), "entreprise", {"dialogue_territorial"})
    assert result == [
        W("experience_collective", "confiance"),
        W("tiers_lieux", "confiance"),
        W("engagement_salaries", "confiance"),
    ]


def test_b_weakest_axis_exhausted_continues_with_the_next_axis():
    # confiance 20 < performance 50 < innovation 80; three of confiance done:
    # engagement_salaries (confiance), then the first two of performance
    done = {"dialogue_territorial", "experience_collective", "tiers_lieux"}
    result = recommend(weakest("confiance"), "association", done)
    assert result == [
        W("engagement_salaries", "confiance"),
        N("pratiques_responsables", "performance"),
        N("cooperation_economique", "performance"),
    ]


def test_b_skips_done_practices_in_the_next_axis_too():
    # performance 20 < confiance 50 < innovation 80; everything of performance done and
    # dialogue_territorial: confiance gives experience_collective, tiers_lieux, engagement_salaries
    done = {*PRACTICES_BY_AXIS["performance"], "dialogue_territorial"}
    result = recommend(weakest("performance"), "elu", done)
    assert result == [
        N("experience_collective", "confiance"),
        N("tiers_lieux", "confiance"),
        N("engagement_salaries", "confiance"),
    ]


def test_c_citizen_innovation_weakest_skips_mecenat():
    # innovation_societale, accompagnement_acteurs, (mecenat: not for a citizen), tiers_lieux
    result = recommend(weakest("innovation"), "citoyen")
    assert result == [
        W("innovation_societale", "innovation"),
        W("accompagnement_acteurs", "innovation"),
        W("tiers_lieux", "innovation"),
    ]


def test_c_citizen_performance_weakest_skips_economic_practices():
    # performance 20: pratiques_responsables, (cooperation_economique, investissement_societal
    # not for a citizen), engagement_territorial; then confiance (50): dialogue_territorial
    result = recommend(weakest("performance"), "citoyen")
    assert result == [
        W("pratiques_responsables", "performance"),
        W("engagement_territorial", "performance"),
        N("dialogue_territorial", "confiance"),
    ]


def test_c_citizen_confiance_weakest_skips_engagement_salaries():
    # confiance 20, dialogue_territorial done: experience_collective, tiers_lieux,
    # (engagement_salaries not for a citizen); then performance (50): pratiques_responsables
    result = recommend(weakest("confiance"), "citoyen", {"dialogue_territorial"})
    assert result == [
        W("experience_collective", "confiance"),
        W("tiers_lieux", "confiance"),
        N("pratiques_responsables", "performance"),
    ]


def test_c_citizen_priorities_skip_practices_not_for_them():
    # innovation weakest: innovation_societale, accompagnement_acteurs, tiers_lieux.
    # education → engagement_salaries (no), mecenat (no), experience_collective: added.
    # pauvrete → investissement_societal (no), mecenat (no), engagement_partenarial: added.
    result = recommend(weakest("innovation"), "citoyen", (), ["education", "pauvrete"])
    assert result == [
        W("innovation_societale", "innovation"),
        W("accompagnement_acteurs", "innovation"),
        W("tiers_lieux", "innovation"),
        P("experience_collective", "education"),
        P("engagement_partenarial", "pauvrete"),
    ]


def test_c_same_priorities_for_a_company():
    # innovation weakest: innovation_societale, accompagnement_acteurs, mecenat.
    # education → engagement_salaries (not chosen), mecenat (chosen, no domain yet): mecenat
    # keeps « education », nothing added.
    # pauvrete → investissement_societal (not chosen), mecenat (chosen, but already has a
    # domain), engagement_partenarial (not chosen): no chosen practice to tag, so the first
    # fitting one is added: investissement_societal.
    result = recommend(weakest("innovation"), "entreprise", (), ["education", "pauvrete"])
    assert result == [
        W("innovation_societale", "innovation"),
        W("accompagnement_acteurs", "innovation"),
        W("mecenat", "innovation", domain="education"),
        P("investissement_societal", "pauvrete"),
    ]


@pytest.mark.parametrize("axis", AXIS_ORDER)
def test_c_a_citizen_never_gets_practices_not_for_them(axis):
    every_domain = list(PRACTICES_BY_DOMAIN)
    for done in ((), {"dialogue_territorial", "innovation_societale"}):
        result = recommend(weakest(axis), "citoyen", done, every_domain)
        assert not {r.practice for r in result} & CITIZEN_EXCLUDED


def test_d_priorities_add_and_tag():
    # confiance weakest: dialogue_territorial, experience_collective, tiers_lieux.
    # mobilite → cooperation_economique, innovation_societale: none chosen → add
    #   cooperation_economique (1st addition).
    # emploi → engagement_territorial (not chosen), cooperation_economique (chosen, domain
    #   mobilite already), accompagnement_acteurs (not chosen) → add engagement_territorial
    #   (2nd addition, 5 in all).
    # culture → mecenat (not chosen), tiers_lieux (chosen, no domain) → tiers_lieux keeps culture.
    result = recommend(weakest("confiance"), "entreprise", (), ["mobilite", "emploi", "culture"])
    assert result == [
        W("dialogue_territorial", "confiance"),
        W("experience_collective", "confiance"),
        W("tiers_lieux", "confiance", domain="culture"),
        P("cooperation_economique", "mobilite"),
        P("engagement_territorial", "emploi"),
    ]


def test_d_at_most_two_additions_from_priorities():
    # confiance weakest: dialogue_territorial, experience_collective, tiers_lieux.
    # mobilite → add cooperation_economique (1); logement → investissement_societal,
    # innovation_societale: none chosen → add investissement_societal (2);
    # environnement → pratiques_responsables, innovation_societale: none chosen, but two
    #   already added → nothing;
    # culture → mecenat, tiers_lieux (chosen, no domain) → tiers_lieux keeps culture.
    priorities = ["mobilite", "logement", "environnement", "culture"]
    result = recommend(weakest("confiance"), "entreprise", (), priorities)
    assert result == [
        W("dialogue_territorial", "confiance"),
        W("experience_collective", "confiance"),
        W("tiers_lieux", "confiance", domain="culture"),
        P("cooperation_economique", "mobilite"),
        P("investissement_societal", "logement"),
    ]
    assert len(result) <= MAX_PRACTICES


def test_d_a_priority_already_chosen_is_tagged_instead_of_added():
    # innovation weakest: innovation_societale, accompagnement_acteurs, mecenat.
    # mobilite → cooperation_economique (no), innovation_societale (chosen) → tagged mobilite.
    # numerique → tiers_lieux (no), accompagnement_acteurs (chosen) → tagged numerique.
    # culture → mecenat (chosen) → tagged culture.
    result = recommend(
        weakest("innovation"), "association", (), ["mobilite", "numerique", "culture"]
    )
    assert result == [
        W("innovation_societale", "innovation", domain="mobilite"),
        W("accompagnement_acteurs", "innovation", domain="numerique"),
        W("mecenat", "innovation", domain="culture"),
    ]


def test_d_a_priority_tags_a_next_axis_practice():
    # confiance done but engagement_salaries: confiance 20 → engagement_salaries; performance 50
    # → pratiques_responsables, cooperation_economique (next_axis).
    # diversite → pratiques_responsables (chosen) → tagged diversite.
    done = {"dialogue_territorial", "experience_collective", "tiers_lieux"}
    result = recommend(weakest("confiance"), "entreprise", done, ["diversite"])
    assert result == [
        W("engagement_salaries", "confiance"),
        N("pratiques_responsables", "performance", domain="diversite"),
        N("cooperation_economique", "performance"),
    ]


def test_d_a_priority_whose_practices_are_done_adds_nothing():
    # innovation weakest: innovation_societale done → accompagnement_acteurs, mecenat,
    # tiers_lieux. mobilite → cooperation_economique done, innovation_societale done: nothing.
    # An unknown domain has no practice: nothing.
    done = {"cooperation_economique", "innovation_societale"}
    result = recommend(weakest("innovation"), "entreprise", done, ["mobilite", "inconnu"])
    assert result == [
        W("accompagnement_acteurs", "innovation"),
        W("mecenat", "innovation"),
        W("tiers_lieux", "innovation"),
    ]


def test_d_a_priority_skips_a_done_practice_for_the_next_linked_one():
    # confiance weakest: dialogue_territorial, experience_collective, tiers_lieux.
    # emploi → engagement_territorial (done), cooperation_economique (not chosen, fits): added.
    result = recommend(weakest("confiance"), "entreprise", {"engagement_territorial"}, ["emploi"])
    assert result == [
        W("dialogue_territorial", "confiance"),
        W("experience_collective", "confiance"),
        W("tiers_lieux", "confiance"),
        P("cooperation_economique", "emploi"),
    ]


def test_e_no_score_at_all_starts_with_confiance():
    scores = {"confiance": None, "performance": None, "innovation": None}
    assert recommend(scores, "entreprise") == [
        W("dialogue_territorial", "confiance"),
        W("experience_collective", "confiance"),
        W("tiers_lieux", "confiance"),
    ]
    assert recommend({}, "entreprise") == recommend(scores, "entreprise")


def test_e_no_score_at_all_then_performance_then_innovation():
    scores = {"confiance": None, "performance": None, "innovation": None}
    # confiance all done: performance (next in AXIS_ORDER) gives its first three
    done = set(PRACTICES_BY_AXIS["confiance"])
    assert recommend(scores, "entreprise", done) == [
        N("pratiques_responsables", "performance"),
        N("cooperation_economique", "performance"),
        N("investissement_societal", "performance"),
    ]
    # confiance and performance all done: innovation, tiers_lieux being done already
    done |= set(PRACTICES_BY_AXIS["performance"])
    assert recommend(scores, "entreprise", done) == [
        N("innovation_societale", "innovation"),
        N("accompagnement_acteurs", "innovation"),
        N("mecenat", "innovation"),
    ]


def test_f_everything_done_deepens_the_weakest_axis():
    # nothing fits: the first three of innovation (the weakest) are proposed to be deepened
    result = recommend(weakest("innovation"), "entreprise", ALL_PRACTICES, ["pauvrete"])
    assert result == [
        D("innovation_societale", "innovation"),
        D("accompagnement_acteurs", "innovation"),
        D("mecenat", "innovation"),
    ]


def test_f_citizen_everything_done_deepens_the_weakest_axis():
    # confiance: dialogue_territorial, experience_collective, tiers_lieux (engagement_salaries
    # is not for a citizen)
    result = recommend(weakest("confiance"), "citoyen", ALL_PRACTICES)
    assert result == [
        D("dialogue_territorial", "confiance"),
        D("experience_collective", "confiance"),
        D("tiers_lieux", "confiance"),
    ]
    # innovation: innovation_societale, accompagnement_acteurs, (mecenat no), tiers_lieux
    result = recommend(weakest("innovation"), "citoyen", ALL_PRACTICES)
    assert result == [
        D("innovation_societale", "innovation"),
        D("accompagnement_acteurs", "innovation"),
        D("tiers_lieux", "innovation"),
    ]


def test_f_one_practice_left_is_completed_by_deepening():
    # everything done but tiers_lieux; innovation weakest: tiers_lieux (weakest_axis), then
    # deepen innovation: innovation_societale, accompagnement_acteurs → 3
    done = ALL_PRACTICES - {"tiers_lieux"}
    result = recommend(weakest("innovation"), "entreprise", done)
    assert result == [
        W("tiers_lieux", "innovation"),
        D("innovation_societale", "innovation"),
        D("accompagnement_acteurs", "innovation"),
    ]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("axis", AXIS_ORDER)
def test_f_everything_done_still_gives_at_least_three(actor, axis):
    result = recommend(weakest(axis), actor, ALL_PRACTICES)
    practices = [r.practice for r in result]
    assert MIN_PRACTICES <= len(result) <= MAX_PRACTICES, practices
    assert len(set(practices)) == len(practices)
    assert all(r.reason == "deepen" for r in result)
    assert not set(practices) & NOT_FOR_ACTOR.get(actor or "", frozenset())


def test_f_citizen_everything_done_performance_weakest():
    # performance's practices for a citizen: pratiques_responsables, engagement_territorial
    # (cooperation_economique, investissement_societal are not for a citizen): only two to
    # deepen, yet the module promises three to five practices.
    result = recommend(weakest("performance"), "citoyen", ALL_PRACTICES)
    assert result[:2] == [
        D("pratiques_responsables", "performance"),
        D("engagement_territorial", "performance"),
    ]
    assert len(result) >= MIN_PRACTICES, [r.practice for r in result]


def test_f_citizen_one_performance_practice_left():
    # everything done but pratiques_responsables; performance weakest: pratiques_responsables
    # (weakest_axis), then deepen performance: engagement_territorial → only two practices.
    done = ALL_PRACTICES - {"pratiques_responsables"}
    result = recommend(weakest("performance"), "citoyen", done)
    assert result[:2] == [
        W("pratiques_responsables", "performance"),
        D("engagement_territorial", "performance"),
    ]
    assert len(result) >= MIN_PRACTICES, [r.practice for r in result]


# --------------------------------------------------------------------------- random inputs


def random_inputs(rng: random.Random):
    scores = {
        axis: (None if rng.random() < 0.3 else rng.choice([rng.uniform(0, 100), 50.0]))
        for axis in AXIS_ORDER
    }
    # how much the respondent already does, from nothing to everything
    share_done = rng.choice([0.0, 0.3, 0.7, 0.95, 1.0])
    done = {p for p in sorted(ALL_PRACTICES) if rng.random() < share_done}
    domains = [*PRACTICES_BY_DOMAIN, "inconnu"]
    priorities = rng.sample(domains, rng.randint(0, 4))
    actor = rng.choice(ACTORS)
    return scores, actor, done, priorities


def test_g_random_inputs_always_give_three_to_five_distinct_fitting_practices():
    rng = random.Random(20240611)
    failures = []
    for _ in range(500):
        scores, actor, done, priorities = random_inputs(rng)
        result = recommend(scores, actor, done, priorities)
        practices = [r.practice for r in result]
        excluded = NOT_FOR_ACTOR.get(actor or "", frozenset())
        axes = axes_weakest_first(scores)
        # properties that hold everywhere
        assert len(set(practices)) == len(practices), practices
        assert not set(practices) & excluded, (actor, practices)
        assert len(result) <= MAX_PRACTICES, practices
        for r in result:
            assert r.reason in REASONS
            if r.reason == "deepen":
                # Deepening starts from the weakest impact and goes on to the next ones.
                assert r.practice in PRACTICES_BY_AXIS[r.axis]
                assert r.axis in axes
            else:
                assert r.practice not in done, (r, done)
            if r.reason == "priority_domain":
                assert r.domain in priorities
                assert r.practice in PRACTICES_BY_DOMAIN[r.domain]
            if r.reason == "weakest_axis":
                assert r.axis == axes[0]
            if r.reason == "next_axis":
                assert r.axis in axes[1:]
            if r.domain is not None:
                assert r.domain in priorities
                assert r.practice in PRACTICES_BY_DOMAIN[r.domain]
        assert sum(r.reason == "priority_domain" for r in result) <= MAX_FROM_DOMAINS
        # the promise of the module: three to five practices
        if len(result) < MIN_PRACTICES:
            failures.append((scores, actor, sorted(done), priorities, practices))
    assert failures == []
