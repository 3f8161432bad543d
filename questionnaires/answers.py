"""Answers: which questions apply, and whether a value is an acceptable answer to a question.

Answers are a mapping `question id → value`. A question absent from the mapping is unanswered;
a value of None means « ne sait pas ». Both the web forms and the JSON API check answers here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import AnswerValue, Question, Questionnaire, Section

TERRITORY_KEY = re.compile(r"^(pays|region|departement|epci|commune):[0-9A-Za-z]{1,12}$")
#: What no database column can hold in a text: NUL (PostgreSQL refuses it) and unpaired
#: surrogates (not Unicode text; they only come through a JSON "\ud800" escape).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


#: English messages of the answer errors (the API shows them; pages word their own).
MESSAGES = {
    "unknown_question": "unknown question",
    "wrong_type": "expected {expected}",
    "not_in_scale": "{value} is not a value of the scale (accepted: {accepted})",
    "not_an_option": "{value} is not an option (accepted: {accepted})",
    "dont_know_not_offered": "null (« ne sait pas ») is not offered for this question",
    "duplicate_choice": "{value} is chosen twice",
    "too_many": "at most {max} choices",
    "below_min": "must be at least {min}",
    "above_max": "must be at most {max}",
    "not_integer": "must be a whole number",
    "too_long": "at most {max} characters",
    "bad_territory": "expected a territory written level:code, such as commune:69123",
    "required": "an answer is required",
}


@dataclass
class AnswerError(ValueError):
    """An answer that cannot be accepted; `code` and `params` let a page word it in its language."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return MESSAGES[self.code].format(**self.params)


def _brief(value: Any) -> str:
    """A short representation of a value for a message (a tampered value may be huge)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_value(question: Question, value: Any) -> AnswerValue:
    """The answer `value` normalised for storage, or AnswerError.

    Returns the sentinel UNANSWERED for an empty text or an empty list of choices.
    """
    if value is None:
        if question.offers_dont_know:
            return None
        raise AnswerError("dont_know_not_offered")
    kind = question.type
    if kind == "scale":
        if question.scale.find(value) is None:
            accepted = ", ".join(repr(item.value) for item in question.scale.values)
            raise AnswerError("not_in_scale", {"value": _brief(value), "accepted": accepted})
        return value
    if kind == "choice":
        if not isinstance(value, str):
            raise AnswerError("wrong_type", {"expected": "a string (one option value)"})
        _check_option(question, value)
        return value
    if kind in ("multi_choice", "ranking"):
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise AnswerError("wrong_type", {"expected": "a list of option values"})
        for position, item in enumerate(value):
            _check_option(question, item)
            if item in value[:position]:
                raise AnswerError("duplicate_choice", {"value": _brief(item)})
        if kind == "ranking" and len(value) > question.max_choices:
            raise AnswerError("too_many", {"max": question.max_choices})
        return list(value) if value else UNANSWERED
    if kind == "number":
        if not _is_number(value) or value != value or value in (float("inf"), float("-inf")):
            raise AnswerError("wrong_type", {"expected": "a number"})
        if question.integer and not isinstance(value, int):
            raise AnswerError("not_integer")
        if question.minimum is not None and value < question.minimum:
            raise AnswerError("below_min", {"min": question.minimum})
        if question.maximum is not None and value > question.maximum:
            raise AnswerError("above_max", {"max": question.maximum})
        return value
    if kind == "text":
        if not isinstance(value, str):
            raise AnswerError("wrong_type", {"expected": "a string"})
        if UNSTORABLE.search(value):
            raise AnswerError(
                "wrong_type", {"expected": "a string without NUL characters or lone surrogates"}
            )
        text = value.strip()
        if len(text) > question.max_length:
            raise AnswerError("too_long", {"max": question.max_length})
        return text if text else UNANSWERED
    if kind == "territory":
        if not isinstance(value, str):
            raise AnswerError("wrong_type", {"expected": "a string such as commune:69123"})
        if not TERRITORY_KEY.fullmatch(value):
            raise AnswerError("bad_territory")
        return value
    raise AssertionError(f"unhandled question type {kind}")  # the loader refuses other types


def _check_option(question: Question, value: str) -> None:
    if question.option(value) is None:
        accepted = ", ".join(option.value for option in question.options)
        raise AnswerError("not_an_option", {"value": _brief(value), "accepted": accepted})


class _Unanswered:
    """Marks a value that amounts to no answer (empty text, nothing chosen)."""

    def __repr__(self) -> str:
        return "UNANSWERED"


UNANSWERED: Any = _Unanswered()


def check_answers(
    questionnaire: Questionnaire, answers: Mapping[str, Any]
) -> tuple[dict[str, AnswerValue], dict[str, AnswerError]]:
    """Check every answer; return the accepted answers (normalised) and the errors by question.

    Unanswered values (empty texts, empty lists) are left out of the accepted answers.
    """
    accepted: dict[str, AnswerValue] = {}
    errors: dict[str, AnswerError] = {}
    for question_id, value in answers.items():
        question = questionnaire.question(question_id)
        if question is None:
            errors[question_id] = AnswerError("unknown_question")
            continue
        try:
            clean = check_value(question, value)
        except AnswerError as error:
            errors[question_id] = error
            continue
        if clean is not UNANSWERED:
            accepted[question_id] = clean
    return accepted, errors


def applicable_questions(
    questionnaire: Questionnaire, answers: Mapping[str, AnswerValue]
) -> set[str]:
    """Ids of the questions that apply given `answers` (their `show_if` holds).

    A condition on a question that does not apply itself does not hold. Conditions only refer
    to earlier questions, so one pass in order settles every question.
    """
    applicable: set[str] = set()
    for question in questionnaire.questions:
        condition = question.show_if
        if condition is None or (
            condition.question in applicable and condition.holds(answers.get(condition.question))
        ):
            applicable.add(question.id)
    return applicable


def applicable_answers(
    questionnaire: Questionnaire, answers: Mapping[str, AnswerValue]
) -> dict[str, AnswerValue]:
    """`answers` without those given to questions that do not apply (they are ignored)."""
    applicable = applicable_questions(questionnaire, answers)
    return {key: value for key, value in answers.items() if key in applicable}


def shown_questions(
    questionnaire: Questionnaire, section: Section, answers: Mapping[str, AnswerValue]
) -> list[Question]:
    """The questions of `section` to put on its page, given the answers saved so far.

    A question whose condition is on an earlier section shows only if it applies. One whose
    condition is on a question of the same page is shown, for the page to hide or reveal as the
    respondent answers (the server ignores its answer if the condition does not hold).
    """
    applicable = applicable_questions(questionnaire, answers)
    on_page: set[str] = set()
    shown = []
    for question in section.questions:
        condition = question.show_if
        if condition is None or question.id in applicable or condition.question in on_page:
            shown.append(question)
            on_page.add(question.id)
    return shown


def next_section_index(
    questionnaire: Questionnaire, answers: Mapping[str, AnswerValue], index: int, step: int
) -> int | None:
    """The index of the next (step 1) or previous (step -1) section with questions to show.

    None past either end: after the last section, the questionnaire is complete.
    """
    index += step
    while 0 <= index < len(questionnaire.sections):
        if shown_questions(questionnaire, questionnaire.sections[index], answers):
            return index
        index += step
    return None
