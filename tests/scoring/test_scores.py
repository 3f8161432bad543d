"""Axis scores, coverage and levels, against values computed by hand.

Agreement scale 1..4: value v scores (v − 1) / 3 × 100, i.e. 1 → 0, 2 → 33.33, 3 → 66.67, 4 → 100;
a reversed item scores 100 − that, i.e. 1 → 100, 2 → 66.67, 3 → 33.33, 4 → 0.
"""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
import yaml

from questionnaires.loader import (
    DEFINITIONS_DIR,
    load_catalog,
    load_vocabulary,
    parse_questionnaire,
)
from scoring.levels import level_for
from scoring.scores import AxisScore, axis_scores, item_score, score_axes

NAN = math.nan


def label(text: str) -> dict[str, str]:
    return {"fr": text, "en": f"{text} (en)"}


def item(question_id: str, axis: str, **extra) -> dict:
    return {
        "id": question_id,
        "type": "scale",
        "scale": "accord",
        "axis": axis,
        "label": label(question_id),
        **extra,
    }


def definition(innovation_if_oui: bool = False) -> dict:
    """Confiance c1 (w 1), c2 (w 2), c3 (w 1, reversed), c4 (w 3, only if p = oui);
    performance p1, p2; innovation i1, i2, i3 (only if p = oui when `innovation_if_oui`)."""
    condition = {"show_if": {"question": "p", "in": ["oui"]}} if innovation_if_oui else {}
    return {
        "schema_version": 1,
        "id": "test",
        "version": 1,
        "actor": "entreprise",
        "kind": "full",
        "duration_minutes": 10,
        "title": label("Test"),
        "description": label("Test"),
        "scales": {
            "accord": {
                "dont_know": True,
                "scoring": "linear",
                "values": [{"value": v, "label": label(str(v))} for v in (4, 3, 2, 1)],
            }
        },
        "sections": [
            {
                "id": "profil",
                "title": label("Profil"),
                "questions": [
                    {
                        "id": "p",
                        "type": "choice",
                        "dont_know": True,
                        "label": label("p"),
                        "options": [
                            {"value": "oui", "label": label("oui")},
                            {"value": "non", "label": label("non")},
                        ],
                    }
                ],
            },
            {
                "id": "impacts",
                "title": label("Impacts"),
                "questions": [
                    item("c1", "confiance", weight=1),
                    item("c2", "confiance", weight=2),
                    item("c3", "confiance", weight=1, reversed=True),
                    item("c4", "confiance", weight=3, show_if={"question": "p", "in": ["oui"]}),
                    item("p1", "performance"),
                    item("p2", "performance"),
                    item("i1", "innovation", **condition),
                    item("i2", "innovation", **condition),
                    item("i3", "innovation", **condition),
                ],
            },
        ],
    }


@pytest.fixture(scope="module")
def questionnaire():
    return parse_questionnaire(definition(), "test.yaml", load_vocabulary())


def check(
    result: AxisScore,
    score: float | None,
    coverage: float,
    dont_know_share: float,
    level: int | None,
) -> None:
    if score is None:
        assert result.score is None
    else:
        assert result.score == pytest.approx(score)
    assert result.coverage == pytest.approx(coverage)
    assert result.dont_know_share == pytest.approx(dont_know_share)
    assert result.level == level
    assert result.sufficient is (score is not None)


# --------------------------------------------------------------------------- item scores


def test_item_scores(questionnaire):
    c1, c3 = questionnaire.question("c1"), questionnaire.question("c3")
    assert [item_score(c1, v) for v in (1, 2, 3, 4)] == pytest.approx([0, 100 / 3, 200 / 3, 100])
    # reversed: 100 − (v − 1) / 3 × 100
    assert [item_score(c3, v) for v in (1, 2, 3, 4)] == pytest.approx([100, 200 / 3, 100 / 3, 0])
    assert math.isnan(item_score(c1, None))


# --------------------------------------------------------------------------- score_axes


def test_all_answered(questionnaire):
    answers = {
        "p": "oui",
        "c1": 4,  # 100
        "c2": 3,  # 66.67, weight 2
        "c3": 2,  # reversed: 100 − 33.33 = 66.67
        "c4": 1,  # 0, weight 3
        "p1": 4,  # 100
        "p2": 2,  # 33.33
        "i1": 1,  # 0
        "i2": 1,  # 0
        "i3": 4,  # 100
    }
    scores = score_axes(questionnaire, answers)
    assert list(scores) == ["confiance", "performance", "innovation"]
    # (1×100 + 2×66.67 + 1×66.67 + 3×0) / (1+2+1+3) = 300 / 7 = 42.857 → level 2
    check(scores["confiance"], 300 / 7, 1.0, 0.0, 2)
    # (100 + 33.33) / 2 = 66.667 → level 3
    check(scores["performance"], 200 / 3, 1.0, 0.0, 3)
    # (0 + 0 + 100) / 3 = 33.333 → level 2
    check(scores["innovation"], 100 / 3, 1.0, 0.0, 2)
    confiance = scores["confiance"]
    assert (confiance.applicable_items, confiance.answered_items, confiance.dont_know_items) == (
        4,
        4,
        0,
    )


def test_dont_know_lowers_coverage_and_is_not_counted_as_zero(questionnaire):
    answers = {"p": "oui", "c1": None, "c2": 4, "c3": None, "c4": 3}
    confiance = score_axes(questionnaire, answers)["confiance"]
    # answered c2 (w 2, 100) and c4 (w 3, 66.67): (2×100 + 3×66.67) / 5 = 400 / 5 = 80 → level 4
    # coverage: answered weight 5 / applicable weight 7 = 0.714
    # « ne sait pas » c1 + c3: weight 2 / 7 = 0.286
    check(confiance, 80.0, 5 / 7, 2 / 7, 4)
    # Counted as zero it would have been 400 / 7 = 57.1.
    assert confiance.score != pytest.approx(400 / 7)
    assert (confiance.applicable_items, confiance.answered_items, confiance.dont_know_items) == (
        4,
        2,
        2,
    )


def test_exactly_half_coverage_gives_a_score(questionnaire):
    # p = non: c4 does not apply; applicable weight c1 + c2 + c3 = 1 + 2 + 1 = 4.
    answers = {"p": "non", "c1": 4, "c2": None, "c3": 4, "p1": 3}
    scores = score_axes(questionnaire, answers)
    # c1 → 100, c3 reversed 4 → 0: (100 + 0) / 2 = 50 → level 3; coverage 2 / 4 = 0.5;
    # « ne sait pas » c2: 2 / 4 = 0.5
    check(scores["confiance"], 50.0, 0.5, 0.5, 3)
    # p1 → 66.67, p2 skipped: coverage 1 / 2 = 0.5, score 66.67 → level 3, no « ne sait pas »
    check(scores["performance"], 200 / 3, 0.5, 0.0, 3)


def test_below_half_coverage_gives_no_score(questionnaire):
    scores = score_axes(questionnaire, {"p": "non", "c1": 4, "c2": None, "c3": None, "i1": 2})
    # answered c1 (w 1) of 4: coverage 0.25 < 0.5; « ne sait pas » c2 + c3: 3 / 4 = 0.75
    check(scores["confiance"], None, 0.25, 0.75, None)
    # i1 only: 1 / 3 = 0.333 < 0.5
    check(scores["innovation"], None, 1 / 3, 0.0, None)
    # nothing answered: coverage 0 of 2 applicable items
    check(scores["performance"], None, 0.0, 0.0, None)
    assert scores["performance"].applicable_items == 2
    # p = oui: c1 + c2 answered = weight 3 of 7 = 0.429 < 0.5
    confiance = score_axes(questionnaire, {"p": "oui", "c1": 4, "c2": 4})["confiance"]
    check(confiance, None, 3 / 7, 0.0, None)


def test_skipped_items_lower_coverage_but_are_not_dont_know(questionnaire):
    confiance = score_axes(questionnaire, {"p": "oui", "c2": 2, "c4": 4})["confiance"]
    # (2×33.33 + 3×100) / 5 = 366.67 / 5 = 73.333 → level 3; coverage 5 / 7
    check(confiance, (2 * 100 / 3 + 300) / 5, 5 / 7, 0.0, 3)
    assert confiance.score == pytest.approx(73.333, abs=1e-3)
    assert (confiance.answered_items, confiance.dont_know_items) == (2, 0)


def test_show_if_not_holding_removes_the_item(questionnaire):
    answers = {"c1": 1, "c2": 1, "c3": 1, "c4": 4}
    # p = non: c4 does not apply, its answer is ignored.
    # (1×0 + 2×0 + 1×100) / (1+2+1) = 100 / 4 = 25 → level 2; coverage 4 / 4 = 1
    for p in ("non", None, "absent"):
        with_p = {**answers, "p": p} if p != "absent" else answers
        confiance = score_axes(questionnaire, with_p)["confiance"]
        check(confiance, 25.0, 1.0, 0.0, 2)
        assert (confiance.applicable_items, confiance.answered_items) == (3, 3)
    # p = oui: c4 (w 3, 100) counts: (0 + 0 + 100 + 3×100) / 7 = 400 / 7 = 57.14 → level 3
    check(score_axes(questionnaire, {**answers, "p": "oui"})["confiance"], 400 / 7, 1.0, 0.0, 3)
    # A « ne sait pas » given to c4 while it does not apply is not counted either.
    confiance = score_axes(questionnaire, {**answers, "p": "non", "c4": None})["confiance"]
    check(confiance, 25.0, 1.0, 0.0, 2)
    assert confiance.dont_know_items == 0


def test_reversed_item(questionnaire):
    # Only c3 (reversed) answered 1 → 100, plus c1 = 1 → 0: weights 1 + 1 of 4 → coverage 0.5
    confiance = score_axes(questionnaire, {"p": "non", "c1": 1, "c3": 1})["confiance"]
    # (0 + 100) / 2 = 50
    check(confiance, 50.0, 0.5, 0.0, 3)
    # c2 = 1 (w 2) → 0 and c3 = 1 reversed → 100: (0×2 + 100) / 3 = 33.33, coverage 3 / 4
    confiance = score_axes(questionnaire, {"p": "non", "c2": 1, "c3": 1})["confiance"]
    check(confiance, 100 / 3, 0.75, 0.0, 2)


def test_axis_without_applicable_item():
    questionnaire = parse_questionnaire(
        definition(innovation_if_oui=True), "test.yaml", load_vocabulary()
    )
    innovation = score_axes(questionnaire, {"p": "non", "i1": 4, "i2": None})["innovation"]
    check(innovation, None, 0.0, 0.0, None)
    assert (innovation.applicable_items, innovation.answered_items, innovation.dont_know_items) == (
        0,
        0,
        0,
    )
    # The same answers with p = oui: i1 → 100, i2 « ne sait pas », i3 skipped → 1 / 3 < 0.5
    innovation = score_axes(questionnaire, {"p": "oui", "i1": 4, "i2": None})["innovation"]
    check(innovation, None, 1 / 3, 1 / 3, None)


def test_axis_without_any_item():
    raw = definition()
    raw["sections"][1]["questions"] = [
        q for q in raw["sections"][1]["questions"] if q["axis"] != "innovation"
    ]
    questionnaire = parse_questionnaire(raw, "test.yaml", load_vocabulary())
    innovation = score_axes(questionnaire, {"p": "oui", "c1": 4})["innovation"]
    check(innovation, None, 0.0, 0.0, None)
    assert innovation.applicable_items == 0


def test_as_dict_rounds(questionnaire):
    scores = score_axes(
        questionnaire,
        {"p": "oui", "c1": None, "c2": 4, "c3": None, "c4": 3, "p1": 4, "p2": 2, "i1": 1},
    )
    # 400 / 5 = 80; 5 / 7 = 0.714285…; 2 / 7 = 0.285714…
    assert scores["confiance"].as_dict() == {
        "score": 80.0,
        "coverage": 0.714,
        "level": 4,
        "dont_know_share": 0.286,
    }
    # (100 + 33.333…) / 2 = 66.666… → 66.7
    assert scores["performance"].as_dict() == {
        "score": 66.7,
        "coverage": 1.0,
        "level": 3,
        "dont_know_share": 0.0,
    }
    # 1 / 3 = 0.333… < 0.5: no score
    assert scores["innovation"].as_dict() == {
        "score": None,
        "coverage": 0.333,
        "level": None,
        "dont_know_share": 0.0,
    }
    all_answered = score_axes(questionnaire, {"p": "oui", "c1": 4, "c2": 3, "c3": 2, "c4": 1})[
        "confiance"
    ]
    # 300 / 7 = 42.857… → 42.9
    assert all_answered.as_dict()["score"] == 42.9


@pytest.mark.parametrize("weights", [(1, 1.3), (0.3, 2), (0.8, 1.5), (0.1, 0.7)])
def test_top_answers_with_fractional_weights_score_100_and_level_4(weights):
    # Weights are any positive numbers. Every answer at the top of the scale scores 100, so the
    # weighted mean is (w1×100 + w2×100) / (w1 + w2) = 100 → level 4 — whatever the rounding of
    # the floating-point sums (they give 100.00000000000001 for these weights).
    raw = definition()
    for question in raw["sections"][1]["questions"]:
        if question["id"] in ("p1", "p2"):
            question["weight"] = weights[question["id"] == "p2"]
    questionnaire = parse_questionnaire(raw, "test.yaml", load_vocabulary())
    performance = score_axes(questionnaire, {"p1": 4, "p2": 4})["performance"]
    assert performance.score == pytest.approx(100.0)
    assert performance.level == 4
    assert 0.0 <= performance.score <= 100.0
    assert performance.as_dict() == {
        "score": 100.0,
        "coverage": 1.0,
        "level": 4,
        "dont_know_share": 0.0,
    }


# --------------------------------------------------------------------------- levels


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0, 1),
        (0.0, 1),
        (24.999, 1),
        (25, 2),
        (25.0, 2),
        (49.99, 2),
        (50, 3),
        (74.99, 3),
        (75, 4),
        (99.9, 4),
        (100, 4),
        (100.0, 4),
        (None, None),
        (NAN, None),
        (np.float64(60.0), 3),
    ],
)
def test_level_for(score, level):
    assert level_for(score) == level


@pytest.mark.parametrize("score", [100.5, -1, -0.001, math.inf])
def test_level_for_refuses_scores_outside_0_100(score):
    with pytest.raises(ValueError, match="outside 0–100"):
        level_for(score)


# --------------------------------------------------------------------------- arrays


def test_axis_scores_on_many_responses_equals_single_responses(questionnaire):
    responses = [
        {
            "p": "oui",
            "c1": 4,
            "c2": 3,
            "c3": 2,
            "c4": 1,
            "p1": 4,
            "p2": 2,
            "i1": 1,
            "i2": 1,
            "i3": 4,
        },
        {"p": "oui", "c1": None, "c2": 4, "c3": None, "c4": 3, "p2": 1},
        {"p": "non", "c1": 1, "c2": 1, "c3": 1, "c4": 4, "p1": None, "i1": 3, "i2": 3},
    ]
    third = 100 / 3
    # Items: c1 c2 c3 c4 p1 p2 i1 i2 i3, already reversed (c3), NaN when not answered.
    item_scores = np.array(
        [
            [100, 2 * third, 2 * third, 0, 100, third, 0, 0, 100],
            [NAN, 100, NAN, 2 * third, NAN, 0, NAN, NAN, NAN],
            [0, 0, 100, 100, NAN, NAN, 2 * third, 2 * third, NAN],
        ]
    )
    applicable = np.ones((3, 9), dtype=bool)
    applicable[2, 3] = False  # c4 with p = non
    dont_know = np.zeros((3, 9), dtype=bool)
    dont_know[1, [0, 2]] = True
    dont_know[2, 4] = True
    weights = np.array([1, 2, 1, 3, 1, 1, 1, 1, 1], dtype=float)
    item_axes = ["confiance"] * 4 + ["performance"] * 2 + ["innovation"] * 3

    many = axis_scores(item_scores, applicable, dont_know, weights, item_axes)

    # By hand: confiance 300/7, 80, 25; performance 66.67, (p1 skipped, p2 → 0) 0, (1/2 NSP) —;
    # innovation 33.33, —, 66.67 (2 of 3).
    expected_scores = {
        "confiance": [300 / 7, 80.0, 25.0],
        "performance": [200 / 3, 0.0, NAN],
        "innovation": [100 / 3, NAN, 200 / 3],
    }
    for axis, scores in expected_scores.items():
        np.testing.assert_allclose(many[axis]["score"], scores)
    np.testing.assert_allclose(many["confiance"]["coverage"], [1.0, 5 / 7, 1.0])
    np.testing.assert_allclose(many["performance"]["dont_know_share"], [0.0, 0.0, 0.5])
    np.testing.assert_array_equal(many["confiance"]["applicable"], [4, 4, 3])

    for row, answers in enumerate(responses):
        single = score_axes(questionnaire, answers)
        for axis, result in single.items():
            arrays = many[axis]
            if result.score is None:
                assert math.isnan(arrays["score"][row])
            else:
                assert arrays["score"][row] == pytest.approx(result.score)
            assert arrays["coverage"][row] == pytest.approx(result.coverage)
            assert arrays["dont_know_share"][row] == pytest.approx(result.dont_know_share)
            assert arrays["applicable"][row] == result.applicable_items
            assert arrays["answered"][row] == result.answered_items
            assert arrays["dont_know"][row] == result.dont_know_items


# --------------------------------------------------------------------------- real questionnaires


def test_real_entreprise_questionnaire():
    entreprise = load_catalog().get("entreprise", 1)
    answers = {
        "territoire": "commune:69123",
        "partenariats": "non",  # conf_engagement_salaries, conf_pouvoir_agir do not apply
        "conf_interlocuteurs": 4,  # 100
        "conf_associations": 3,  # 66.67
        "conf_vision_partagee": None,  # « ne sait pas »
        "conf_mefiance": 2,  # reversed: 100 − 33.33 = 66.67
        "conf_chacun_pour_soi": 1,  # reversed: 100 − 0 = 100
        "conf_pouvoir_agir": 1,  # ignored: does not apply
        "inno_source": 2,  # 33.33
        "inno_complementarite": 1,  # 0
        "inno_solutions": 4,  # ignored: does not apply
    }
    scores = score_axes(entreprise, answers)
    # confiance: 5 applicable items of weight 1, 4 answered:
    # (100 + 66.67 + 66.67 + 100) / 4 = 333.33 / 4 = 83.33 → level 4; coverage 4/5; NSP 1/5
    check(scores["confiance"], 250 / 3, 0.8, 0.2, 4)
    assert scores["confiance"].applicable_items == 5
    # performance: 4 applicable items, none answered → no score
    check(scores["performance"], None, 0.0, 0.0, None)
    assert scores["performance"].applicable_items == 4
    # innovation: 4 applicable (inno_source, inno_complementarite, inno_experimentation,
    # inno_hors_sujet), 2 answered → coverage 0.5; (33.33 + 0) / 2 = 16.67 → level 1
    check(scores["innovation"], 50 / 3, 0.5, 0.0, 1)
    assert scores["innovation"].applicable_items == 4


def test_a_response_is_scored_with_its_own_version(tmp_path):
    shutil.copy(DEFINITIONS_DIR / "entreprise-v1.yaml", tmp_path / "entreprise-v1.yaml")
    answers = {
        "partenariats": "non",
        "conf_interlocuteurs": 4,  # 100
        "conf_associations": 3,  # 66.67
        "conf_vision_partagee": None,
        "conf_mefiance": 2,  # v1 reversed: 66.67; v2 not reversed: 33.33
        "conf_chacun_pour_soi": 1,  # reversed: 100
    }
    only_v1 = load_catalog(tmp_path)
    before = score_axes(only_v1.get("entreprise", 1), answers)["confiance"]
    # (100 + 66.67 + 66.67 + 100) / 4 = 83.33; coverage 4 / 5
    check(before, 250 / 3, 0.8, 0.2, 4)

    v2 = yaml.safe_load((tmp_path / "entreprise-v1.yaml").read_text(encoding="utf-8"))
    v2["version"] = 2
    for section in v2["sections"]:
        for question in section["questions"]:
            if question["id"] == "conf_mefiance":
                del question["reversed"]
            if question["id"] == "conf_interlocuteurs":
                question["weight"] = 2
    (tmp_path / "entreprise-v2.yaml").write_text(
        yaml.safe_dump(v2, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    catalog = load_catalog(tmp_path)
    assert catalog.get("entreprise").version == 2
    assert catalog.get("entreprise") is catalog.get("entreprise", 2)
    assert catalog.get("entreprise", 1).question("conf_mefiance").reversed is True
    assert catalog.get("entreprise", 2).question("conf_mefiance").reversed is False
    assert [q.key for q in catalog.versions()] == [("entreprise", 1), ("entreprise", 2)]

    with_v1 = score_axes(catalog.get("entreprise", 1), answers)["confiance"]
    assert with_v1 == before
    with_v2 = score_axes(catalog.get("entreprise", 2), answers)["confiance"]
    # weights 2, 1, (1 NSP), 1, 1 → applicable 6, answered 5:
    # (2×100 + 66.67 + 33.33 + 100) / 5 = 400 / 5 = 80 → level 4; coverage 5/6; NSP 1/6
    check(with_v2, 80.0, 5 / 6, 1 / 6, 4)


def test_one_response_is_scored_to_the_bit_as_the_arrays_score_it():
    """`score_axes` (plain floats, the submission path) and `axis_scores` (numpy, bulk loads)
    give the same scores, coverages and shares, not only close ones: random answer sets of
    every real questionnaire, with skipped items, « ne sait pas », show_if switched either way
    and weights as defined."""
    from scoring.scores import score_axes_with_arrays

    catalog = load_catalog()
    generator = np.random.default_rng(20261129)
    compared = 0
    for questionnaire in catalog.latest():
        for _ in range(150):
            answers = {}
            for question in questionnaire.questions:
                draw = generator.random()
                if draw < 0.15:
                    continue  # skipped
                if question.scale is not None:
                    values = [item.value for item in question.scale.values]
                    answers[question.id] = (
                        None if draw < 0.25 else values[generator.integers(len(values))])
                elif question.type == "choice":
                    answers[question.id] = question.options[
                        generator.integers(len(question.options))].value
            assert score_axes(questionnaire, answers) == score_axes_with_arrays(
                questionnaire, answers), answers
            compared += 1
    assert compared >= 4 * 150
