"""What a group of responses says (a campaign, a workshop), from running counts, with every figure
protected: small-group suppression, complementary suppression, the counts one response adds, and
the summaries built on them — all against values computed by hand.

Rules under test (scoring/suppression.py, scoring/aggregates.py, scoring/perception.py):

- a figure resting on 0 < n < min responses is suppressed; n = 0 shows nothing (no value) but is
  not « suppressed »; n = min is shown;
- in a row of parts adding up to a shown total, a lone suppressed part takes with it the shown
  part resting on the fewest responses (or the total, when no part is shown);
- perceived: mean = total / count of `rating:<d>`, priority share = count(`q:priorites=<d>`) /
  count(`q:priorites`), « ne sait pas » share = `rating_nsp:<d>` / (rated + nsp); a group's class
  from PERCEIVED_AT 6.0, PRIORITY_SHARE_AT 0.25 and OBJECTIVE_AT 110.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from questionnaires import load_vocabulary, parse_questionnaire
from scoring.aggregates import (
    Group,
    Quartiles,
    add_metrics,
    choice_shares,
    impact_profiles,
    merge,
    participation,
    perceived_fragility,
    perceived_from_matrix,
    pool,
    quartiles,
    response_metrics,
    subtract,
    with_total,
)
from scoring.benchmarks import Histogram
from scoring.perception import OBJECTIVE_AT, PERCEIVED_AT, PRIORITY_SHARE_AT
from scoring.suppression import Cell, protect, protect_partition

MIN = 5
DAY = date(2024, 5, 17)


def label(fr: str, en: str) -> dict[str, str]:
    return {"fr": fr, "en": en}


# --------------------------------------------------------------------------- protect


def test_protect_with_no_response_shows_nothing_but_is_not_suppressed():
    cell = protect(0, None, MIN)
    assert cell == Cell(n=0, value=None, suppressed=False)
    assert not cell.shown
    # Even a value given for n = 0 is dropped: there is nothing to compute it from.
    assert protect(0, 3.0, MIN).value is None


@pytest.mark.parametrize("n", [1, 2, MIN - 1])
def test_protect_suppresses_a_figure_under_the_minimum(n):
    cell = protect(n, 7.5, MIN)
    assert cell.suppressed
    assert cell.value is None
    assert cell.n == n
    assert not cell.shown


@pytest.mark.parametrize("n", [MIN, MIN + 1, 1000])
def test_protect_shows_a_figure_from_the_minimum(n):
    cell = protect(n, 7.5, MIN)
    assert cell == Cell(n=n, value=7.5, suppressed=False)
    assert cell.shown


def test_protect_shown_group_without_value():
    # Responses, but nothing to compute: shown as « — », not as suppressed.
    cell = protect(MIN, None, MIN)
    assert not cell.suppressed
    assert not cell.shown


# --------------------------------------------------------------------------- Cell.as_dict


def test_a_suppressed_cell_says_so_and_nothing_else():
    assert protect(3, 0.75, MIN).as_dict() == {"suppressed": True}
    # Even a cell built by hand with a value: as_dict never gives it.
    assert Cell(n=3, value=0.75, suppressed=True).as_dict(3) == {"suppressed": True}


def test_a_shown_cell_gives_n_and_the_rounded_value():
    assert Cell(n=8, value=4.625).as_dict() == {"n": 8, "value": 4.6}
    assert Cell(n=9, value=1 / 3).as_dict(3) == {"n": 9, "value": 0.333}
    assert Cell(n=0, value=None).as_dict() == {"n": 0, "value": None}


# --------------------------------------------------------------------------- protect_partition


def test_protect_partition_hides_small_parts_and_enough_others():
    # a (3) alone would be the whole minus b and c: c (6), the smaller of the two, goes too.
    assert protect_partition({"a": 3, "b": 10, "c": 6}, MIN) == {"a", "c"}
    # Two small parts resting on 5 together: nothing more to hide.
    assert protect_partition({"a": 2, "b": 3, "c": 8}, MIN) == {"a", "b"}
    # Nothing small, nothing hidden; parts without responses are never hidden.
    assert protect_partition({"a": 5, "b": 9, "c": 0}, MIN) == set()


def test_protect_partition_counts_the_unplaced_responses():
    # Two responses belong to no commune: whole − a − b would give them away.
    assert protect_partition({"a": 7, "b": 12}, MIN, unplaced=2) == {"a"}
    assert protect_partition({"a": 7, "b": 12}, MIN, unplaced=5) == set()


def test_protect_partition_ties_are_broken_by_key():
    assert protect_partition({"z": 7, "y": 7, "x": 1}, MIN) == {"x", "y"}


def test_protect_partition_keeps_hiding_until_the_hidden_rest_is_large_enough():
    # 1 + 1 = 2, then + 2 (d is small too) = 4, then the smallest shown part (b, 5): 9.
    assert protect_partition({"a": 1, "b": 5, "c": 1, "d": 2, "e": 30}, MIN) == {"a", "b", "c", "d"}


# --------------------------------------------------------------------------- with_total


def share_of(group):
    answered = group.count("q:levier")
    return group.cell(
        ["q:levier"], group.count("q:levier=action") / answered if answered else None, MIN
    )


def test_a_total_leaves_out_a_lone_hidden_group():
    parts, total = with_total(
        {
            "a": group(q__levier=4, q__levier__action=4),
            "b": group(q__levier=6, q__levier__action=3),
        },
        share_of,
        MIN,
    )
    assert parts["a"].suppressed and parts["b"] == Cell(6, 0.5)
    # Over the 10 the total would be 0.7, and (0.7 × 10 − 3) / 4 = 1.0 would give a away.
    assert total == Cell(6, 0.5)


def test_a_total_covers_hidden_groups_that_rest_on_enough_responses_together():
    parts, total = with_total(
        {
            "a": group(q__levier=3, q__levier__action=3),
            "b": group(q__levier=2),
            "c": group(q__levier=6, q__levier__action=3),
        },
        share_of,
        MIN,
    )
    assert parts["a"].suppressed and parts["b"].suppressed
    assert total == Cell(11, pytest.approx(6 / 11))


def test_a_total_of_hidden_groups_only_is_hidden():
    _parts, total = with_total({"a": group(q__levier=4, q__levier__action=1)}, share_of, MIN)
    assert total == Cell(0, None, suppressed=True)
    assert total.as_dict() == {"suppressed": True}


def test_a_figure_with_a_small_complement_is_hidden():
    """Seen through a filter, a figure is hidden when a wider view holds 1 to 4 more
    responses for it: the two figures would give those away."""
    inner = {"q:levier": (8, 0.0), "q:levier=action": (4, 0.0)}
    close = Group(inner, complements=({"q:levier": (3, 0.0)},))
    assert close.cell(["q:levier"], 0.5, MIN) == Cell(8, None, suppressed=True)
    far = Group(inner, complements=({"q:levier": (5, 0.0)}, {"q:levier": (0, 0.0)}))
    assert far.cell(["q:levier"], 0.5, MIN) == Cell(8, 0.5)
    # (what the wider views add, 5 and 0 responses, gives nobody away)


def test_subtract_and_pool():
    whole = {"n": (10, 0.0), "rating:logement": (8, 50.0)}
    part = {"n": (4, 0.0), "rating:logement": (3, 20.0)}
    assert subtract(whole, part) == {"n": (6, 0.0), "rating:logement": (5, 30.0)}
    pooled = pool([Group(whole, complements=(part,)), Group(part, complements=(part,))])
    assert pooled.count("rating:logement") == 11
    assert pooled.total("rating:logement") == 70.0
    assert pooled.count("q:absent") == 0
    assert pooled.complements[0]["n"] == (8, 0.0)
    assert set(pooled.metrics) == {"n", "rating:logement"}


# --------------------------------------------------------------------------- response_metrics


def small_questionnaire():
    """A domain scale 0–10 with « ne sait pas », a domain scale hidden by show_if, a ranking of
    domains, a choice with dont_know, a visible multi_choice and a hidden one, a text, an impact
    item (no metric) and a domain item on a scale with its own scores."""
    raw = {
        "schema_version": 1,
        "id": "essai",
        "version": 1,
        "actor": "citoyen",
        "kind": "full",
        "duration_minutes": 5,
        "title": label("Essai", "Trial"),
        "description": label("Un essai", "A trial"),
        "scales": {
            "importance": {
                "dont_know": True,
                "scoring": "linear",
                "values": [{"value": v, "label": label(str(v), str(v))} for v in range(11)],
            },
            "accord": {
                "dont_know": True,
                "scoring": "linear",
                "values": [{"value": v, "label": label(str(v), str(v))} for v in (4, 3, 2, 1)],
            },
            "niveau": {
                "dont_know": True,
                "values": [
                    {"value": "fort", "score": 100, "label": label("Fort", "High")},
                    {"value": "moyen", "score": 50, "label": label("Moyen", "Medium")},
                    {"value": "faible", "score": 0, "label": label("Faible", "Low")},
                ],
            },
        },
        "sections": [
            {
                "id": "profil",
                "title": label("Profil", "Profile"),
                "questions": [
                    {
                        "id": "territoire",
                        "type": "territory",
                        "required": True,
                        "label": label("Commune ?", "Municipality?"),
                    },
                    {
                        "id": "partenariats",
                        "type": "choice",
                        "dont_know": True,
                        "label": label("Des partenariats ?", "Partnerships?"),
                        "options": [
                            {"value": "oui", "label": label("Oui", "Yes")},
                            {"value": "non", "label": label("Non", "No")},
                        ],
                    },
                ],
            },
            {
                "id": "fragilites",
                "title": label("Fragilités", "Fragilities"),
                "questions": [
                    {
                        "id": "fragilite_logement",
                        "type": "scale",
                        "scale": "importance",
                        "domain": "logement",
                        "label": label("Mal-logement", "Poor housing"),
                    },
                    {
                        "id": "fragilite_emploi",
                        "type": "scale",
                        "scale": "importance",
                        "domain": "emploi",
                        "label": label("Emploi", "Employment"),
                    },
                    {
                        "id": "fragilite_sante",
                        "type": "scale",
                        "scale": "importance",
                        "domain": "sante",
                        "show_if": {"question": "partenariats", "in": ["oui"]},
                        "label": label("Santé", "Health"),
                    },
                    {
                        "id": "fragilite_culture",
                        "type": "scale",
                        "scale": "niveau",
                        "domain": "culture",
                        "label": label("Culture", "Culture"),
                    },
                    {
                        "id": "priorites",
                        "type": "ranking",
                        "max_choices": 3,
                        "options_from": "domains",
                        "label": label("Priorités ?", "Priorities?"),
                    },
                ],
            },
            {
                "id": "autres",
                "title": label("Autres", "Others"),
                "questions": [
                    {
                        "id": "conf_a",
                        "type": "scale",
                        "scale": "accord",
                        "axis": "confiance",
                        "label": label("Confiance", "Trust"),
                    },
                    {
                        "id": "levier",
                        "type": "choice",
                        "dont_know": True,
                        "label": label("Levier ?", "Lever?"),
                        "options": [
                            {"value": "action", "label": label("Action", "Action")},
                            {"value": "vision", "label": label("Vision", "Vision")},
                        ],
                    },
                    {
                        "id": "canaux",
                        "type": "multi_choice",
                        "label": label("Canaux ?", "Channels?"),
                        "options": [
                            {"value": "presse", "label": label("Presse", "Press")},
                            {"value": "reseaux", "label": label("Réseaux", "Networks")},
                            {"value": "bouche", "label": label("Bouche", "Word of mouth")},
                        ],
                    },
                    {
                        "id": "partenaires",
                        "type": "multi_choice",
                        "show_if": {"question": "partenariats", "in": ["oui"]},
                        "label": label("Partenaires ?", "Partners?"),
                        "options": [
                            {"value": "associations", "label": label("Assos", "Associations")},
                            {"value": "entreprises", "label": label("Entreprises", "Companies")},
                        ],
                    },
                    {
                        "id": "commentaire",
                        "type": "text",
                        "label": label("Commentaire ?", "Comment?"),
                    },
                ],
            },
        ],
    }
    return parse_questionnaire(raw, "essai-v1.yaml", load_vocabulary())


@pytest.fixture(scope="module")
def questionnaire():
    return small_questionnaire()


def test_response_metrics_by_hand(questionnaire):
    answers = {
        "territoire": "commune:69123",
        "partenariats": "non",
        "fragilite_logement": 8,
        "fragilite_emploi": None,  # « ne sait pas »
        "fragilite_sante": 9,  # hidden (partenariats is not oui): ignored
        "fragilite_culture": "moyen",  # score 50 → rating 5.0 out of 10
        "priorites": ["logement", "emploi"],
        "conf_a": 3,  # an impact item: no metric
        "levier": None,  # « ne sait pas » → nsp
        "canaux": ["presse", "bouche"],
        "partenaires": ["associations"],  # hidden: ignored
        "commentaire": "Un texte",
    }
    assert response_metrics(questionnaire, answers, DAY) == {
        "n": (1, 0.0),
        "day:2024-05-17": (1, 0.0),
        "q:partenariats": (1, 0.0),
        "q:partenariats=non": (1, 0.0),
        "rating:logement": (1, 8.0),
        "rating_nsp:emploi": (1, 0.0),
        "rating:culture": (1, 5.0),
        "q:priorites": (1, 0.0),
        "q:priorites=logement": (1, 0.0),
        "q:priorites=emploi": (1, 0.0),
        "q:levier": (1, 0.0),
        "q:levier=nsp": (1, 0.0),
        "q:canaux": (1, 0.0),
        "q:canaux=presse": (1, 0.0),
        "q:canaux=bouche": (1, 0.0),
    }


def test_response_metrics_counts_what_show_if_reveals(questionnaire):
    answers = {
        "partenariats": "oui",
        "fragilite_sante": 0,  # a rating of 0 is a rating
        "partenaires": ["associations", "entreprises"],
        "priorites": ["sante"],
    }
    assert response_metrics(questionnaire, answers, DAY) == {
        "n": (1, 0.0),
        "day:2024-05-17": (1, 0.0),
        "q:partenariats": (1, 0.0),
        "q:partenariats=oui": (1, 0.0),
        "rating:sante": (1, 0.0),
        "q:priorites": (1, 0.0),
        "q:priorites=sante": (1, 0.0),
        "q:partenaires": (1, 0.0),
        "q:partenaires=associations": (1, 0.0),
        "q:partenaires=entreprises": (1, 0.0),
    }


def test_response_metrics_of_an_empty_response(questionnaire):
    assert response_metrics(questionnaire, {}, DAY) == {"n": (1, 0.0), "day:2024-05-17": (1, 0.0)}
    # « ne sait pas » to the condition: the hidden questions stay hidden.
    assert response_metrics(questionnaire, {"partenariats": None, "fragilite_sante": 7}, DAY) == {
        "n": (1, 0.0),
        "day:2024-05-17": (1, 0.0),
        "q:partenariats": (1, 0.0),
        "q:partenariats=nsp": (1, 0.0),
    }


# --------------------------------------------------------------------------- add_metrics, merge


def test_add_metrics_adds_counts_and_totals(questionnaire):
    first = response_metrics(
        questionnaire, {"fragilite_logement": 8, "priorites": ["logement"]}, DAY
    )
    second = response_metrics(
        questionnaire, {"fragilite_logement": 6, "priorites": ["emploi"]}, date(2024, 5, 18)
    )
    third = response_metrics(questionnaire, {"fragilite_logement": None}, DAY)
    summed = add_metrics([first, second, third])
    assert summed == {
        "n": (3, 0.0),
        "day:2024-05-17": (2, 0.0),
        "day:2024-05-18": (1, 0.0),
        "rating:logement": (2, 14.0),  # 8 + 6
        "rating_nsp:logement": (1, 0.0),
        "q:priorites": (2, 0.0),
        "q:priorites=logement": (1, 0.0),
        "q:priorites=emploi": (1, 0.0),
    }
    assert all(isinstance(count, int) for count, _total in summed.values())
    assert add_metrics([]) == {}


def test_merge_adds_counts_and_histograms():
    a = Group(
        {"n": (2, 0.0), "rating:logement": (2, 15.0)},
        {"confiance": Histogram.from_scores([10.0, 20.0])},
    )
    b = Group(
        {"n": (3, 0.0), "rating:logement": (1, 4.0), "q:priorites": (3, 0.0)},
        {
            "confiance": Histogram.from_scores([20.0, 30.0, 30.0]),
            "innovation": Histogram.from_scores([55.55]),
        },
    )
    merged = merge([a, b])
    assert merged.n == 5
    assert merged.count("rating:logement") == 3
    assert merged.total("rating:logement") == 19.0
    assert merged.count("q:priorites") == 3
    assert merged.count("absent") == 0 and merged.total("absent") == 0.0
    confiance = merged.histograms["confiance"]
    assert confiance.keys.tolist() == [100, 200, 300]
    assert confiance.counts.tolist() == [1, 2, 2]
    # 55.55 is kept at a tenth, rounded half up: 555.5 → 556.
    assert merged.histograms["innovation"].keys.tolist() == [556]
    assert merge([]).n == 0


# --------------------------------------------------------------------------- perceived_fragility


def group(**metrics) -> Group:
    """A Group from keyword metrics: `rating__logement=(5, 38.0)` is `rating:logement`,
    `q__priorites__logement=3` is `q:priorites=logement`."""
    converted = {}
    for name, value in metrics.items():
        head, _sep, rest = name.partition("__")
        metric = head if not rest else f"{head}:{rest.replace('__', '=')}"
        converted[metric] = value if isinstance(value, tuple) else (value, 0.0)
    return Group(converted)


INDICES = {"logement": 137.8, "emploi": 90.0, "culture": None}


def test_thresholds_used_for_groups():
    assert (PERCEIVED_AT, PRIORITY_SHARE_AT, OBJECTIVE_AT) == (6.0, 0.25, 110.0)


def test_perceived_fragility_by_hand():
    citizens = group(
        n=6,
        rating__logement=(5, 38.0),  # mean 38 / 5 = 7.6
        rating_nsp__logement=1,  # « ne sait pas » 1 / (5 + 1)
        q__priorites=6,
        q__priorites__logement=3,  # 3 / 6 = 0.5
        q__priorites__emploi=1,  # 1 / 6
        rating__emploi=(5, 20.0),  # mean 4.0
    )
    companies = group(
        n=5,
        rating__logement=(5, 15.0),  # mean 3.0
        q__priorites=5,
        q__priorites__logement=1,  # 1 / 5 = 0.2
        rating__emploi=(5, 35.0),  # mean 7.0
    )
    rows = perceived_fragility(
        {"citoyen": citizens, "entreprise": companies},
        ["logement", "emploi", "culture"],
        INDICES,
        MIN,
    )
    logement, emploi, culture = rows
    assert (logement.domain, logement.index) == ("logement", 137.8)

    cit = logement.groups["citoyen"]
    assert cit.mean == Cell(5, pytest.approx(7.6))
    assert cit.priority == Cell(6, pytest.approx(0.5))
    assert cit.dont_know == Cell(6, pytest.approx(1 / 6))
    # 7.6 ≥ 6 and 137.8 ≥ 110
    assert cit.classification == "shared_priority"

    com = logement.groups["entreprise"]
    assert com.mean == Cell(5, pytest.approx(3.0))
    assert com.priority == Cell(5, pytest.approx(0.2))
    assert com.dont_know == Cell(5, 0.0)
    # 3.0 < 6 and 0.2 < 0.25, but 137.8 ≥ 110
    assert com.classification == "blind_spot"

    # All together: (38 + 15) / 10 = 5.3; priority 4 / 11 ≥ 0.25 → perceived; nsp 1 / 11.
    assert logement.total.mean == Cell(10, pytest.approx(5.3))
    assert logement.total.priority == Cell(11, pytest.approx(4 / 11))
    assert logement.total.dont_know == Cell(11, pytest.approx(1 / 11))
    assert logement.total.classification == "shared_priority"

    # emploi, index 90 < 110: citizens 4.0 and 1/6 → not perceived; companies 7.0 → perceived.
    assert emploi.groups["citoyen"].classification == "not_priority"
    assert emploi.groups["entreprise"].classification == "perceived_only"
    assert emploi.groups["entreprise"].priority == Cell(5, 0.0)
    assert emploi.total.mean == Cell(10, pytest.approx(5.5))  # (20 + 35) / 10
    assert emploi.total.classification == "not_priority"  # 5.5 < 6, 1/11 < 0.25

    # culture: no index, no rating, not asked.
    assert culture.index is None
    assert culture.groups["citoyen"].mean == Cell(0, None)
    assert culture.groups["citoyen"].dont_know == Cell(0, None)
    assert culture.total.classification == "unknown"


def test_perceived_fragility_total_leaves_out_a_small_group():
    citizens = group(n=5, rating__logement=(5, 35.0), q__priorites=5, q__priorites__logement=3)
    companies = group(n=4, rating__logement=(4, 8.0), q__priorites=4, q__priorites__logement=1)
    (row,) = perceived_fragility(
        {"citoyen": citizens, "entreprise": companies}, ["logement"], INDICES, MIN
    )
    # Companies: 4 < 5 → suppressed. The total covers the citizens only, else the companies'
    # 8 / 4 = 2.0 would be (43 − 35) / (9 − 5).
    for cell in (row.groups["entreprise"].mean, row.groups["entreprise"].priority):
        assert cell.suppressed and cell.value is None
    assert row.groups["entreprise"].classification == "suppressed"
    assert row.groups["citoyen"].mean == Cell(5, pytest.approx(7.0))
    assert row.groups["citoyen"].priority == Cell(5, pytest.approx(0.6))
    assert row.total.mean == Cell(5, pytest.approx(7.0))
    assert row.total.priority == Cell(5, pytest.approx(0.6))
    # 7.0 ≥ 6 and 137.8 ≥ 110.
    assert row.total.classification == "shared_priority"


def test_perceived_fragility_at_min_group_size_shows_every_group():
    citizens = group(n=5, rating__logement=(5, 35.0), q__priorites=5, q__priorites__logement=3)
    companies = group(n=5, rating__logement=(5, 10.0), q__priorites=5)
    (row,) = perceived_fragility(
        {"citoyen": citizens, "entreprise": companies}, ["logement"], INDICES, MIN
    )
    assert row.groups["citoyen"].mean == Cell(5, pytest.approx(7.0))
    assert row.groups["entreprise"].mean == Cell(5, pytest.approx(2.0))
    assert row.groups["entreprise"].priority == Cell(5, 0.0)
    assert row.total.mean == Cell(10, pytest.approx(4.5))


def test_perceived_fragility_total_of_a_single_small_group_is_suppressed():
    companies = group(n=4, rating__logement=(4, 8.0), q__priorites=4)
    citizens = group(n=3)  # answered nothing about logement
    (row,) = perceived_fragility(
        {"citoyen": citizens, "entreprise": companies}, ["logement"], INDICES, MIN
    )
    assert row.total.mean.suppressed
    assert row.total.classification == "suppressed"
    assert row.groups["citoyen"].mean == Cell(0, None)


# --------------------------------------------------------------------------- choice_shares


def test_choice_shares_by_hand():
    citizens = group(n=7, q__levier=6, q__levier__action=3, q__levier__nsp=1, q__levier__vision=2)
    companies = group(n=5, q__levier=5, q__levier__action=5)
    per_group, totals = choice_shares(
        {"citoyen": citizens, "entreprise": companies}, "levier", ["action", "vision", "nsp"], MIN
    )
    assert per_group["citoyen"] == {
        "action": Cell(6, pytest.approx(0.5)),
        "vision": Cell(6, pytest.approx(2 / 6)),
        "nsp": Cell(6, pytest.approx(1 / 6)),
    }
    assert per_group["entreprise"] == {
        "action": Cell(5, 1.0),
        "vision": Cell(5, 0.0),
        "nsp": Cell(5, 0.0),
    }
    assert totals == {
        "action": Cell(11, pytest.approx(8 / 11)),
        "vision": Cell(11, pytest.approx(2 / 11)),
        "nsp": Cell(11, pytest.approx(1 / 11)),
    }


def test_choice_shares_total_leaves_out_a_small_group():
    citizens = group(n=6, q__levier=6, q__levier__action=3)
    companies = group(n=4, q__levier=4, q__levier__action=4)
    per_group, totals = choice_shares(
        {"citoyen": citizens, "entreprise": companies}, "levier", ["action"], MIN
    )
    assert per_group["entreprise"]["action"].as_dict() == {"suppressed": True}
    assert per_group["citoyen"]["action"] == Cell(6, 0.5)
    assert totals["action"] == Cell(6, 0.5)


def test_choice_shares_nobody_answered():
    per_group, totals = choice_shares({"citoyen": group(n=3)}, "levier", ["action"], MIN)
    assert per_group == {"citoyen": {"action": Cell(0, None)}}
    assert totals == {"action": Cell(0, None)}


# --------------------------------------------------------------------------- participation


def test_participation_counts_and_days():
    citizens = group(n=5, **{"day:2024-05-18": 2, "day:2024-05-17": 3})
    companies = group(n=4, **{"day:2024-05-18": 4})
    counts, days = participation({"citoyen": citizens, "entreprise": companies, "elu": Group({})})
    # Counts of responses are shown as they are, even under the minimum.
    assert counts == {"citoyen": 5, "entreprise": 4, "elu": 0}
    assert days == {"citoyen": {"2024-05-17": 3, "2024-05-18": 2}, "entreprise": {"2024-05-18": 4}}
    assert list(days["citoyen"]) == ["2024-05-17", "2024-05-18"]


# --------------------------------------------------------------------------- quartiles


def test_quartiles_by_hand():
    histogram = Histogram.from_scores([0.0, 46.67, 66.67, 72.22, 100.0])
    # keys 0, 467, 667, 722, 1000: positions 1, 2, 3 of 0..4
    assert quartiles(histogram, MIN) == Quartiles(
        n=5, suppressed=False, median=66.7, q1=46.7, q3=72.2
    )
    # [20, 40, 60, 80]: n = 4 < 5
    assert quartiles(Histogram.from_scores([20, 40, 60, 80]), MIN).as_dict() == {"suppressed": True}
    assert quartiles(None, MIN) == Quartiles(n=0, suppressed=False)
    assert quartiles(Histogram.from_pairs([]), MIN).as_dict() == {
        "n": 0,
        "median": None,
        "q1": None,
        "q3": None,
    }


@pytest.mark.parametrize("size", [5, 6, 17, 250])
def test_quartiles_equal_numpy_linear_percentile(size):
    rng = np.random.default_rng(20240517 + size)
    scores = rng.uniform(0, 100, size=size).round(2)
    scores[: size // 3] = 50.0  # ties
    histogram = Histogram.from_scores(scores.tolist())
    expanded = np.repeat(histogram.keys / 10, histogram.counts)
    summary = quartiles(histogram, MIN)
    assert summary.n == size
    for attribute, q in (("q1", 25), ("median", 50), ("q3", 75)):
        assert getattr(summary, attribute) == pytest.approx(
            round(float(np.percentile(expanded, q)), 1), abs=1e-9
        )
        # and the scores themselves (not at a tenth) are at most half a tenth away
        assert abs(getattr(summary, attribute) - np.percentile(scores, q)) <= 0.1 + 1e-9


def test_impact_profiles_per_group_and_axis():
    groups = {
        "citoyen": Group(
            {"n": (5, 0.0)}, {"confiance": Histogram.from_scores([10, 20, 30, 40, 50])}
        ),
        "entreprise": Group(
            {"n": (4, 0.0)}, {"confiance": Histogram.from_scores([20, 40, 60, 80])}
        ),
    }
    profiles = impact_profiles(groups, ("confiance", "performance"), MIN)
    assert profiles["citoyen"]["confiance"] == Quartiles(5, False, 30.0, 20.0, 40.0)
    assert profiles["citoyen"]["performance"] == Quartiles(0, False)
    assert profiles["entreprise"]["confiance"].as_dict() == {"suppressed": True}


# --------------------------------------------------------------------------- one numpy pass


def test_perceived_from_matrix_equals_the_counts():
    """Random answers of two actor types to 16 domains: the numpy pass over the answer matrix
    and the sum of `response_metrics` give the same counts, means and priority shares."""
    vocabulary = load_vocabulary()
    domains = list(vocabulary.domains)
    raw = {
        "schema_version": 1,
        "id": "matrice",
        "version": 1,
        "actor": "citoyen",
        "kind": "full",
        "duration_minutes": 5,
        "title": label("Matrice", "Matrix"),
        "description": label("Matrice", "Matrix"),
        "scales": {
            "importance": {
                "dont_know": True,
                "scoring": "linear",
                "values": [{"value": v, "label": label(str(v), str(v))} for v in range(11)],
            }
        },
        "sections": [
            {
                "id": "fragilites",
                "title": label("Fragilités", "Fragilities"),
                "questions": [
                    {
                        "id": f"fragilite_{d}",
                        "type": "scale",
                        "scale": "importance",
                        "domain": d,
                        "label": label(d, d),
                    }
                    for d in domains
                ]
                + [
                    {
                        "id": "priorites",
                        "type": "ranking",
                        "max_choices": 3,
                        "options_from": "domains",
                        "label": label("P", "P"),
                    }
                ],
            }
        ],
    }
    questionnaire = parse_questionnaire(raw, "matrice-v1.yaml", vocabulary)
    rng = np.random.default_rng(7)
    n, d = 400, len(domains)
    actor_keys = ["citoyen", "entreprise"]
    actors = rng.integers(0, 2, size=n)
    ratings = rng.integers(0, 11, size=(n, d)).astype(float)
    # About a fifth « ne sait pas », a tenth unanswered: both NaN in the matrix.
    state = rng.uniform(size=(n, d))
    ratings[state < 0.3] = np.nan
    answered = rng.uniform(size=n) < 0.8
    priorities = np.zeros((n, d), dtype=bool)
    metrics = {key: [] for key in actor_keys}
    for row in range(n):
        answers = {}
        for column, domain in enumerate(domains):
            if state[row, column] < 0.2:
                answers[f"fragilite_{domain}"] = None
            elif state[row, column] >= 0.3:
                answers[f"fragilite_{domain}"] = int(ratings[row, column])
        if answered[row]:
            chosen = rng.choice(d, size=int(rng.integers(1, 4)), replace=False)
            priorities[row, chosen] = True
            answers["priorites"] = [domains[c] for c in chosen]
        metrics[actor_keys[actors[row]]].append(response_metrics(questionnaire, answers, DAY))

    matrix = perceived_from_matrix(actors, ratings, priorities, answered, actor_keys)
    groups = {key: Group(add_metrics(metrics[key])) for key in actor_keys}
    rows = perceived_fragility(groups, domains, {}, min_size=1)
    for key in actor_keys:
        mine = actors == actor_keys.index(key)
        result = matrix[key]
        for column, domain in enumerate(domains):
            counted = groups[key]
            rated = counted.count(f"rating:{domain}")
            assert (
                result["rated"][column]
                == rated
                == np.count_nonzero(~np.isnan(ratings[mine, column]))
            )
            assert result["answered"][column] == counted.count("q:priorites")
            assert result["mean"][column] == pytest.approx(
                counted.total(f"rating:{domain}") / rated
            )
            assert result["priority"][column] == pytest.approx(
                counted.count(f"q:priorites={domain}") / counted.count("q:priorites")
            )
            cell = rows[column].groups[key]
            assert cell.mean.value == pytest.approx(result["mean"][column])
            assert cell.priority.value == pytest.approx(result["priority"][column])
            # and against plain numpy on the block
            assert result["mean"][column] == pytest.approx(np.nanmean(ratings[mine, column]))


def test_perceived_from_matrix_empty_group_gives_nan():
    actors = np.array([0, 0])
    ratings = np.array([[5.0, np.nan], [7.0, np.nan]])
    priorities = np.array([[True, False], [False, False]])
    answered = np.array([True, False])
    result = perceived_from_matrix(actors, ratings, priorities, answered, ["citoyen", "elu"])
    assert result["citoyen"]["rated"].tolist() == [2, 0]
    assert result["citoyen"]["mean"][0] == 6.0
    assert np.isnan(result["citoyen"]["mean"][1])
    assert result["citoyen"]["priority"].tolist() == [1.0, 0.0]
    assert np.isnan(result["elu"]["mean"]).all() and np.isnan(result["elu"]["priority"]).all()
