"""Deterministic answer sets for whole questionnaires, for the API and for the forms."""

from __future__ import annotations

from questionnaires import Question, Questionnaire, applicable_answers

#: Values given in turn to the items of an axis (None: « ne sait pas »).
AXIS_CYCLE = (4, 3, 2, 3, None, 4, 1, 3)


def answer_for(question: Question, position: int, territory: str):
    """An answer to `question` (its `position` among its kind varies the values)."""
    if question.type == "territory":
        return territory
    if question.type == "scale":
        if question.axis:
            return AXIS_CYCLE[position % len(AXIS_CYCLE)]
        values = [item.value for item in question.scale.values]
        return values[position % len(values)]
    if question.type == "choice":
        if question.id in ("partenariats", "odd_connaissance") or question.options_from == "actors":
            preferred = "oui" if question.id != "acteur" else "entreprise"
            if question.option(preferred):
                return preferred
        return question.options[position % len(question.options)].value
    if question.type == "multi_choice":
        return [option.value for option in question.options[:2]]
    if question.type == "ranking":
        return [option.value for option in question.options[: question.max_choices]]
    if question.type == "number":
        return question.minimum if question.minimum is not None else 1
    if question.type == "text":
        return "Un tiers-lieu ouvert avec la mairie & l'association <Les Amis>."
    raise AssertionError(question.type)


def full_answers(questionnaire: Questionnaire, territory: str = "commune:69123") -> dict:
    """An answer to every question that applies (partnerships: yes, so that every item applies)."""
    answers: dict = {}
    for position, question in enumerate(questionnaire.questions):
        answers[question.id] = answer_for(question, position, territory)
    return applicable_answers(questionnaire, answers)


def as_form(question: Question, value) -> str | list[str]:
    """How a browser posts `value` for `question`."""
    if value is None:
        return "nsp"
    if isinstance(value, list):
        return [str(item) for item in value]
    return str(value)
