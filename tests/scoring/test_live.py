"""The live figures of a workshop (scoring/live.py), from fixed answers computed by hand.

The atelier questionnaire: `acteur`, `priorites` (up to three domains), two confiance items
(`conf_interlocuteurs`, `conf_mefiance` reversed), two performance items, two innovation items,
each scored `(v − 1) / 3 × 100` (reversed: 100 − that), an axis score the mean of its answered
items. With MIN = 3:

    #   acteur      priorités                 interlocuteurs  méfiance  confiance  performance
    C1  citoyen     logement, emploi, santé   4               1         100        4 3 → 83.33
    C2  citoyen     logement, emploi          3               2         66.67      2 2 → 33.33
    C3  citoyen     logement                  1               4         0          1 1 → 0

Priority shares: logement 3/3, emploi 2/3, santé 1/3. Confiance median 66.7 (quartiles 33.3,
83.3); performance median 33.3. Nobody answers innovation.
"""

from __future__ import annotations

from datetime import date

import pytest

from questionnaires import load_catalog
from scoring.aggregates import Quartiles
from scoring.live import TOP_PRIORITIES, Bar, live_figures, scale_histogram

MIN = 3
DAY = date(2031, 3, 12)
ACTORS = ["citoyen", "entreprise", "association", "elu"]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def atelier(catalog):
    return catalog.get("atelier")


@pytest.fixture(scope="module")
def domains(catalog):
    return list(catalog.vocabulary.domains)


def person(priorites, interlocuteurs, mefiance, services=None, moyens=None, **more) -> dict:
    answers = {"priorites": priorites, "conf_interlocuteurs": interlocuteurs,
               "conf_mefiance": mefiance}
    if services is not None:
        answers["perf_services"] = services
    if moyens is not None:
        answers["perf_moyens"] = moyens
    return {**answers, **more}


def citizen(answers: dict) -> tuple[str, dict]:
    return "citoyen", {"acteur": "citoyen", **answers}


CITIZENS = [
    citizen(person(["logement", "emploi", "sante"], 4, 1, 4, 3)),
    citizen(person(["logement", "emploi"], 3, 2, 2, 2)),
    citizen(person(["logement"], 1, 4, 1, 1)),
]
#: One company, alone of its kind: everything about it stays hidden.
COMPANY = ("entreprise", {"acteur": "entreprise", "priorites": ["mobilite"],
                          "conf_interlocuteurs": 4, "conf_mefiance": 1,
                          "perf_services": 4, "perf_moyens": 4})


def figures(atelier, domains, people, histogram=None, min_size=MIN):
    return live_figures(atelier, people, ACTORS, domains, min_size, DAY, histogram)


def shares(result) -> list[tuple[str, float]]:
    return [(domain, round(cell.value, 4)) for domain, cell in result.priorities]


def test_room_priorities_profiles_and_counts(atelier, domains):
    result = figures(atelier, domains, CITIZENS)
    assert result.participants == {"citoyen": 3, "entreprise": 0, "association": 0, "elu": 0}
    assert result.answering == 3
    assert shares(result) == [("logement", 1.0), ("emploi", 0.6667), ("sante", 0.3333)]
    assert all(cell.n == 3 and not cell.suppressed for _domain, cell in result.priorities)
    confiance = result.profiles["citoyen"]["confiance"]
    assert (confiance.n, confiance.suppressed) == (3, False)
    # Scores are kept in tenths of a point (66.67 → 66.7): the quartiles fall half-way.
    assert confiance.median == 66.7
    assert confiance.q1 == pytest.approx(33.35, abs=0.06)
    assert confiance.q3 == pytest.approx(83.35, abs=0.06)
    assert result.profiles["citoyen"]["performance"].median == 33.3
    assert result.profiles["citoyen"]["innovation"] == Quartiles(n=0, suppressed=False)
    assert result.profiles["all"]["confiance"] == result.profiles["citoyen"]["confiance"]
    # No company: its row says nothing, and hides nothing either.
    assert result.profiles["entreprise"]["confiance"] == Quartiles(n=0, suppressed=False)
    logement = next(row for row in result.domains if row.domain == "logement")
    assert logement.groups["citoyen"].priority.value == 1.0
    assert logement.total.priority.value == 1.0
    assert result.histogram is None


def test_below_the_minimum_every_figure_is_hidden(atelier, domains):
    result = figures(atelier, domains, CITIZENS[:2])
    assert result.answering == 2
    assert result.priorities == []
    assert result.profiles["citoyen"]["confiance"] == Quartiles(n=2, suppressed=True)
    assert result.profiles["all"]["confiance"] == Quartiles(n=2, suppressed=True)
    logement = next(row for row in result.domains if row.domain == "logement")
    assert logement.total.priority.suppressed and logement.total.priority.value is None


def test_a_participant_who_only_said_who_they_are_is_counted_but_not_answering(atelier, domains):
    result = figures(atelier, domains, [*CITIZENS[:2], ("elu", {"acteur": "elu"})])
    assert result.participants["elu"] == 1
    assert sum(result.participants.values()) == 3
    assert result.answering == 2


def test_the_workshop_territory_is_not_an_answer_of_the_participant(catalog, domains):
    """In a workshop on a full questionnaire, every participant has the territory of the
    workshop as an answer from the start: joining is not answering."""
    citoyen = catalog.get("citoyen")
    joined = [("citoyen", {"territoire": "epci:200046977"}) for _ in range(4)]
    result = live_figures(citoyen, joined, ["citoyen"], domains, MIN, DAY)
    assert result.participants == {"citoyen": 4}
    assert result.answering == 0
    answered = [*joined[:3], ("citoyen", {"territoire": "epci:200046977",
                                          "jouer_collectif": "utile"})]
    assert live_figures(citoyen, answered, ["citoyen"], domains, MIN, DAY).answering == 1


def test_a_small_actor_group_is_hidden_and_left_out_of_the_whole_room(atelier, domains):
    result = figures(atelier, domains, [*CITIZENS, COMPANY])
    assert result.participants["entreprise"] == 1
    assert result.answering == 4
    # The company's priority (mobilité) is not in the room's list: the room's shares cover the
    # citizens only, or they would give the company's answer away.
    assert shares(result) == [("logement", 1.0), ("emploi", 0.6667), ("sante", 0.3333)]
    mobilite = next(row for row in result.domains if row.domain == "mobilite")
    assert mobilite.groups["entreprise"].priority.suppressed
    assert mobilite.total.priority.value == 0.0
    assert result.profiles["entreprise"]["confiance"] == Quartiles(n=1, suppressed=True)
    # The same for the whole room's impact profile: with the company (100) its median would be
    # 83.3 next to the citizens' 66.7, telling where the company stands.
    for axis in ("confiance", "performance"):
        assert result.profiles["all"][axis] == result.profiles["citoyen"][axis], axis


def test_once_every_group_is_large_enough_the_whole_room_counts_everyone(atelier, domains):
    companies = [COMPANY] * 3
    result = figures(atelier, domains, [*CITIZENS, *companies])
    assert result.profiles["entreprise"]["confiance"].median == 100.0
    # Six scores: 0, 66.7, 100 ×4 → median 100, first quartile (6 − 1) × 0.25 = 1.25 → 75.
    assert result.profiles["all"]["confiance"] == Quartiles(
        n=6, suppressed=False, median=100.0, q1=75.0, q3=100.0)
    assert dict(shares(result)) == {"logement": 0.5, "mobilite": 0.5, "emploi": 0.3333,
                                    "sante": 0.1667}
    # Ties go in the vocabulary's order of the domains.
    tied = [domain for domain, _cell in result.priorities[:2]]
    assert tied == sorted(["logement", "mobilite"], key=domains.index)


def test_at_most_top_priorities_domains_are_listed(atelier, domains):
    many = ["logement", "emploi", "sante", "mobilite", "culture", "numerique"]
    people = [citizen(person(many[index:index + 3], 3, 2)) for index in range(4)]
    result = figures(atelier, domains, people)
    assert TOP_PRIORITIES == 5
    assert len(result.priorities) == 5
    # Named by: santé 3 of 4, mobilité 3, emploi 2, culture 2, numérique 1, logement 1; ties in
    # the vocabulary's order (santé, mobilité, numérique, culture come before emploi, logement).
    assert shares(result) == [("sante", 0.75), ("mobilite", 0.75), ("culture", 0.5),
                              ("emploi", 0.5), ("numerique", 0.25)]


def test_scale_histogram_counts_each_value_and_dont_know(atelier):
    people = [answers for _actor, answers in CITIZENS]
    people.append({"acteur": "elu", "conf_interlocuteurs": None})
    histogram = scale_histogram(atelier, people, "conf_interlocuteurs", MIN)
    assert histogram.n == 4 and not histogram.suppressed
    assert histogram.bars == (Bar(4, 1), Bar(3, 1), Bar(2, 0), Bar(1, 1), Bar("nsp", 1))
    # Mean of the scores given (« ne sait pas » has none): (100 + 66.67 + 0) / 3.
    assert histogram.mean == pytest.approx(55.5556, abs=1e-3)


def test_scale_histogram_below_the_minimum_and_for_other_questions(atelier):
    people = [answers for _actor, answers in CITIZENS[:2]]
    hidden = scale_histogram(atelier, people, "conf_interlocuteurs", MIN)
    assert hidden.n == 2 and hidden.suppressed and hidden.bars == () and hidden.mean is None
    assert scale_histogram(atelier, people, "priorites", MIN) is None
    assert scale_histogram(atelier, people, "unknown", MIN) is None
    nobody = scale_histogram(atelier, people, "inno_source", MIN)
    assert nobody.n == 0 and not nobody.suppressed and nobody.bars == ()


def test_live_figures_carry_the_histogram_of_the_room(atelier, domains):
    result = figures(atelier, domains, CITIZENS, histogram="conf_mefiance")
    assert result.histogram.question == "conf_mefiance"
    # Agreement with the statement as it is worded (4, 3, 2, 1, « ne sait pas »): the bars and
    # the mean are those of the answers, not of the reversed impact score.
    assert [bar.count for bar in result.histogram.bars] == [1, 0, 1, 1, 0]
    assert result.histogram.mean == pytest.approx((0 + 33.3333 + 100) / 3, abs=1e-3)
