"""The loader refuses a bad definition with a message naming the file, the place and the problem."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from questionnaires.loader import (
    DefinitionError,
    load_catalog,
    load_questionnaire,
    load_vocabulary,
)
from questionnaires.model import Condition, Label, Option, Question, Questionnaire, Scale, Section

ROOT = Path(__file__).resolve().parents[2]


def label(fr: str, en: str) -> dict[str, str]:
    return {"fr": fr, "en": en}


def minimal() -> dict:
    """A small valid definition: every test below breaks it in one place."""
    return {
        "schema_version": 1,
        "id": "essai",
        "version": 1,
        "actor": "entreprise",
        "kind": "full",
        "duration_minutes": 10,
        "title": label("Essai", "Trial"),
        "description": label("Un questionnaire d'essai", "A trial questionnaire"),
        "scales": {
            "accord": {
                "dont_know": True,
                "scoring": "linear",
                "values": [
                    {"value": 4, "label": label("Tout à fait d'accord", "Strongly agree")},
                    {"value": 3, "label": label("Plutôt d'accord", "Somewhat agree")},
                    {"value": 2, "label": label("Plutôt pas d'accord", "Somewhat disagree")},
                    {"value": 1, "label": label("Pas du tout d'accord", "Strongly disagree")},
                ],
            },
            "utilite": {
                "dont_know": False,
                "values": [
                    {"value": "forte", "score": 100, "label": label("Forte", "High")},
                    {"value": "faible", "score": 0, "label": label("Faible", "Low")},
                ],
            },
        },
        "sections": [
            {
                "id": "profil",
                "title": label("Votre profil", "Your profile"),
                "questions": [
                    {
                        "id": "territoire",
                        "type": "territory",
                        "required": True,
                        "label": label("Votre commune ?", "Your municipality?"),
                    },
                    {
                        "id": "partenariats",
                        "type": "choice",
                        "dont_know": True,
                        "label": label("Des partenariats ?", "Any partnerships?"),
                        "options": [
                            {"value": "oui", "label": label("Oui", "Yes")},
                            {"value": "non", "label": label("Non", "No")},
                        ],
                    },
                ],
            },
            {
                "id": "confiance",
                "title": label("Confiance", "Trust"),
                "questions": [
                    {
                        "id": "conf_a",
                        "type": "scale",
                        "scale": "accord",
                        "axis": "confiance",
                        "label": label("Je fais confiance.", "I trust."),
                    },
                    {
                        "id": "conf_b",
                        "type": "scale",
                        "scale": "accord",
                        "axis": "confiance",
                        "reversed": True,
                        "weight": 2,
                        "show_if": {"question": "partenariats", "in": ["oui"]},
                        "label": label("Je me méfie.", "I am wary."),
                    },
                    {
                        "id": "priorites",
                        "type": "ranking",
                        "max_choices": 3,
                        "options_from": "domains",
                        "label": label("Vos priorités ?", "Your priorities?"),
                    },
                ],
            },
        ],
    }


def question(definition: dict, question_id: str) -> dict:
    for section in definition["sections"]:
        for item in section["questions"]:
            if item["id"] == question_id:
                return item
    raise KeyError(question_id)


def write_definition(
    directory: Path,
    mutate: Callable[[dict], object] | None = None,
    name: str | None = None,
    replace: tuple[str, str] | None = None,
) -> Path:
    """Write `minimal()`, changed by `mutate`, to `<id>-v<version>.yaml` (or `name`) in `directory`.

    `replace` substitutes a piece of the YAML text, for what a dict cannot express.
    """
    definition = minimal()
    if mutate is not None:
        mutate(definition)
    text = yaml.safe_dump(definition, allow_unicode=True, sort_keys=False)
    if replace is not None:
        assert replace[0] in text
        text = text.replace(replace[0], replace[1])
    path = directory / (name or f"{definition['id']}-v{definition['version']}.yaml")
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        load_questionnaire(path, load_vocabulary())
    return caught.value


# --------------------------------------------------------------------------- a valid file


def test_minimal_definition_loads_into_dataclasses(tmp_path):
    path = write_definition(tmp_path)
    questionnaire = load_questionnaire(path, load_vocabulary())

    assert isinstance(questionnaire, Questionnaire)
    assert questionnaire.key == ("essai", 1)
    assert questionnaire.actor == "entreprise"
    assert questionnaire.kind == "full"
    assert questionnaire.duration_minutes == 10
    assert questionnaire.title == Label(fr="Essai", en="Trial")
    assert questionnaire.source == str(path)
    assert [section.id for section in questionnaire.sections] == ["profil", "confiance"]
    assert all(isinstance(section, Section) for section in questionnaire.sections)
    assert [q.id for q in questionnaire.questions] == [
        "territoire",
        "partenariats",
        "conf_a",
        "conf_b",
        "priorites",
    ]
    assert questionnaire.territory_question.id == "territoire"
    assert questionnaire.territory_question.required is True

    accord = questionnaire.scales["accord"]
    assert isinstance(accord, Scale)
    assert accord.dont_know is True
    assert [item.value for item in accord.values] == [4, 3, 2, 1]
    # scoring: linear on 1..4 → (v − 1) / 3 × 100, exactly
    assert [item.score for item in accord.values] == [
        (4 - 1) / 3 * 100,
        (3 - 1) / 3 * 100,
        (2 - 1) / 3 * 100,
        (1 - 1) / 3 * 100,
    ]
    assert [item.score for item in accord.values] == pytest.approx([100, 200 / 3, 100 / 3, 0])
    assert accord.values[0].label == Label(fr="Tout à fait d'accord", en="Strongly agree")

    utilite = questionnaire.scales["utilite"]
    assert utilite.dont_know is False
    assert [(item.value, item.score) for item in utilite.values] == [
        ("forte", 100.0),
        ("faible", 0.0),
    ]

    conf_b = questionnaire.question("conf_b")
    assert isinstance(conf_b, Question)
    assert conf_b.type == "scale"
    assert conf_b.scale is accord
    assert conf_b.axis == "confiance"
    assert conf_b.section == "confiance"
    assert conf_b.weight == 2.0
    assert conf_b.reversed is True
    assert conf_b.show_if == Condition(question="partenariats", values=("oui",), negate=False)
    assert questionnaire.question("conf_a").weight == 1.0
    assert questionnaire.question("conf_a").reversed is False
    assert questionnaire.axis_questions("confiance") == (
        questionnaire.question("conf_a"),
        conf_b,
    )

    partenariats = questionnaire.question("partenariats")
    assert partenariats.options == (
        Option(value="oui", label=Label(fr="Oui", en="Yes")),
        Option(value="non", label=Label(fr="Non", en="No")),
    )
    assert partenariats.dont_know is True
    assert partenariats.offers_dont_know is True

    priorites = questionnaire.question("priorites")
    assert priorites.max_choices == 3
    assert priorites.options_from == "domains"
    assert len(priorites.options) == 16
    assert priorites.options[0] == Option(
        value="education", label=Label(fr="Éducation", en="Education")
    )


# --------------------------------------------------------------------------- refusals


def _set(path: tuple, value) -> Callable[[dict], None]:
    """A mutation setting `definition[...path...] = value`; a str step names a question."""

    def mutate(definition: dict) -> None:
        target = definition
        for step in path[:-1]:
            is_question = isinstance(step, str) and step.startswith("@")
            target = question(definition, step[1:]) if is_question else target[step]
        target[path[-1]] = value

    return mutate


def _drop(question_id: str, key: str) -> Callable[[dict], None]:
    def mutate(definition: dict) -> None:
        del question(definition, question_id)[key]

    return mutate


def _rename(question_id: str, key: str, new_key: str) -> Callable[[dict], None]:
    def mutate(definition: dict) -> None:
        item = question(definition, question_id)
        item[new_key] = item.pop(key)

    return mutate


def _add_question(section: int, item: dict, position: int | None = None) -> Callable[[dict], None]:
    def mutate(definition: dict) -> None:
        questions = definition["sections"][section]["questions"]
        questions.insert(len(questions) if position is None else position, copy.deepcopy(item))

    return mutate


def _choice(question_id: str, **extra) -> dict:
    return {
        "id": question_id,
        "type": "choice",
        "label": label("Une question ?", "A question?"),
        "options": [
            {"value": "oui", "label": label("Oui", "Yes")},
            {"value": "non", "label": label("Non", "No")},
        ],
        **extra,
    }


REFUSALS = {
    "unknown scale": (
        _set(("@conf_a", "scale"), "acord"),
        "question 'conf_a'",
        "unknown scale 'acord' (defined: accord, utilite)",
    ),
    "duplicate question id in one section": (
        _add_question(1, _choice("conf_a")),
        "question 'conf_a'",
        "duplicate question id 'conf_a'",
    ),
    "duplicate question id across sections": (
        _add_question(1, _choice("partenariats")),
        "question 'partenariats'",
        "duplicate question id 'partenariats'",
    ),
    "missing en translation": (
        _set(("@conf_a", "label"), {"fr": "Je fais confiance."}),
        "question 'conf_a'",
        "missing translation: label has no 'en' text",
    ),
    "empty fr translation": (
        _set(("@conf_a", "label"), {"fr": "", "en": "I trust."}),
        "question 'conf_a'",
        "missing translation: label has no 'fr' text",
    ),
    "axis not in the vocabulary": (
        _set(("@conf_a", "axis"), "confidence"),
        "question 'conf_a'",
        "axis 'confidence' is not one of confiance, performance, innovation",
    ),
    "domain not in the vocabulary": (
        _set(("@conf_a", "domain"), "agriculture"),
        "question 'conf_a'",
        "domain 'agriculture' is not one of the 16 domains",
    ),
    "show_if on an unknown question": (
        _set(("@conf_b", "show_if"), {"question": "partenaires", "in": ["oui"]}),
        "question 'conf_b'",
        "show_if refers to unknown question 'partenaires'",
    ),
    "show_if on a later question": (
        _set(("@conf_a", "show_if"), {"question": "conf_b", "in": [4]}),
        "question 'conf_a'",
        "show_if refers to question 'conf_b', which does not come before this one",
    ),
    "show_if on itself": (
        _set(("@conf_a", "show_if"), {"question": "conf_a", "in": [4]}),
        "question 'conf_a'",
        "show_if refers to question 'conf_a', which does not come before this one",
    ),
    "show_if value not a value of the question": (
        _set(("@conf_b", "show_if"), {"question": "partenariats", "in": ["peut_etre"]}),
        "question 'conf_b'",
        "show_if value 'peut_etre' is not a value of question 'partenariats'",
    ),
    "show_if scale value of the wrong type": (
        _set(("@conf_b", "show_if"), {"question": "conf_a", "in": ["4"]}),
        "question 'conf_b'",
        "show_if value '4' is not a value of question 'conf_a'",
    ),
    "show_if with both in and not_in": (
        _set(
            ("@conf_b", "show_if"),
            {"question": "partenariats", "in": ["oui"], "not_in": ["non"]},
        ),
        "question 'conf_b'",
        "show_if needs exactly one of 'in' and 'not_in'",
    ),
    "show_if with neither in nor not_in": (
        _set(("@conf_b", "show_if"), {"question": "partenariats"}),
        "question 'conf_b'",
        "show_if needs exactly one of 'in' and 'not_in'",
    ),
    "unknown key (typo axes)": (
        _rename("conf_a", "axis", "axes"),
        "question 'conf_a'",
        "unknown key 'axes'",
    ),
    "unknown question type": (
        _set(("@conf_a", "type"), "slider"),
        "question 'conf_a'",
        "type 'slider' is not one of scale, choice, multi_choice, ranking, number, text, territory",
    ),
    "reversed on a question without axis": (
        _drop("conf_b", "axis"),
        "question 'conf_b'",
        "reversed only applies to a question with an axis",
    ),
    "axis on a non-scale question": (
        _set(("@partenariats", "axis"), "confiance"),
        "question 'partenariats'",
        "'axis' does not apply to a choice question",
    ),
    "ranking without max_choices": (
        _drop("priorites", "max_choices"),
        "question 'priorites'",
        "a ranking question needs max_choices",
    ),
    "max_choices above the number of options": (
        _set(("@priorites", "max_choices"), 17),
        "question 'priorites'",
        "max_choices 17 is more than the 16 options",
    ),
    "choice without options": (
        _drop("partenariats", "options"),
        "question 'partenariats'",
        "needs options (a list of at least two) or options_from",
    ),
    "duplicate option value": (
        _set(
            ("@partenariats", "options"),
            [
                {"value": "oui", "label": label("Oui", "Yes")},
                {"value": "non", "label": label("Non", "No")},
                {"value": "oui", "label": label("Oui bien sûr", "Yes of course")},
            ],
        ),
        "question 'partenariats', option 3",
        "duplicate option value 'oui'",
    ),
    "options_from an unknown list": (
        _set(("@priorites", "options_from"), "communes"),
        "question 'priorites'",
        "options_from 'communes' is not one of actors, domains, practices",
    ),
    "scale value score outside 0-100": (
        _set(("scales", "utilite", "values", 0, "score"), 120),
        "scale 'utilite', value 1",
        "score must be a number from 0 to 100",
    ),
    "scale value negative score": (
        _set(("scales", "utilite", "values", 1, "score"), -5),
        "scale 'utilite', value 2",
        "score must be a number from 0 to 100",
    ),
    "linear scoring with non-integer values": (
        _set(("scales", "utilite", "scoring"), "linear"),
        "scale 'utilite'",
        "scoring: linear needs whole-number values",
    ),
    "wrong schema_version": (
        _set(("schema_version",), 2),
        "schema_version",
        "must be 1",
    ),
    "unknown actor": (
        _set(("actor",), "chef"),
        "actor",
        "'chef' is not one of citoyen, entreprise, association, elu, all",
    ),
    "unknown kind": (
        _set(("kind",), "court"),
        "kind",
        "'court' is not one of full, atelier",
    ),
    "actor all without actor_question": (
        _set(("actor",), "all"),
        "actor_question",
        "a questionnaire for all actors must name the choice question (options_from: actors)",
    ),
    "two territory questions": (
        _add_question(
            1, {"id": "territoire_2", "type": "territory", "label": label("Où ?", "Where?")}
        ),
        "at most one territory question",
        "(found territoire, territoire_2)",
    ),
}


@pytest.mark.parametrize(
    ("mutate", "place", "problem"), list(REFUSALS.values()), ids=list(REFUSALS)
)
def test_refused_definition_names_file_place_and_problem(tmp_path, mutate, place, problem):
    path = write_definition(tmp_path, mutate)
    error = load_error(path)
    message = str(error)
    assert "essai-v1.yaml" in message
    assert place in message
    assert problem in message
    # The problem sits on one line: `<file>: <place>: <problem>`.
    lines = [line for line in error.problems if problem in line]
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}: ")
    assert place in lines[0]


WRONG_YAML_TYPES = {
    # An item put on two axes, or a domain written as a list: refused, not a crash.
    "axis as a list": (_set(("@conf_a", "axis"), ["confiance", "innovation"]), "question 'conf_a'"),
    "domain as a list": (_set(("@conf_a", "domain"), ["sante"]), "question 'conf_a'"),
    "show_if question as a list": (
        _set(("@conf_b", "show_if"), {"question": ["partenariats"], "in": ["oui"]}),
        "question 'conf_b'",
    ),
    "actor as a list": (_set(("actor",), ["entreprise", "elu"]), "actor"),
}


@pytest.mark.parametrize(
    ("mutate", "place"), list(WRONG_YAML_TYPES.values()), ids=list(WRONG_YAML_TYPES)
)
def test_a_list_where_an_identifier_is_expected_is_refused(tmp_path, mutate, place):
    path = write_definition(tmp_path, mutate)
    message = str(load_error(path))
    assert f"{path}: {place}: " in message


def test_key_given_twice_is_refused(tmp_path):
    text = "schema_version: 1\nid: essai\nversion: 1\nactor: entreprise\nactor: elu\nkind: full\n"
    path = tmp_path / "essai-v1.yaml"
    path.write_text(text, encoding="utf-8")
    message = str(load_error(path))
    assert "essai-v1.yaml" in message
    assert "key 'actor' given twice" in message
    assert "line 5" in message


def test_key_given_twice_in_a_question_is_refused(tmp_path):
    # A second `label:` written in the YAML text of conf_a (PyYAML alone would keep the last).
    path = write_definition(
        tmp_path,
        replace=("  - id: conf_a\n", "  - id: conf_a\n    label: {fr: Doublon, en: Duplicate}\n"),
    )
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("  - id: conf_a")
    labels = [n for n, line in enumerate(lines) if n > start and line == "    label:"]
    # The YAML mark is 1-based and points at the second `label:` key of conf_a.
    second_label_line = labels[0] + 1
    message = str(load_error(path))
    assert "essai-v1.yaml" in message
    assert "key 'label' given twice" in message
    assert f"line {second_label_line}," in message


def test_unquoted_yes_option_value_is_refused(tmp_path):
    # YAML 1.1 reads an unquoted `yes` as the boolean true.
    path = write_definition(tmp_path, replace=("value: oui\n", "value: yes\n"))
    assert "value: yes\n" in path.read_text(encoding="utf-8")
    message = str(load_error(path))
    assert "essai-v1.yaml" in message
    assert "question 'partenariats', option 1" in message
    assert "value must be an identifier" in message
    assert "quote yes/no/on/off in YAML" in message


def test_invalid_yaml_is_refused(tmp_path):
    path = tmp_path / "essai-v1.yaml"
    path.write_text("id: essai\nsections: [\n  - id: profil\n", encoding="utf-8")
    message = str(load_error(path))
    assert message.startswith(f"{path}: not valid YAML")
    assert "essai-v1.yaml" in message


def test_yaml_with_a_list_as_a_key_is_refused(tmp_path):
    # Valid YAML that PyYAML's safe loader refuses ("found unhashable key"): the duplicate-key
    # check must report it like any other YAML problem, not crash.
    path = tmp_path / "essai-v1.yaml"
    path.write_text("id: essai\n? [a, b]\n: 1\n", encoding="utf-8")
    message = str(load_error(path))
    assert message.startswith(f"{path}: not valid YAML")
    assert "line 2" in message


def test_file_name_must_match_id_and_version(tmp_path):
    path = write_definition(tmp_path, name="essai-v2.yaml")
    message = str(load_error(path))
    assert (
        message == f"{path}: file name must be essai-v1.yaml (the id and version given in the file)"
    )


def test_file_name_must_match_id(tmp_path):
    path = write_definition(tmp_path, name="entreprise-v1.yaml")
    message = str(load_error(path))
    assert "entreprise-v1.yaml" in message
    assert "file name must be essai-v1.yaml" in message


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    def two_problems(definition: dict) -> None:
        question(definition, "conf_a")["scale"] = "acord"
        question(definition, "partenariats")["label"] = {"fr": "Des partenariats ?"}

    error = load_error(write_definition(tmp_path, two_problems))
    message = str(error)
    assert "question 'conf_a': unknown scale 'acord'" in message
    assert "question 'partenariats': missing translation: label has no 'en' text" in message
    assert len(error.problems) == 2
    assert all("essai-v1.yaml" in problem for problem in error.problems)


def test_catalog_reports_the_problems_of_every_bad_file(tmp_path):
    write_definition(tmp_path, _set(("@conf_a", "scale"), "acord"))
    write_definition(
        tmp_path,
        lambda definition: definition.update(id="autre", kind="court"),
    )
    with pytest.raises(DefinitionError) as caught:
        load_catalog(tmp_path)
    message = str(caught.value)
    assert "essai-v1.yaml: question 'conf_a': unknown scale 'acord'" in message
    assert "autre-v1.yaml: kind: 'court' is not one of full, atelier" in message


def test_catalog_refuses_two_files_with_the_same_id_and_version(tmp_path):
    write_definition(tmp_path)
    # A copy under another name: it defines essai version 1 again.
    copy_path = write_definition(tmp_path, name="essai-copie-v1.yaml")
    with pytest.raises(DefinitionError) as caught:
        load_catalog(tmp_path)
    message = str(caught.value)
    assert "essai-copie-v1.yaml" in message
    assert "file name must be essai-v1.yaml" in message
    assert caught.value.problems == [
        f"{copy_path}: file name must be essai-v1.yaml (the id and version given in the file)"
    ]


def test_catalog_refuses_two_definitions_of_the_same_id_and_version(tmp_path):
    from questionnaires.loader import Catalog, load_levels

    first_dir, second_dir = tmp_path / "a", tmp_path / "b"
    first_dir.mkdir()
    second_dir.mkdir()
    vocabulary = load_vocabulary()
    first = load_questionnaire(write_definition(first_dir), vocabulary)
    second = load_questionnaire(write_definition(second_dir), vocabulary)
    with pytest.raises(DefinitionError) as caught:
        Catalog([first, second], vocabulary, load_levels(vocabulary))
    assert str(caught.value) == (
        f"{second.source}: questionnaire 'essai' version 1 is also defined in {first.source}"
    )


def test_catalog_with_the_minimal_file_loads(tmp_path):
    write_definition(tmp_path)
    catalog = load_catalog(tmp_path)
    assert [q.key for q in catalog.versions()] == [("essai", 1)]
    assert catalog.get("essai") is catalog.get("essai", 1)
    assert catalog.get("essai", 2) is None
    assert catalog.get("autre") is None


# ---------------------------------------------------------------- python -m questionnaires


def run_checker(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "questionnaires", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_checker_exits_1_and_prints_the_problems_of_a_bad_directory(tmp_path):
    path = write_definition(tmp_path, _set(("@conf_a", "scale"), "acord"))
    result = run_checker(str(tmp_path))
    assert result.returncode == 1
    assert "1 problem(s):" in result.stderr
    assert f"{path}: question 'conf_a': unknown scale 'acord' (defined: accord, utilite)" in (
        result.stderr
    )
    assert "ok" not in result.stdout.split()


def test_checker_exits_0_with_ok_for_the_shipped_definitions():
    result = run_checker()
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "ok"
    assert "entreprise v1 (full, entreprise)" in result.stdout
    assert "atelier v1 (atelier, all)" in result.stdout
    assert result.stderr == ""
