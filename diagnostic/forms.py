"""Forms built from questionnaire definitions: one field `item_<id>` per question of a section.

Fields turn the posted strings into answer values and check them with the questionnaire's own rules
(`questionnaires.check_value`), the same rules the JSON API applies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField
from wtforms.validators import ValidationError

from questionnaires import UNANSWERED, AnswerError, Question, check_value

from .services.territories import Match

#: Posted value of « ne sait pas ».
DONT_KNOW = "nsp"
FIELD_PREFIX = "item_"


def field_name(question_id: str) -> str:
    return FIELD_PREFIX + question_id


def error_message(code: str, params: dict[str, Any] | None = None) -> str:
    """The message shown to a respondent for an answer error code."""
    params = params or {}
    if code == "too_many":
        return str(
            lazy_ngettext(
                "Choose at most %(num)d answer.", "Choose at most %(num)d answers.", params["max"]
            )
        )
    messages = {
        "not_in_scale": _l("This answer is not one of the options offered."),
        "not_an_option": _l("This answer is not one of the options offered."),
        "wrong_type": _l("This answer is not valid."),
        "dont_know_not_offered": _l("“Don't know” is not offered for this question."),
        "dont_know_with_others": _l("“Don't know” cannot be ticked together with other answers."),
        "duplicate_choice": _l("An option is chosen twice."),
        "below_min": _l("Enter a value of at least %(min)s."),
        "above_max": _l("Enter a value of at most %(max)s."),
        "not_integer": _l("Enter a whole number."),
        "not_a_number": _l("Enter a number, for example 12 or 3.5."),
        "too_long": _l("Your answer is longer than %(max)s characters."),
        "bad_territory": _l("Unknown municipality: search for it by name or postcode."),
        "unknown_territory": _l("Unknown municipality: search for it by name or postcode."),
        "required": _l("This question needs an answer."),
        "territory_none": _l(
            "No municipality matches “%(query)s”. Check the spelling or type the postcode."
        ),
        "territory_many": _l("Several municipalities match “%(query)s”: choose yours in the list."),
    }
    return str(messages[code]) % params


class SubmissionForm(FlaskForm):
    """A form that creates something (a response, a participant): besides the CSRF token, an
    idempotency key created when the form is rendered, so that sending it twice (a double tap,
    the back button, a retry) creates it once."""

    submission = HiddenField()

    def with_new_key(self) -> SubmissionForm:
        """Give the rendered form a fresh key (a form sent back with errors keeps its own)."""
        from .services.responses import new_idempotency_key

        if not self.submission.data:
            self.submission.data = new_idempotency_key()
        return self

    def token(self, secret: str, scope: str) -> str | None:
        """The private token this submission gives (`responses.token_for`), or None without a
        valid key (a random one is then drawn)."""
        from .services.responses import token_for, valid_idempotency_key

        key = valid_idempotency_key(self.submission.data)
        return token_for(secret, scope, key) if key else None


class AnswerField(Field):
    """A question of the questionnaire. `data` is the answer value, None for « ne sait pas »,
    UNANSWERED when there is no answer."""

    def __init__(self, question: Question, language: str, **kwargs: Any) -> None:
        super().__init__(label=question.label.text(language), default=UNANSWERED, **kwargs)
        self.question = question
        self.language = language
        self.parse_error: tuple[str, dict[str, Any]] | None = None

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data, self.parse_error = parse_posted(self.question, valuelist)

    def pre_validate(self, form: FlaskForm) -> None:
        if self.parse_error is not None:
            raise ValidationError(error_message(*self.parse_error))
        if self.data is UNANSWERED:
            if self.question.required and form.enforce_required:
                raise ValidationError(error_message("required"))
            return
        try:
            self.data = check_value(self.question, self.data)
        except AnswerError as error:
            raise ValidationError(error_message(error.code, error.params)) from None

    # Helpers for the templates.

    @property
    def answered(self) -> bool:
        return self.data is not UNANSWERED

    def is_dont_know(self) -> bool:
        return self.data is None

    def is_selected(self, value: Any) -> bool:
        data = self.data
        if data is UNANSWERED or data is None:
            return False
        if isinstance(data, list):
            return str(value) in {str(item) for item in data}
        return str(data) == str(value)

    def text_value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is UNANSWERED or self.data is None:
            return ""
        return str(self.data)


def parse_posted(
    question: Question, values: Sequence[str]
) -> tuple[Any, tuple[str, dict[str, Any]] | None]:
    """The answer value from posted strings, or an error `(code, params)`."""
    values = [value.strip() for value in values if value.strip() != ""]
    if not values:
        return UNANSWERED, None
    if DONT_KNOW in values:
        if len(values) > 1 and question.type != "number":
            return UNANSWERED, ("dont_know_with_others", {})
        return None, None
    kind = question.type
    if kind in ("multi_choice", "ranking"):
        return list(values), None
    if len(values) > 1:
        return UNANSWERED, ("wrong_type", {})
    value = values[0]
    if kind == "scale":
        found = next(
            (item.value for item in question.scale.values if str(item.value) == value), None
        )
        return (found, None) if found is not None else (UNANSWERED, ("not_in_scale", {}))
    if kind == "number":
        return parse_number(value, question.integer)
    return value, None


_NUMBER = re.compile(r"^[+-]?[0-9]+([.,][0-9]+)?$")


def parse_number(text: str, integer: bool) -> tuple[Any, tuple[str, dict] | None]:
    """A number typed in French or English notation (« 3,5 », « 3.5 », « 1 200 »)."""
    compact = re.sub(r"[\s\u00a0\u202f]", "", text)
    if not _NUMBER.fullmatch(compact) or len(compact) > 30:
        return UNANSWERED, ("not_a_number", {})
    compact = compact.replace(",", ".")
    if "." not in compact:
        return int(compact), None
    if integer:
        return UNANSWERED, ("not_integer", {})
    return float(compact), None


class TerritoryField(AnswerField):
    """The respondent's commune, found by name or postal code.

    Two inputs: `<name>_q`, a search text, and `<name>`, radio buttons with the chosen territory
    key. A search text takes precedence; a search with several results lists them to choose from.
    """

    def __init__(
        self,
        question: Question,
        language: str,
        find: Callable[[str], list[Match]],
        describe: Callable[[str], Match | None],
        search_args: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(question, language, **kwargs)
        self.find = find
        self.describe = describe
        #: Query arguments of the API search the page's script uses for suggestions.
        self.search_args = search_args or {}
        self.query = ""
        self.candidates: list[Match] = []

    def process(self, formdata, data=UNANSWERED, extra_filters=None) -> None:
        super().process(formdata, data, extra_filters)
        if formdata is not None:
            self.query = (formdata.get(self.name + "_q") or "").strip()[:100]

    def pre_validate(self, form: FlaskForm) -> None:
        if self.query:
            self.candidates = self.find(self.query)
            chosen = pick_match(self.query, self.candidates)
            if chosen is not None:
                self.data, self.parse_error = chosen.key, None
                self.candidates = [chosen]
                self.query = ""
            elif not self.candidates:
                raise ValidationError(error_message("territory_none", {"query": self.query}))
            else:
                raise ValidationError(error_message("territory_many", {"query": self.query}))
        super().pre_validate(form)
        if self.data is not UNANSWERED:
            match = self.describe(self.data)
            if match is None:
                raise ValidationError(error_message("unknown_territory"))
            self.candidates = [match]

    def choices(self) -> list[Match]:
        """Territories to show as radio buttons: search results, else the current answer."""
        if self.candidates:
            return self.candidates
        if isinstance(self.data, str):
            match = self.describe(self.data)
            return [match] if match else []
        return []


def pick_match(query: str, candidates: list[Match]) -> Match | None:
    """The one commune a search designates: the only result, or the only exact name."""
    from .services.territories import normalise

    if len(candidates) == 1:
        return candidates[0]
    needle = normalise(query)
    exact = [c for c in candidates if normalise(c.name) == needle]
    return exact[0] if len(exact) == 1 else None


class SectionForm(FlaskForm):
    """The questions of one section; subclasses get one field per question."""

    #: Whether a required question must be answered: yes to move on, not to pause or go back.
    enforce_required = True

    def answer_fields(self) -> list[AnswerField]:
        return [field for field in self if isinstance(field, AnswerField)]

    def answers(self) -> dict[str, Any]:
        """The answers given, `question id → value`, without the unanswered questions."""
        return {
            field.question.id: field.data
            for field in self.answer_fields()
            if field.data is not UNANSWERED
        }


def build_section_form(
    questions: Sequence[Question],
    language: str,
    find_territory: Callable[[str], list[Match]],
    describe_territory: Callable[[str], Match | None],
    territory_search: dict[str, str] | None = None,
) -> type[SectionForm]:
    """A form class with one field per question, named `item_<question id>`."""
    attributes: dict[str, Any] = {}
    for question in questions:
        if question.type == "territory":
            attributes[field_name(question.id)] = TerritoryField(
                question, language, find=find_territory, describe=describe_territory,
                search_args=territory_search,
            )
        else:
            attributes[field_name(question.id)] = AnswerField(question, language)
    return type("QuestionnaireSectionForm", (SectionForm,), attributes)
