"""Template filters and helpers that put data into words in the page's language."""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _

from questionnaires import Questionnaire
from scoring.benchmarks import tenths_above

from .i18n import current_language
from .registry import catalog


def domain_label(domain: str) -> str:
    return catalog().vocabulary.domains[domain].text(current_language())


def local(record, field: str) -> str:
    """`record.<field>_fr` or `record.<field>_en`, by the page's language (French by default)."""
    text = getattr(record, f"{field}_{current_language()}", None)
    return text or getattr(record, f"{field}_fr", "") or ""


def answer_text(questionnaire: Questionnaire, question_id: str, value) -> str:
    """An answer as the respondent saw it: the label of the value or option chosen."""
    question = questionnaire.question(question_id)
    language = current_language()
    if value is None:
        return _("Don't know / no opinion")
    if question is None:
        return str(value)
    values = value if isinstance(value, list) else [value]
    words = []
    for item in values:
        if question.scale is not None and (scale_value := question.scale.find(item)):
            words.append(scale_value.label.text(language))
        elif (option := question.option(item)) is not None:
            words.append(option.label.text(language))
        else:
            words.append(str(item))
    return ", ".join(words)


def init_app(app: Flask) -> None:
    app.add_template_filter(tenths_above, "tenths")
    app.add_template_filter(domain_label, "domain_label")
    app.add_template_global(local, "local")
    app.add_template_global(answer_text, "answer_text")
