"""The shipped questionnaires measure what the content brief asks (shared/QUESTIONNAIRES.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from questionnaires.loader import load_catalog
from questionnaires.model import Label, Question, Questionnaire

FULL = ("citoyen", "entreprise", "association", "elu")
AXES = ("confiance", "performance", "innovation")
DOMAINS = (
    "education",
    "sante",
    "securite",
    "mobilite",
    "numerique",
    "culture",
    "developpement_economique",
    "emploi",
    "niveau_de_vie",
    "pauvrete",
    "logement",
    "isolement",
    "diversite",
    "vieillissement",
    "environnement",
    "transition_energetique",
)
PRACTICES = (
    "engagement_territorial",
    "engagement_salaries",
    "engagement_partenarial",
    "investissement_societal",
    "pratiques_responsables",
    "mecenat",
    "cooperation_economique",
    "innovation_societale",
    "dialogue_territorial",
    "experience_collective",
    "accompagnement_acteurs",
    "tiers_lieux",
)
#: Seconds to answer a question of each type, for the estimated answering time.
SECONDS = {
    "scale": 6,
    "choice": 10,
    "multi_choice": 15,
    "ranking": 15,
    "territory": 20,
    "text": 45,
    "number": 15,
}
#: The questions shared by every full questionnaire, with their option values (and « ne sait pas »).
SHARED_CHOICES = {
    "jouer_collectif": (
        ("incontournable", "utile", "secondaire", "pas_utile", "contre_productif"),
        True,
    ),
    "travaillent_ensemble": (("suffisamment", "pas_suffisamment"), True),
    "levier": (("action_collective", "vision_partagee", "regles_normes"), None),
    "odd_connaissance": (("oui", "non"), None),
    "odd_niveau": (("tres_bien", "bien", "un_peu", "pas_du_tout"), None),
}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module", params=FULL)
def full(request, catalog) -> Questionnaire:
    questionnaire = catalog.get(request.param)
    assert questionnaire is not None, f"no questionnaire {request.param}"
    return questionnaire


def values(question: Question) -> tuple:
    return tuple(option.value for option in question.options)


def get(questionnaire: Questionnaire, question_id: str) -> Question:
    question = questionnaire.question(question_id)
    assert question is not None, f"{questionnaire.id}: no question {question_id}"
    return question


def test_the_catalog_holds_the_five_questionnaires(catalog):
    assert sorted(q.key for q in catalog.versions()) == [
        ("association", 1),
        ("atelier", 1),
        ("citoyen", 1),
        ("elu", 1),
        ("entreprise", 1),
    ]
    assert [q.id for q in catalog.latest("full")] == list(FULL)
    assert [q.id for q in catalog.latest("atelier")] == ["atelier"]


# --------------------------------------------------------------------------- full questionnaires


def test_actor_and_kind(full):
    assert full.actor == full.id
    assert full.kind == "full"
    assert full.actor_question is None


def test_one_required_territory_question_in_the_first_section(full):
    territory = [q for q in full.questions if q.type == "territory"]
    assert len(territory) == 1
    assert territory[0].required is True
    assert territory[0].section == full.sections[0].id
    assert territory[0] in full.sections[0].questions
    assert territory[0].show_if is None


def test_the_16_domains_are_rated_on_a_0_to_10_scale(full):
    rated = [q for q in full.questions if q.domain is not None]
    assert sorted(q.domain for q in rated) == sorted(DOMAINS)
    for question in rated:
        assert question.type == "scale", question.id
        assert question.axis is None, question.id
        assert question.show_if is None, question.id
        scale = question.scale
        assert [item.value for item in scale.values] == list(range(11)), question.id
        assert [item.score for item in scale.values] == pytest.approx([v * 10 for v in range(11)])
        assert scale.dont_know is True, question.id


def test_priorities_rank_three_of_the_16_domains(full):
    priorites = get(full, "priorites")
    assert priorites.type == "ranking"
    assert priorites.max_choices == 3
    assert priorites.options_from == "domains"
    assert values(priorites) == DOMAINS


@pytest.mark.parametrize("axis", AXES)
def test_axis_items(full, axis):
    items = full.axis_questions(axis)
    assert len(items) >= 6, [q.id for q in items]
    assert sum(q.reversed for q in items) >= 1
    # Everyone can get a score: at least 4 items apply to every respondent.
    assert len([q for q in items if q.show_if is None]) >= 4
    for question in items:
        assert question.type == "scale", question.id
        assert question.weight > 0
        scale = question.scale
        assert scale.dont_know is True, question.id
        assert sorted(item.value for item in scale.values) == [1, 2, 3, 4], question.id
        for item in scale.values:
            assert item.score == pytest.approx((item.value - 1) / 3 * 100), question.id


def test_partnerships_and_practices(full):
    partenariats = get(full, "partenariats")
    assert partenariats.type == "choice"
    assert values(partenariats) == ("oui", "non")
    assert partenariats.offers_dont_know is True
    pratiques = get(full, "pratiques")
    assert pratiques.type == "multi_choice"
    assert pratiques.options_from == "practices"
    assert values(pratiques) == PRACTICES
    assert pratiques.show_if is not None
    assert pratiques.show_if.question == "partenariats"
    assert pratiques.show_if.values == ("oui",)
    assert pratiques.show_if.negate is False


@pytest.mark.parametrize("question_id", list(SHARED_CHOICES))
def test_shared_questions_have_the_same_values_everywhere(full, question_id):
    expected_values, expected_dont_know = SHARED_CHOICES[question_id]
    question = get(full, question_id)
    assert question.type == "choice"
    assert values(question) == expected_values
    if expected_dont_know is not None:
        assert question.offers_dont_know is expected_dont_know


def test_sdg_level_only_for_who_knows_the_sdgs(full):
    odd_niveau = get(full, "odd_niveau")
    assert odd_niveau.show_if is not None
    assert (odd_niveau.show_if.question, odd_niveau.show_if.values) == (
        "odd_connaissance",
        ("oui",),
    )
    assert odd_niveau.show_if.negate is False
    assert get(full, "odd_connaissance").show_if is None


def test_elected_officials_say_where_co_construction_stands(catalog):
    co_construction = get(catalog.get("elu"), "co_construction")
    assert co_construction.type == "choice"
    assert values(co_construction) == ("deja_lancee", "commence_a_emerger", "pas_encore")
    assert co_construction.offers_dont_know is True


def labels_of(questionnaire: Questionnaire) -> Iterator[tuple[str, Label]]:
    """Every text of a questionnaire, with where it is."""
    yield "title", questionnaire.title
    yield "description", questionnaire.description
    for scale in questionnaire.scales.values():
        for item in scale.values:
            yield f"scale {scale.id} value {item.value}", item.label
    for section in questionnaire.sections:
        yield f"section {section.id} title", section.title
        if section.intro is not None:
            yield f"section {section.id} intro", section.intro
        for question in section.questions:
            yield f"{question.id} label", question.label
            if question.help is not None:
                yield f"{question.id} help", question.help
            if question.unit is not None:
                yield f"{question.id} unit", question.unit
            for option in question.options:
                yield f"{question.id} option {option.value}", option.label


@pytest.mark.parametrize("questionnaire_id", [*FULL, "atelier"])
def test_every_text_is_translated(catalog, questionnaire_id):
    texts = list(labels_of(catalog.get(questionnaire_id)))
    assert len(texts) > 20
    untranslated = []
    for where, text in texts:
        assert isinstance(text.fr, str) and text.fr.strip(), where
        assert isinstance(text.en, str) and text.en.strip(), where
        if len(text.fr) > 12 and text.en == text.fr:
            untranslated.append(where)
    assert untranslated == []


def test_announced_duration(full):
    assert 10 <= full.duration_minutes <= 15


def test_estimated_answering_time(full):
    seconds = sum(SECONDS[q.type] for q in full.questions)
    assert 5 * 60 <= seconds <= 16 * 60, seconds / 60


# --------------------------------------------------------------------------- workshop


def test_workshop_questionnaire(catalog):
    atelier = catalog.get("atelier")
    assert atelier.kind == "atelier"
    assert atelier.actor == "all"
    assert len(atelier.questions) <= 12
    actor = get(atelier, atelier.actor_question)
    assert actor.type == "choice"
    assert actor.options_from == "actors"
    assert values(actor) == FULL
    assert atelier.actor_of({atelier.actor_question: "elu"}) == "elu"
    priorites = get(atelier, "priorites")
    assert (priorites.type, priorites.max_choices) == ("ranking", 3)
    assert values(priorites) == DOMAINS
    assert values(get(atelier, "jouer_collectif")) == SHARED_CHOICES["jouer_collectif"][0]
    assert values(get(atelier, "levier")) == SHARED_CHOICES["levier"][0]
    for axis in AXES:
        items = atelier.axis_questions(axis)
        assert len(items) == 2, axis
        assert all(q.show_if is None for q in items)
        for question in items:
            assert sorted(item.value for item in question.scale.values) == [1, 2, 3, 4]


# --------------------------------------------------------------------------- levels


def test_levels_have_names_summaries_and_descriptions(catalog):
    levels = catalog.levels
    assert sorted(levels.names) == [1, 2, 3, 4]
    assert sorted(levels.summaries) == [1, 2, 3, 4]
    assert levels.names[3] == Label(fr="Co-construire", en="Co-building")
    for level in (1, 2, 3, 4):
        for text in (levels.names[level], levels.summaries[level]):
            assert text.fr.strip()
            assert text.en.strip()
            assert text.en != text.fr
    expected = {(axis, actor, level) for axis in AXES for actor in FULL for level in (1, 2, 3, 4)}
    assert set(levels.descriptions) == expected
    for key in expected:
        description = levels.description(*key)
        assert len(description.fr) > 40, key
        assert len(description.en) > 40, key
        assert description.en != description.fr, key
    # Each actor type gets its own sentence for a given impact and level.
    for axis in AXES:
        for level in (1, 2, 3, 4):
            texts = {levels.description(axis, actor, level).fr for actor in FULL}
            assert len(texts) == 4, (axis, level)
