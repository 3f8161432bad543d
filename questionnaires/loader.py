"""Read and validate questionnaire definitions, the shared vocabulary and the maturity levels.

Every problem is reported with the file and the place in it (question, section, scale), and a
definition with any problem is refused as a whole: the application does not start with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from .model import (
    ALL_ACTORS,
    KINDS,
    LANGUAGES,
    QUESTION_TYPES,
    Condition,
    Label,
    Option,
    Question,
    Questionnaire,
    Scale,
    ScaleValue,
    Section,
)

PACKAGE_DIR = Path(__file__).resolve().parent
DEFINITIONS_DIR = PACKAGE_DIR / "definitions"
VOCABULARY_FILE = PACKAGE_DIR / "vocabulary.yaml"
LEVELS_FILE = PACKAGE_DIR / "levels.yaml"

SCHEMA_VERSION = 1
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
FILE_NAME = re.compile(r"^(?P<id>[a-z][a-z0-9_]*)-v(?P<version>[0-9]+)\.yaml$")
LEVELS = (1, 2, 3, 4)

QUESTIONNAIRE_KEYS = {
    "schema_version",
    "id",
    "version",
    "actor",
    "kind",
    "title",
    "description",
    "duration_minutes",
    "actor_question",
    "scales",
    "sections",
}
SCALE_KEYS = {"values", "dont_know", "scoring"}
SCALE_VALUE_KEYS = {"value", "score", "label"}
SECTION_KEYS = {"id", "title", "intro", "questions"}
QUESTION_KEYS = {
    "id",
    "type",
    "label",
    "help",
    "scale",
    "options",
    "options_from",
    "axis",
    "domain",
    "weight",
    "reversed",
    "show_if",
    "dont_know",
    "max_choices",
    "min",
    "max",
    "integer",
    "unit",
    "max_length",
    "required",
}
OPTION_KEYS = {"value", "label"}
CONDITION_KEYS = {"question", "in", "not_in"}
OPTION_TYPES = ("choice", "multi_choice", "ranking")


class DefinitionError(ValueError):
    """A definition file that cannot be used; `problems` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


# --------------------------------------------------------------------------- YAML reading


class _StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping (PyYAML keeps the last)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                "a key must be a plain value, not a list or mapping",
                key_node.start_mark,
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} given twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as stream:
            return yaml.load(stream, Loader=_StrictLoader)
    except OSError as error:
        raise DefinitionError([f"{path}: cannot be read ({error.strerror})"]) from error
    except yaml.YAMLError as error:
        raise DefinitionError([f"{path}: not valid YAML: {error}"]) from error


# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Dimension:
    id: str
    label: Label
    domains: tuple[str, ...]


@dataclass(frozen=True)
class PracticeFamily:
    id: str
    label: Label
    practices: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    """The identifiers of the product (actors, axes, domains, practices) with their labels."""

    actors: Mapping[str, Label]
    actor_plurals: Mapping[str, Label]
    axes: Mapping[str, Label]
    axis_taglines: Mapping[str, Label]
    dimensions: tuple[Dimension, ...]
    domains: Mapping[str, Label]
    practice_families: tuple[PracticeFamily, ...]
    practices: Mapping[str, Label]
    practice_descriptions: Mapping[str, Label]
    territory_levels: Mapping[str, Label]

    def option_list(self, name: str) -> tuple[Option, ...] | None:
        """The options of a shared list (`options_from`), or None for an unknown list."""
        source = {
            "actors": self.actors,
            "domains": self.domains,
            "practices": self.practices,
        }.get(name)
        if source is None:
            return None
        return tuple(Option(value=key, label=label) for key, label in source.items())


class _Problems:
    """Collects problems, each prefixed with the file and the place it was found."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, where: str, problem: str) -> None:
        prefix = f"{self.source}: {where}: " if where else f"{self.source}: "
        self.items.append(prefix + problem)

    def raise_if_any(self) -> None:
        if self.items:
            raise DefinitionError(self.items)


def _label(raw: Any, where: str, what: str, problems: _Problems, optional: bool = False):
    if raw is None and optional:
        return None
    if not isinstance(raw, Mapping):
        problems.add(where, f"{what} must give a text per language ({', '.join(LANGUAGES)})")
        return None
    for language in LANGUAGES:
        text = raw.get(language)
        if not isinstance(text, str) or not text.strip():
            problems.add(where, f"missing translation: {what} has no '{language}' text")
    extra = set(raw) - set(LANGUAGES)
    if extra:
        problems.add(where, f"{what} has unknown languages: {', '.join(sorted(map(str, extra)))}")
    if all(isinstance(raw.get(lang), str) and raw.get(lang).strip() for lang in LANGUAGES):
        return Label(fr=raw["fr"].strip(), en=raw["en"].strip())
    return None


def _check_keys(raw: Mapping, allowed: set[str], where: str, problems: _Problems) -> None:
    for key in raw:
        if key not in allowed:
            problems.add(where, f"unknown key '{key}' (allowed: {', '.join(sorted(allowed))})")


def load_vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    raw = read_yaml(path)
    problems = _Problems(str(path))
    if not isinstance(raw, Mapping):
        problems.add("", "must be a mapping")
        problems.raise_if_any()

    def labels(section: str) -> dict[str, Label]:
        out = {}
        for key, value in (raw.get(section) or {}).items():
            text = value.get("label", value) if isinstance(value, Mapping) else value
            label = _label(text, f"{section} '{key}'", "label", problems)
            if label:
                out[key] = label
        return out

    def sub_labels(section: str, field: str) -> dict[str, Label]:
        out = {}
        for key, value in (raw.get(section) or {}).items():
            label = _label(value.get(field), f"{section} '{key}'", field, problems)
            if label:
                out[key] = label
        return out

    domains = labels("domains")
    practices = labels("practices")
    dimensions = tuple(
        Dimension(
            id=key,
            label=_label(value.get("label"), f"dimension '{key}'", "label", problems),
            domains=tuple(value.get("domains") or ()),
        )
        for key, value in (raw.get("dimensions") or {}).items()
    )
    families = tuple(
        PracticeFamily(
            id=key,
            label=_label(value.get("label"), f"practice family '{key}'", "label", problems),
            practices=tuple(value.get("practices") or ()),
        )
        for key, value in (raw.get("practice_families") or {}).items()
    )
    in_dimensions = [d for dimension in dimensions for d in dimension.domains]
    if sorted(in_dimensions) != sorted(domains):
        problems.add("dimensions", "every domain must belong to exactly one dimension")
    in_families = [p for family in families for p in family.practices]
    if sorted(in_families) != sorted(practices):
        problems.add("practice_families", "every practice must belong to exactly one family")
    vocabulary = Vocabulary(
        actors=MappingProxyType(labels("actors")),
        actor_plurals=MappingProxyType(sub_labels("actors", "plural")),
        axes=MappingProxyType(labels("axes")),
        axis_taglines=MappingProxyType(sub_labels("axes", "tagline")),
        dimensions=dimensions,
        domains=MappingProxyType(domains),
        practice_families=families,
        practices=MappingProxyType(practices),
        practice_descriptions=MappingProxyType(sub_labels("practices", "description")),
        territory_levels=MappingProxyType(labels("territory_levels")),
    )
    problems.raise_if_any()
    return vocabulary


# --------------------------------------------------------------------------- maturity levels


@dataclass(frozen=True)
class Levels:
    """Names of the four maturity levels and their description per axis and actor type."""

    names: Mapping[int, Label]
    summaries: Mapping[int, Label]
    descriptions: Mapping[tuple[str, str, int], Label]

    def description(self, axis: str, actor: str, level: int) -> Label:
        return self.descriptions[(axis, actor, level)]


def load_levels(vocabulary: Vocabulary, path: Path = LEVELS_FILE) -> Levels:
    raw = read_yaml(path)
    problems = _Problems(str(path))
    if not isinstance(raw, Mapping):
        problems.add("", "must be a mapping")
        problems.raise_if_any()
    names: dict[int, Label] = {}
    summaries: dict[int, Label] = {}
    for level in LEVELS:
        entry = (raw.get("levels") or {}).get(level)
        if not isinstance(entry, Mapping):
            problems.add(f"level {level}", "is missing")
            continue
        names[level] = _label(entry.get("name"), f"level {level}", "name", problems)
        summaries[level] = _label(entry.get("summary"), f"level {level}", "summary", problems)
    descriptions: dict[tuple[str, str, int], Label] = {}
    raw_descriptions = raw.get("descriptions") or {}
    for axis in vocabulary.axes:
        for actor in vocabulary.actors:
            for level in LEVELS:
                where = f"descriptions {axis} / {actor} / level {level}"
                text = ((raw_descriptions.get(axis) or {}).get(actor) or {}).get(level)
                if text is None:
                    problems.add(where, "is missing")
                    continue
                label = _label(text, where, "description", problems)
                if label:
                    descriptions[(axis, actor, level)] = label
    for axis in raw_descriptions:
        if axis not in vocabulary.axes:
            problems.add(f"descriptions {axis}", f"axis '{axis}' is not in the vocabulary")
    problems.raise_if_any()
    return Levels(
        MappingProxyType(names), MappingProxyType(summaries), MappingProxyType(descriptions)
    )


# --------------------------------------------------------------------------- questionnaires


def _positive_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _parse_scales(raw: Any, problems: _Problems) -> dict[str, Scale]:
    scales: dict[str, Scale] = {}
    if not isinstance(raw, Mapping) or not raw:
        if raw is not None:
            problems.add("scales", "must be a mapping of scale ids to scales")
        return scales
    for scale_id, body in raw.items():
        where = f"scale '{scale_id}'"
        if not isinstance(scale_id, str) or not IDENTIFIER.fullmatch(scale_id):
            problems.add(where, "scale id must be lower-case letters, digits and _")
        if not isinstance(body, Mapping):
            problems.add(where, "must be a mapping with 'values'")
            continue
        _check_keys(body, SCALE_KEYS, where, problems)
        values: list[ScaleValue] = []
        raw_values = body.get("values")
        if not isinstance(raw_values, list) or len(raw_values) < 2:
            problems.add(where, "needs a list of at least two values")
            raw_values = []
        scoring = body.get("scoring")
        linear = scoring == "linear"
        if scoring is not None and not linear:
            problems.add(where, "scoring must be 'linear' (or give a score with each value)")
        numbers = [item.get("value") for item in raw_values if isinstance(item, Mapping)]
        if linear and not all(isinstance(v, int) and not isinstance(v, bool) for v in numbers):
            problems.add(where, "scoring: linear needs whole-number values")
            linear = False
            raw_values = []
        low, high = (min(numbers), max(numbers)) if linear and numbers else (0, 0)
        seen: set[Any] = set()
        for position, item in enumerate(raw_values, start=1):
            item_where = f"{where}, value {position}"
            if not isinstance(item, Mapping):
                problems.add(item_where, "must be a mapping with value, score and label")
                continue
            _check_keys(item, SCALE_VALUE_KEYS, item_where, problems)
            value = item.get("value")
            if isinstance(value, bool) or not (
                isinstance(value, int) or (isinstance(value, str) and IDENTIFIER.fullmatch(value))
            ):
                problems.add(item_where, "value must be a whole number or an identifier")
                continue
            if value in seen:
                problems.add(item_where, f"duplicate value {value!r}")
            seen.add(value)
            score = item.get("score")
            if linear:
                if score is not None:
                    problems.add(item_where, "give no score with scoring: linear")
                score = (value - low) / (high - low) * 100 if high > low else 0.0
            elif (
                isinstance(score, bool)
                or not isinstance(score, int | float)
                or not 0 <= score <= 100
            ):
                problems.add(item_where, "score must be a number from 0 to 100")
                continue
            label = _label(item.get("label"), item_where, "label", problems)
            if label:
                values.append(ScaleValue(value=value, score=float(score), label=label))
        dont_know = body.get("dont_know", True)
        if not isinstance(dont_know, bool):
            problems.add(where, "dont_know must be true or false")
        if isinstance(scale_id, str):
            scales[scale_id] = Scale(id=scale_id, values=tuple(values), dont_know=dont_know is True)
    return scales


def _parse_options(raw: Mapping, where: str, vocabulary: Vocabulary, problems: _Problems):
    options_from = raw.get("options_from")
    raw_options = raw.get("options")
    if options_from is not None and raw_options is not None:
        problems.add(where, "give either options or options_from, not both")
        return (), None
    if options_from is not None:
        options = vocabulary.option_list(str(options_from))
        if options is None:
            problems.add(
                where, f"options_from '{options_from}' is not one of actors, domains, practices"
            )
            return (), None
        return options, str(options_from)
    if not isinstance(raw_options, list) or len(raw_options) < 2:
        problems.add(where, "needs options (a list of at least two) or options_from")
        return (), None
    options: list[Option] = []
    seen: set[str] = set()
    for position, item in enumerate(raw_options, start=1):
        item_where = f"{where}, option {position}"
        if not isinstance(item, Mapping):
            problems.add(item_where, "must be a mapping with value and label")
            continue
        _check_keys(item, OPTION_KEYS, item_where, problems)
        value = item.get("value")
        if not isinstance(value, str) or not IDENTIFIER.fullmatch(value):
            problems.add(
                item_where,
                "value must be an identifier (lower-case letters, digits, _); "
                "quote yes/no/on/off in YAML",
            )
            continue
        if value in seen:
            problems.add(item_where, f"duplicate option value '{value}'")
        seen.add(value)
        label = _label(item.get("label"), item_where, "label", problems)
        if label:
            options.append(Option(value=value, label=label))
    return tuple(options), None


def _parse_condition(
    raw: Any,
    where: str,
    earlier: Mapping[str, Question | None],
    all_ids: set[str],
    problems: _Problems,
):
    if not isinstance(raw, Mapping):
        problems.add(
            where,
            "show_if must be {question: <id>, in: [values]} or {question: <id>, not_in: [values]}",
        )
        return None
    _check_keys(raw, CONDITION_KEYS, where, problems)
    target = raw.get("question")
    if ("in" in raw) == ("not_in" in raw):
        problems.add(where, "show_if needs exactly one of 'in' and 'not_in'")
        return None
    negate = "not_in" in raw
    values = raw.get("not_in" if negate else "in")
    if not isinstance(values, list) or not values:
        problems.add(where, "show_if values must be a non-empty list")
        return None
    if not isinstance(target, str):
        problems.add(where, "show_if question must be a question id")
        return None
    if target not in earlier:
        if target in all_ids:
            problems.add(
                where, f"show_if refers to question '{target}', which does not come before this one"
            )
        else:
            problems.add(where, f"show_if refers to unknown question '{target}'")
        return None
    referenced = earlier[target]
    if referenced is None:  # already reported as a problem of its own
        return None
    accepted = referenced.accepted_values()
    if not accepted:
        problems.add(
            where,
            f"show_if refers to question '{target}' of type {referenced.type}, "
            "which has no values to test",
        )
        return None
    for value in values:
        if value not in accepted or isinstance(value, bool):
            problems.add(where, f"show_if value {value!r} is not a value of question '{target}'")
    return Condition(question=target, values=tuple(values), negate=negate)


def _parse_question(
    raw: Any,
    section_id: str,
    position: int,
    scales: Mapping[str, Scale],
    earlier: dict[str, Question | None],
    all_ids: set[str],
    vocabulary: Vocabulary,
    problems: _Problems,
) -> Question | None:
    if not isinstance(raw, Mapping):
        problems.add(f"section '{section_id}', question {position}", "must be a mapping")
        return None
    question_id = raw.get("id")
    where = (
        f"question '{question_id}'"
        if isinstance(question_id, str)
        else f"section '{section_id}', question {position}"
    )
    before = len(problems.items)
    if not isinstance(question_id, str) or not IDENTIFIER.fullmatch(question_id):
        problems.add(where, "id must be lower-case letters, digits and _ (starting with a letter)")
        return None
    if question_id in earlier:
        problems.add(where, f"duplicate question id '{question_id}'")
        return None
    _check_keys(raw, QUESTION_KEYS, where, problems)
    kind = raw.get("type")
    if kind not in QUESTION_TYPES:
        problems.add(where, f"type {kind!r} is not one of {', '.join(QUESTION_TYPES)}")
        return None
    label = _label(raw.get("label"), where, "label", problems)
    help_text = _label(raw.get("help"), where, "help", problems, optional=True)

    def only_for(key: str, types: Iterable[str]) -> None:
        if key in raw and kind not in types:
            problems.add(where, f"'{key}' does not apply to a {kind} question")

    only_for("scale", ["scale"])
    only_for("options", OPTION_TYPES)
    only_for("options_from", OPTION_TYPES)
    only_for("axis", ["scale"])
    only_for("reversed", ["scale"])
    only_for("weight", ["scale"])
    only_for("max_choices", ["ranking"])
    only_for("min", ["number"])
    only_for("max", ["number"])
    only_for("integer", ["number"])
    only_for("unit", ["number"])
    only_for("max_length", ["text"])
    only_for("dont_know", ["choice", "multi_choice", "number"])

    scale = None
    if kind == "scale":
        scale_id = raw.get("scale")
        scale = scales.get(scale_id) if isinstance(scale_id, str) else None
        if scale is None:
            problems.add(
                where, f"unknown scale {scale_id!r} (defined: {', '.join(scales) or 'none'})"
            )
    options: tuple[Option, ...] = ()
    options_from = None
    if kind in OPTION_TYPES:
        options, options_from = _parse_options(raw, where, vocabulary, problems)

    axis = raw.get("axis")
    if axis is not None and (not isinstance(axis, str) or axis not in vocabulary.axes):
        problems.add(where, f"axis '{axis}' is not one of {', '.join(vocabulary.axes)}")
    domain = raw.get("domain")
    if domain is not None and (not isinstance(domain, str) or domain not in vocabulary.domains):
        problems.add(where, f"domain '{domain}' is not one of the 16 domains of the vocabulary")
    weight = raw.get("weight", 1)
    if not _positive_number(weight):
        problems.add(where, "weight must be a positive number")
    reversed_ = raw.get("reversed", False)
    if not isinstance(reversed_, bool):
        problems.add(where, "reversed must be true or false")
    elif reversed_ and axis is None:
        problems.add(where, "reversed only applies to a question with an axis")
    dont_know = raw.get("dont_know", False)
    if not isinstance(dont_know, bool):
        problems.add(where, "dont_know must be true or false")
    required = raw.get("required", False)
    if not isinstance(required, bool):
        problems.add(where, "required must be true or false")

    max_choices = raw.get("max_choices")
    if kind == "ranking":
        if not isinstance(max_choices, int) or isinstance(max_choices, bool) or max_choices < 1:
            problems.add(where, "a ranking question needs max_choices, a whole number ≥ 1")
        elif options and max_choices > len(options):
            problems.add(
                where, f"max_choices {max_choices} is more than the {len(options)} options"
            )
    minimum, maximum = raw.get("min"), raw.get("max")
    for name, bound in (("min", minimum), ("max", maximum)):
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int | float)):
            problems.add(where, f"{name} must be a number")
    if isinstance(minimum, int | float) and isinstance(maximum, int | float) and minimum > maximum:
        problems.add(where, "min is greater than max")
    integer = raw.get("integer", False)
    if not isinstance(integer, bool):
        problems.add(where, "integer must be true or false")
    unit = _label(raw.get("unit"), where, "unit", problems, optional=True)
    max_length = raw.get("max_length", 2000)
    if (
        not isinstance(max_length, int)
        or isinstance(max_length, bool)
        or not 1 <= max_length <= 10000
    ):
        problems.add(where, "max_length must be a whole number from 1 to 10000")

    condition = None
    if "show_if" in raw:
        condition = _parse_condition(raw["show_if"], where, earlier, all_ids, problems)

    if len(problems.items) > before or label is None:
        earlier[question_id] = None
        return None
    return Question(
        id=question_id,
        type=kind,
        label=label,
        section=section_id,
        help=help_text,
        scale=scale,
        options=options,
        options_from=options_from,
        axis=axis,
        domain=domain,
        weight=float(weight),
        reversed=reversed_,
        show_if=condition,
        dont_know=dont_know,
        max_choices=max_choices if kind == "ranking" else None,
        minimum=minimum,
        maximum=maximum,
        integer=integer,
        unit=unit,
        max_length=max_length,
        required=required,
    )


def parse_questionnaire(raw: Any, source: str, vocabulary: Vocabulary) -> Questionnaire:
    """Build a questionnaire from parsed YAML, or raise DefinitionError listing every problem."""
    problems = _Problems(source)
    if not isinstance(raw, Mapping):
        problems.add("", "must be a mapping (id, version, actor, kind, title, scales, sections)")
        problems.raise_if_any()
    _check_keys(raw, QUESTIONNAIRE_KEYS, "", problems)
    if raw.get("schema_version") != SCHEMA_VERSION:
        problems.add("schema_version", f"must be {SCHEMA_VERSION}")
    questionnaire_id = raw.get("id")
    if not isinstance(questionnaire_id, str) or not IDENTIFIER.fullmatch(questionnaire_id):
        problems.add("id", "must be lower-case letters, digits and _ (starting with a letter)")
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.add("version", "must be a whole number ≥ 1")
    actor = raw.get("actor")
    if not isinstance(actor, str) or (actor not in vocabulary.actors and actor != ALL_ACTORS):
        problems.add(
            "actor", f"{actor!r} is not one of {', '.join(vocabulary.actors)}, {ALL_ACTORS}"
        )
    kind = raw.get("kind")
    if kind not in KINDS:
        problems.add("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    title = _label(raw.get("title"), "title", "title", problems)
    description = _label(raw.get("description"), "description", "description", problems)
    duration = raw.get("duration_minutes")
    if not isinstance(duration, int) or isinstance(duration, bool) or not 1 <= duration <= 60:
        problems.add("duration_minutes", "must be a whole number of minutes from 1 to 60")
    scales = _parse_scales(raw.get("scales"), problems)

    sections: list[Section] = []
    earlier: dict[str, Question | None] = {}
    section_ids: set[str] = set()
    raw_sections = raw.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        problems.add("sections", "must be a non-empty list")
        raw_sections = []
    all_ids = {
        question.get("id")
        for section in raw_sections
        if isinstance(section, Mapping) and isinstance(section.get("questions"), list)
        for question in section["questions"]
        if isinstance(question, Mapping) and isinstance(question.get("id"), str)
    }
    for position, raw_section in enumerate(raw_sections, start=1):
        if not isinstance(raw_section, Mapping):
            problems.add(f"section {position}", "must be a mapping with id, title, questions")
            continue
        section_id = raw_section.get("id")
        where = f"section '{section_id}'"
        if not isinstance(section_id, str) or not IDENTIFIER.fullmatch(section_id):
            problems.add(f"section {position}", "id must be lower-case letters, digits and _")
            continue
        if section_id in section_ids:
            problems.add(where, f"duplicate section id '{section_id}'")
        section_ids.add(section_id)
        _check_keys(raw_section, SECTION_KEYS, where, problems)
        section_title = _label(raw_section.get("title"), where, "title", problems)
        intro = _label(raw_section.get("intro"), where, "intro", problems, optional=True)
        raw_questions = raw_section.get("questions")
        if not isinstance(raw_questions, list) or not raw_questions:
            problems.add(where, "needs a non-empty list of questions")
            raw_questions = []
        questions = []
        for q_position, raw_question in enumerate(raw_questions, start=1):
            question = _parse_question(
                raw_question, section_id, q_position, scales, earlier, all_ids, vocabulary, problems
            )
            if question is not None:
                earlier[question.id] = question
                questions.append(question)
        sections.append(
            Section(id=section_id, title=section_title, intro=intro, questions=tuple(questions))
        )

    questions = [q for q in earlier.values() if q is not None]
    territory_questions = [q.id for q in questions if q.type == "territory"]
    if len(territory_questions) > 1:
        problems.add("", f"at most one territory question (found {', '.join(territory_questions)})")
    actor_question = raw.get("actor_question")
    if actor == ALL_ACTORS:
        target = earlier.get(actor_question) if isinstance(actor_question, str) else None
        if target is None or target.type != "choice" or target.options_from != "actors":
            problems.add(
                "actor_question",
                "a questionnaire for all actors must name the choice "
                "question (options_from: actors) giving the actor type",
            )
    elif actor_question is not None:
        problems.add("actor_question", f"only applies to actor '{ALL_ACTORS}'")

    problems.raise_if_any()
    return Questionnaire(
        id=questionnaire_id,
        version=version,
        actor=actor,
        kind=kind,
        title=title,
        description=description,
        duration_minutes=duration,
        scales=MappingProxyType(scales),
        sections=tuple(sections),
        actor_question=actor_question,
        source=source,
    )


def load_questionnaire(path: Path, vocabulary: Vocabulary) -> Questionnaire:
    """Read one definition file; its name must be `<id>-v<version>.yaml`."""
    questionnaire = parse_questionnaire(read_yaml(path), str(path), vocabulary)
    match = FILE_NAME.fullmatch(path.name)
    expected = f"{questionnaire.id}-v{questionnaire.version}.yaml"
    if match is None or path.name != expected:
        raise DefinitionError(
            [f"{path}: file name must be {expected} (the id and version given in the file)"]
        )
    return questionnaire


class Catalog:
    """Every questionnaire version, the vocabulary and the levels, loaded and validated once."""

    def __init__(
        self, questionnaires: Iterable[Questionnaire], vocabulary: Vocabulary, levels: Levels
    ) -> None:
        self.vocabulary = vocabulary
        self.levels = levels
        self._versions: dict[tuple[str, int], Questionnaire] = {}
        for questionnaire in questionnaires:
            if questionnaire.key in self._versions:
                other = self._versions[questionnaire.key]
                raise DefinitionError(
                    [
                        f"{questionnaire.source}: questionnaire "
                        f"'{questionnaire.id}' version {questionnaire.version} is "
                        f"also defined in {other.source}"
                    ]
                )
            self._versions[questionnaire.key] = questionnaire
        self._latest: dict[str, Questionnaire] = {}
        for questionnaire in sorted(self._versions.values(), key=lambda q: q.version):
            self._latest[questionnaire.id] = questionnaire

    def get(self, questionnaire_id: str, version: int | None = None) -> Questionnaire | None:
        """A given version, or the latest version when `version` is None."""
        if version is None:
            return self._latest.get(questionnaire_id)
        return self._versions.get((questionnaire_id, version))

    def latest(self, kind: str | None = None) -> list[Questionnaire]:
        """The latest version of each questionnaire, in the vocabulary's actor order."""
        order = {actor: index for index, actor in enumerate(self.vocabulary.actors)}
        found = [q for q in self._latest.values() if kind is None or q.kind == kind]
        return sorted(found, key=lambda q: (KINDS.index(q.kind), order.get(q.actor, 99), q.id))

    def versions(self) -> list[Questionnaire]:
        return sorted(self._versions.values(), key=lambda q: q.key)


def load_catalog(
    directory: Path = DEFINITIONS_DIR,
    vocabulary_file: Path = VOCABULARY_FILE,
    levels_file: Path = LEVELS_FILE,
) -> Catalog:
    """Load and validate every `*.yaml` definition in `directory`.

    Raises DefinitionError listing the problems of every bad file.
    """
    vocabulary = load_vocabulary(vocabulary_file)
    levels = load_levels(vocabulary, levels_file)
    questionnaires: list[Questionnaire] = []
    problems: list[str] = []
    paths = sorted(Path(directory).glob("*.yaml"))
    if not paths:
        raise DefinitionError([f"{directory}: no questionnaire definition (*.yaml) found"])
    for path in paths:
        try:
            questionnaires.append(load_questionnaire(path, vocabulary))
        except DefinitionError as error:
            problems.extend(error.problems)
    if problems:
        raise DefinitionError(problems)
    return Catalog(questionnaires, vocabulary, levels)
