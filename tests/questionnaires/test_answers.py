"""Answer checks and `show_if` applicability, on a small questionnaire built for the purpose."""

from __future__ import annotations

import math

import pytest

from questionnaires.answers import (
    UNANSWERED,
    AnswerError,
    applicable_answers,
    applicable_questions,
    check_answers,
    check_value,
    next_section_index,
    shown_questions,
)
from questionnaires.loader import load_vocabulary, parse_questionnaire


def label(text: str) -> dict[str, str]:
    return {"fr": text, "en": f"{text} (en)"}


def options(*values: str) -> list[dict]:
    return [{"value": value, "label": label(value)} for value in values]


def choice(question_id: str, *values: str, **extra) -> dict:
    return {
        "id": question_id,
        "type": "choice",
        "label": label(question_id),
        "options": options(*values),
        **extra,
    }


DEFINITION = {
    "schema_version": 1,
    "id": "test",
    "version": 1,
    "actor": "citoyen",
    "kind": "full",
    "duration_minutes": 10,
    "title": label("Test"),
    "description": label("Test"),
    "scales": {
        "accord": {
            "dont_know": True,
            "scoring": "linear",
            "values": [{"value": v, "label": label(str(v))} for v in (4, 3, 2, 1)],
        },
        "accord_strict": {
            "dont_know": False,
            "scoring": "linear",
            "values": [{"value": v, "label": label(str(v))} for v in (4, 3, 2, 1)],
        },
    },
    "sections": [
        {
            "id": "base",
            "title": label("Base"),
            "questions": [
                choice("a", "oui", "non"),
                choice("a_nsp", "oui", "non", dont_know=True),
                {"id": "s", "type": "scale", "scale": "accord", "label": label("s")},
                {"id": "s_strict", "type": "scale", "scale": "accord_strict", "label": label("s")},
                {
                    "id": "m",
                    "type": "multi_choice",
                    "label": label("m"),
                    "options": options("x", "y", "z"),
                },
                {
                    "id": "r",
                    "type": "ranking",
                    "max_choices": 2,
                    "label": label("r"),
                    "options": options("x", "y", "z"),
                },
                {
                    "id": "n",
                    "type": "number",
                    "min": 0,
                    "max": 100,
                    "integer": True,
                    "label": label("n"),
                },
                {"id": "f", "type": "number", "min": 0.5, "label": label("f")},
                {"id": "t", "type": "text", "max_length": 10, "label": label("t")},
                {"id": "terr", "type": "territory", "label": label("terr")},
            ],
        },
        {
            "id": "suite",
            "title": label("Suite"),
            "questions": [
                choice("b", "oui", "non", show_if={"question": "a", "in": ["oui"]}),
                choice("c", "oui", "non", show_if={"question": "b", "in": ["oui"]}),
                choice("d", "oui", "non", show_if={"question": "a", "not_in": ["non"]}),
                choice("e", "oui", "non", show_if={"question": "m", "in": ["x", "y"]}),
                choice("g", "oui", "non", show_if={"question": "a_nsp", "in": ["oui"]}),
                {"id": "k", "type": "text", "label": label("k")},
            ],
        },
        {
            "id": "si_oui",
            "title": label("Si oui"),
            "questions": [
                choice("o1", "oui", "non", show_if={"question": "a", "in": ["oui"]}),
                choice("o2", "oui", "non", show_if={"question": "o1", "in": ["oui"]}),
            ],
        },
        {
            "id": "fin",
            "title": label("Fin"),
            "questions": [
                choice("h1", "oui", "non"),
                choice("h2", "oui", "non", show_if={"question": "h1", "in": ["oui"]}),
            ],
        },
    ],
}


@pytest.fixture(scope="module")
def questionnaire():
    return parse_questionnaire(DEFINITION, "test.yaml", load_vocabulary())


def error_of(questionnaire, question_id, value) -> AnswerError:
    with pytest.raises(AnswerError) as caught:
        check_value(questionnaire.question(question_id), value)
    return caught.value


# --------------------------------------------------------------------------- check_value


@pytest.mark.parametrize("value", [1, 2, 3, 4])
def test_scale_accepts_its_values(questionnaire, value):
    assert check_value(questionnaire.question("s"), value) == value
    assert type(check_value(questionnaire.question("s"), value)) is int


@pytest.mark.parametrize("value", ["3", True, 3.0, 5, 0, [3]])
def test_scale_refuses_other_values(questionnaire, value):
    error = error_of(questionnaire, "s", value)
    assert error.code == "not_in_scale"
    assert error.params["accepted"] == "4, 3, 2, 1"
    assert str(error) == f"{value!r} is not a value of the scale (accepted: 4, 3, 2, 1)"


def test_scale_dont_know_only_when_offered(questionnaire):
    assert check_value(questionnaire.question("s"), None) is None
    error = error_of(questionnaire, "s_strict", None)
    assert error.code == "dont_know_not_offered"
    assert check_value(questionnaire.question("s_strict"), 2) == 2


def test_choice(questionnaire):
    assert check_value(questionnaire.question("a"), "oui") == "oui"
    assert error_of(questionnaire, "a", "peut_etre").code == "not_an_option"
    assert error_of(questionnaire, "a", "peut_etre").params["accepted"] == "oui, non"
    for value in (1, True, ["oui"], {"oui": 1}):
        assert error_of(questionnaire, "a", value).code == "wrong_type"
    assert error_of(questionnaire, "a", None).code == "dont_know_not_offered"
    assert check_value(questionnaire.question("a_nsp"), None) is None


def test_multi_choice(questionnaire):
    question = questionnaire.question("m")
    assert check_value(question, ["z", "x"]) == ["z", "x"]
    assert check_value(question, ["x", "y", "z"]) == ["x", "y", "z"]
    assert check_value(question, []) is UNANSWERED
    for value in ("x", ("x",), [1], ["x", None]):
        assert error_of(questionnaire, "m", value).code == "wrong_type"
    error = error_of(questionnaire, "m", ["x", "x"])
    assert (error.code, error.params) == ("duplicate_choice", {"value": "'x'"})
    error = error_of(questionnaire, "m", ["x", "w"])
    assert (error.code, error.params["value"]) == ("not_an_option", "'w'")
    assert error_of(questionnaire, "m", None).code == "dont_know_not_offered"


def test_ranking(questionnaire):
    question = questionnaire.question("r")
    assert check_value(question, ["y", "x"]) == ["y", "x"]
    assert check_value(question, ["z"]) == ["z"]
    assert check_value(question, []) is UNANSWERED
    error = error_of(questionnaire, "r", ["x", "y", "z"])
    assert (error.code, error.params) == ("too_many", {"max": 2})
    assert error_of(questionnaire, "r", ["y", "y"]).code == "duplicate_choice"
    assert error_of(questionnaire, "r", ["w"]).code == "not_an_option"


def test_number_bounds_and_integer(questionnaire):
    n = questionnaire.question("n")
    assert check_value(n, 0) == 0
    assert check_value(n, 100) == 100
    assert check_value(n, 42) == 42
    assert error_of(questionnaire, "n", -1).code == "below_min"
    assert error_of(questionnaire, "n", -1).params == {"min": 0}
    assert error_of(questionnaire, "n", 101).code == "above_max"
    assert error_of(questionnaire, "n", 101).params == {"max": 100}
    assert error_of(questionnaire, "n", 4.5).code == "not_integer"
    assert error_of(questionnaire, "n", 4.0).code == "not_integer"
    f = questionnaire.question("f")
    assert check_value(f, 0.5) == 0.5
    assert check_value(f, 1e6) == 1e6
    assert check_value(f, 3) == 3
    assert error_of(questionnaire, "f", 0.25).code == "below_min"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, True, False, "3", None])
def test_number_refuses_non_numbers(questionnaire, value):
    expected = "dont_know_not_offered" if value is None else "wrong_type"
    assert error_of(questionnaire, "f", value).code == expected


def test_text(questionnaire):
    question = questionnaire.question("t")
    assert check_value(question, "  bonjour \n") == "bonjour"
    assert check_value(question, "0123456789") == "0123456789"
    # Ten characters once stripped: accepted.
    assert check_value(question, "   0123456789   ") == "0123456789"
    error = error_of(questionnaire, "t", "01234567890")
    assert (error.code, error.params) == ("too_long", {"max": 10})
    assert check_value(question, "") is UNANSWERED
    assert check_value(question, "   \n ") is UNANSWERED
    assert error_of(questionnaire, "t", 12).code == "wrong_type"


@pytest.mark.parametrize(
    "value", ["commune:69123", "commune:2A004", "departement:69", "region:84", "pays:FR"]
)
def test_territory_accepts_level_and_code(questionnaire, value):
    assert check_value(questionnaire.question("terr"), value) == value


@pytest.mark.parametrize(
    "value",
    [
        "69123",
        "commune:",
        "foo:1",
        ":69123",
        "commune:69 123",
        "Commune:69123",
        "commune:6912345678901",
    ],
)
def test_territory_refuses_other_formats(questionnaire, value):
    assert error_of(questionnaire, "terr", value).code == "bad_territory"


def test_territory_refuses_a_trailing_newline(questionnaire):
    # `$` in a regular expression also matches before a final newline: the whole value must match,
    # or "commune:69123\n" is stored as a territory key that names no territory.
    assert error_of(questionnaire, "terr", "commune:69123\n").code == "bad_territory"


def test_territory_refuses_non_strings(questionnaire):
    assert error_of(questionnaire, "terr", 69123).code == "wrong_type"


# --------------------------------------------------------------------------- check_answers


def test_check_answers_splits_accepted_answers_and_errors(questionnaire):
    accepted, errors = check_answers(
        questionnaire,
        {
            "a": "oui",
            "s": None,
            "m": [],
            "t": "  texte ",
            "k": "",
            "n": 150,
            "inconnue": 1,
            "r": ["x"],
        },
    )
    assert accepted == {"a": "oui", "s": None, "t": "texte", "r": ["x"]}
    assert set(errors) == {"n", "inconnue"}
    assert errors["inconnue"].code == "unknown_question"
    assert str(errors["inconnue"]) == "unknown question"
    assert errors["n"].code == "above_max"


# --------------------------------------------------------------------------- applicability


def test_show_if_in_and_not_in(questionnaire):
    with_oui = applicable_questions(questionnaire, {"a": "oui"})
    assert {"b", "d"} <= with_oui
    with_non = applicable_questions(questionnaire, {"a": "non"})
    assert "b" not in with_non
    assert "d" not in with_non


def test_condition_on_an_unanswered_question_does_not_hold(questionnaire):
    applicable = applicable_questions(questionnaire, {})
    # `not_in: [non]` does not hold either: a was not answered.
    assert applicable.isdisjoint({"b", "c", "d", "e", "g", "o1", "o2", "h2"})
    unconditioned = {
        "a",
        "a_nsp",
        "s",
        "s_strict",
        "m",
        "r",
        "n",
        "f",
        "t",
        "terr",
        "k",
        "h1",
    }
    assert applicable == unconditioned


def test_condition_on_dont_know_does_not_hold(questionnaire):
    assert "g" not in applicable_questions(questionnaire, {"a_nsp": None})
    assert "g" in applicable_questions(questionnaire, {"a_nsp": "oui"})
    assert "g" not in applicable_questions(questionnaire, {"a_nsp": "non"})


def test_condition_on_a_multi_choice_holds_when_any_chosen_value_is_listed(questionnaire):
    assert "e" in applicable_questions(questionnaire, {"m": ["z", "y"]})
    assert "e" in applicable_questions(questionnaire, {"m": ["x"]})
    assert "e" not in applicable_questions(questionnaire, {"m": ["z"]})
    assert "e" not in applicable_questions(questionnaire, {"m": []})


def test_chained_conditions(questionnaire):
    # c depends on b, which depends on a.
    assert {"b", "c"} <= applicable_questions(questionnaire, {"a": "oui", "b": "oui"})
    assert "c" not in applicable_questions(questionnaire, {"a": "oui", "b": "non"})
    # a = non: b does not apply, so c does not apply although b's stored answer would satisfy it.
    applicable = applicable_questions(questionnaire, {"a": "non", "b": "oui"})
    assert "b" not in applicable
    assert "c" not in applicable


def test_applicable_answers_drops_answers_to_questions_that_do_not_apply(questionnaire):
    answers = {"a": "non", "b": "oui", "c": "oui", "d": "non", "k": "note", "o1": "oui"}
    assert applicable_answers(questionnaire, answers) == {"a": "non", "k": "note"}
    answers = {"a": "oui", "b": "oui", "c": "non", "o1": "non", "o2": "oui"}
    assert applicable_answers(questionnaire, answers) == {
        "a": "oui",
        "b": "oui",
        "c": "non",
        "o1": "non",
    }


# --------------------------------------------------------------------------- pages


def shown_ids(questionnaire, section_id, answers) -> list[str]:
    section = questionnaire.sections[questionnaire.section_index(section_id)]
    return [question.id for question in shown_questions(questionnaire, section, answers)]


def test_question_conditioned_on_an_earlier_section_shows_only_if_applicable(questionnaire):
    assert shown_ids(questionnaire, "suite", {}) == ["k"]
    assert shown_ids(questionnaire, "suite", {"a": "non", "m": ["z"]}) == ["k"]
    # b and d apply; c depends on b, on the same page: shown for the page to hide or reveal.
    assert shown_ids(questionnaire, "suite", {"a": "oui"}) == ["b", "c", "d", "k"]
    assert shown_ids(questionnaire, "suite", {"a": "oui", "m": ["y"], "a_nsp": "oui"}) == [
        "b",
        "c",
        "d",
        "e",
        "g",
        "k",
    ]


def test_question_conditioned_on_the_same_section_always_shows(questionnaire):
    assert shown_ids(questionnaire, "fin", {}) == ["h1", "h2"]
    assert shown_ids(questionnaire, "fin", {"h1": "non"}) == ["h1", "h2"]
    assert shown_ids(questionnaire, "fin", {"h1": "oui"}) == ["h1", "h2"]
    assert shown_ids(questionnaire, "si_oui", {"a": "oui", "o1": "non"}) == ["o1", "o2"]
    # o2 depends on o1 (same page), but o1 itself is hidden: o2 goes with it.
    assert shown_ids(questionnaire, "si_oui", {"a": "non", "o1": "oui"}) == []


def test_next_section_index_skips_a_section_with_nothing_to_show(questionnaire):
    # Sections: 0 base, 1 suite, 2 si_oui (all conditioned on a = oui), 3 fin.
    assert next_section_index(questionnaire, {"a": "oui"}, 1, 1) == 2
    assert next_section_index(questionnaire, {"a": "non"}, 1, 1) == 3
    assert next_section_index(questionnaire, {"a": "non"}, 3, -1) == 1
    assert next_section_index(questionnaire, {"a": "oui"}, 3, -1) == 2
    assert next_section_index(questionnaire, {}, 0, 1) == 1


def test_next_section_index_is_none_past_either_end(questionnaire):
    assert next_section_index(questionnaire, {"a": "oui"}, 3, 1) is None
    assert next_section_index(questionnaire, {"a": "oui"}, 0, -1) is None
    assert next_section_index(questionnaire, {"a": "non"}, 4, -1) == 3
