"""The questionnaire definition as frozen dataclasses, built and validated by `loader`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

QUESTION_TYPES = ("scale", "choice", "multi_choice", "ranking", "number", "text", "territory")
KINDS = ("full", "atelier")
#: Actor value of a questionnaire answered by every actor type (the workshop one).
ALL_ACTORS = "all"

#: An answer value: a scale or option value, a number, a text, a territory key or a list of option
#: values; None means « ne sait pas ».
AnswerValue = int | float | str | list[str] | None


@dataclass(frozen=True)
class Label:
    """A text in every language of the product."""

    fr: str
    en: str

    def text(self, language: str) -> str:
        """The text in `language`, French when that language is unknown."""
        return self.en if language == "en" else self.fr

    def as_dict(self) -> dict[str, str]:
        return {"fr": self.fr, "en": self.en}


@dataclass(frozen=True)
class ScaleValue:
    value: int | str
    #: Score of the value on 0–100, used by the axis scores.
    score: float
    label: Label


@dataclass(frozen=True)
class Scale:
    id: str
    values: tuple[ScaleValue, ...]
    #: Whether « ne sait pas / ne se prononce pas » is offered.
    dont_know: bool

    def find(self, value: Any) -> ScaleValue | None:
        """The scale value equal to `value` (same type: 1 is not "1" and True is not 1)."""
        for item in self.values:
            if type(item.value) is type(value) and item.value == value:
                return item
        return None


@dataclass(frozen=True)
class Option:
    value: str
    label: Label


@dataclass(frozen=True)
class Condition:
    """`show_if`: the question applies when an earlier answer is (or is not) one of `values`."""

    question: str
    values: tuple[int | str, ...]
    negate: bool = False

    def holds(self, answer: AnswerValue) -> bool:
        """Whether the condition holds for the answer given to `question`.

        An unanswered question or a « ne sait pas » never satisfies a condition.
        """
        if answer is None:
            return False
        chosen = answer if isinstance(answer, list) else [answer]
        if not chosen:
            return False
        hit = any(value in self.values for value in chosen)
        return not hit if self.negate else hit

    def as_dict(self) -> dict[str, Any]:
        return {"question": self.question, ("not_in" if self.negate else "in"): list(self.values)}


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: Label
    section: str
    help: Label | None = None
    scale: Scale | None = None
    options: tuple[Option, ...] = ()
    #: Name of the shared list the options come from (domains, practices, actors), if any.
    options_from: str | None = None
    axis: str | None = None
    domain: str | None = None
    weight: float = 1.0
    reversed: bool = False
    show_if: Condition | None = None
    #: choice / multi_choice / number / text: whether « ne sait pas » is offered (scale: see Scale).
    dont_know: bool = False
    #: ranking: how many options may be picked at most.
    max_choices: int | None = None
    #: number: bounds, whether only whole numbers are accepted, unit.
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    unit: Label | None = None
    #: text: longest answer accepted, in characters.
    max_length: int = 2000
    #: Whether the respondent must answer before leaving the section (the territory, typically).
    required: bool = False

    @property
    def offers_dont_know(self) -> bool:
        if self.type == "scale":
            return self.scale is not None and self.scale.dont_know
        return self.dont_know

    @property
    def is_multiple(self) -> bool:
        return self.type in ("multi_choice", "ranking")

    def option(self, value: Any) -> Option | None:
        for option in self.options:
            if option.value == value:
                return option
        return None

    def accepted_values(self) -> tuple[int | str, ...]:
        """The values a `show_if` on this question may test."""
        if self.scale is not None:
            return tuple(item.value for item in self.scale.values)
        return tuple(option.value for option in self.options)


@dataclass(frozen=True)
class Section:
    id: str
    title: Label
    questions: tuple[Question, ...]
    intro: Label | None = None


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: int
    actor: str
    kind: str
    title: Label
    description: Label
    #: Time announced to respondents, in minutes.
    duration_minutes: int
    scales: Mapping[str, Scale]
    sections: tuple[Section, ...]
    #: Questionnaire answered by every actor type: the question that tells the actor type.
    actor_question: str | None = None
    #: File the definition was read from (for messages).
    source: str = ""
    _by_id: Mapping[str, Question] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {q.id: q for section in self.sections for q in section.questions}
        object.__setattr__(self, "_by_id", MappingProxyType(index))

    @property
    def key(self) -> tuple[str, int]:
        return (self.id, self.version)

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(self._by_id.values())

    def question(self, question_id: str) -> Question | None:
        return self._by_id.get(question_id)

    def section_index(self, section_id: str) -> int:
        for index, section in enumerate(self.sections):
            if section.id == section_id:
                return index
        raise KeyError(section_id)

    @property
    def territory_question(self) -> Question | None:
        return next((q for q in self.questions if q.type == "territory"), None)

    def axis_questions(self, axis: str) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.axis == axis)

    def actor_of(self, answers: Mapping[str, AnswerValue]) -> str | None:
        """The actor type of a response: the questionnaire's, or the one the respondent chose."""
        if self.actor != ALL_ACTORS:
            return self.actor
        value = answers.get(self.actor_question or "")
        return value if isinstance(value, str) else None
