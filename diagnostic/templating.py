"""Template filters and helpers that put data into words in the page's language."""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

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


def territory_label(match) -> str:
    """How a found territory is listed: « Saint-Denis (974 · La Réunion) — 97400, 97417 »,
    « Métropole de Lyon (intercommunalité) »."""
    level = match.key.split(":", 1)[0]
    if level == "commune":
        where = match.departement_code or ""
        if match.departement_name:
            where += f" · {match.departement_name}"
        codes = ", ".join(match.postal_codes[:3]) + ("…" if len(match.postal_codes) > 3 else "")
        return f"{match.name} ({where})" + (f" — {codes}" if codes else "")
    level_label = catalog().vocabulary.territory_levels[level].text(current_language()).lower()
    if level == "departement":
        return f"{match.name} ({match.key.split(':', 1)[1]}, {level_label})"
    return f"{match.name} ({level_label})"


def _shared_question(question_id: str):
    for questionnaire in catalog().latest():
        question = questionnaire.question(question_id)
        if question is not None:
            return question
    return None


def question_label(question_id: str) -> str:
    """The wording of a question several questionnaires share (the first one's)."""
    question = _shared_question(question_id)
    return question.label.text(current_language()) if question else question_id


def option_label(question_id: str, value: str) -> str:
    """The label of an answer code of a shared question (`nsp`: « ne sait pas »)."""
    if value == "nsp":
        return _("Don't know / no opinion")
    question = _shared_question(question_id)
    if question is None:
        return value
    return answer_text_for(question, value)


def answer_text_for(question, value) -> str:
    language = current_language()
    if question.scale is not None:
        found = next((item for item in question.scale.values if str(item.value) == str(value)),
                     None)
        if found is not None:
            return found.label.text(language)
    option = question.option(value)
    return option.label.text(language) if option else str(value)


def class_labels() -> dict[str, str]:
    """The readings of perceived against objective fragility."""
    return {
        "shared_priority": _("Shared priority"),
        "blind_spot": _("Blind spot"),
        "perceived_only": _("Perceived without objective signal"),
        "not_priority": _("Not a priority"),
        "unknown": _("No comparison"),
        "suppressed": _("Not shown (too few responses)"),
    }


PROFILE_LABELS = {
    "population": _l("Population"),
    "superficie_km2": _l("Area"),
    "densite_population_hab_km2": _l("Population density"),
    "share_0_19": _l("Share aged 0 to 19"),
    "share_20_59": _l("Share aged 20 to 59"),
    "share_60_74": _l("Share aged 60 to 74"),
    "share_75_plus": _l("Share aged 75 and over"),
}


def profile_label(key: str) -> str:
    return str(PROFILE_LABELS.get(key, key))


def init_app(app: Flask) -> None:
    app.add_template_filter(tenths_above, "tenths")
    app.add_template_filter(domain_label, "domain_label")
    app.add_template_filter(territory_label, "territory_label")
    app.add_template_global(local, "local")
    app.add_template_global(answer_text, "answer_text")
    app.add_template_global(question_label, "question_label")
    app.add_template_global(class_labels, "class_labels_for")
    app.add_template_global(profile_label, "profile_label")
    app.add_template_global(option_label, "option_label")
