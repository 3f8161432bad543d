"""The objective fragility index, against values computed by hand.

Ratio to France oriented so that higher means more fragile: 100 × territory / France for a
problem, 100 × France / territory for a resource; a domain's index is the geometric mean of the
ratios of the indicators that count.
"""

from __future__ import annotations

import math

import pytest

from scoring.fragility import (
    DomainFragility,
    Figure,
    IndicatorDefinition,
    fragility_by_domain,
    geometric_mean,
    indicator_ratio,
    mean_index,
    national_reference,
)

# --------------------------------------------------------------------------- indicator_ratio


def test_indicator_ratio_of_a_problem():
    # 100 × 18 / 14.5 = 124.1379…
    assert indicator_ratio(18, 14.5, higher_is_fragile=True) == pytest.approx(1800 / 14.5)
    assert indicator_ratio(18, 14.5, higher_is_fragile=True) == pytest.approx(124.137931)


def test_indicator_ratio_of_a_resource():
    # 100 × 150 / 120 = 125
    assert indicator_ratio(120, 150, higher_is_fragile=False) == pytest.approx(125.0)
    # more of a resource than France: 100 × 150 / 200 = 75
    assert indicator_ratio(200, 150, higher_is_fragile=False) == pytest.approx(75.0)


def test_indicator_ratio_at_the_national_level_is_100():
    assert indicator_ratio(14.5, 14.5, higher_is_fragile=True) == pytest.approx(100.0)
    assert indicator_ratio(14.5, 14.5, higher_is_fragile=False) == pytest.approx(100.0)


@pytest.mark.parametrize("higher_is_fragile", [True, False])
@pytest.mark.parametrize(
    ("value", "reference"),
    [
        (0, 14.5),
        (-1, 14.5),
        (18, 0),
        (18, -2),
        (0, 0),
        (math.nan, 14.5),
        (18, math.nan),
        (math.inf, 14.5),
        (18, math.inf),
        (-math.inf, 14.5),
    ],
)
def test_indicator_ratio_of_non_positive_or_non_finite_figures_is_none(
    value, reference, higher_is_fragile
):
    assert indicator_ratio(value, reference, higher_is_fragile) is None


# --------------------------------------------------------------------------- geometric_mean


@pytest.mark.parametrize(
    ("ratios", "mean"),
    [
        ([100, 144], 120.0),  # √(100 × 144) = √14400 = 120
        ([125], 125.0),  # a single ratio is itself
        ([50, 200], 100.0),  # √(50 × 200) = √10000 = 100
        ([100, 100, 800], 200.0),  # ∛(100 × 100 × 800) = ∛8 000 000 = 200
        ((160, 90), 120.0),  # √(160 × 90) = √14400 = 120
    ],
)
def test_geometric_mean(ratios, mean):
    assert geometric_mean(ratios) == pytest.approx(mean)


def test_geometric_mean_of_nothing_is_none():
    assert geometric_mean([]) is None
    assert geometric_mean(()) is None


# --------------------------------------------------------------------------- fragility_by_domain


def figure(indicator: str, year: str, value: float, scope: str = "") -> Figure:
    return Figure(indicator, year, value, unit="u", source="test", scope=scope)


DEFINITIONS = {
    # santé: a resource and a problem, both counted
    "medecins": IndicatorDefinition("medecins", "sante", higher_is_fragile=False),
    "urgences_minutes": IndicatorDefinition("urgences_minutes", "sante", higher_is_fragile=True),
    # pauvreté: one counted, one context only
    "taux_pauvrete": IndicatorDefinition("taux_pauvrete", "pauvrete", higher_is_fragile=True),
    "revenu_median": IndicatorDefinition(
        "revenu_median", "pauvrete", higher_is_fragile=False, in_index=False
    ),
    # emploi: one counted (national figure of its year only in FRM), one context only
    "chomage_bit": IndicatorDefinition("chomage_bit", "emploi", higher_is_fragile=True),
    "chomage_recensement": IndicatorDefinition(
        "chomage_recensement", "emploi", higher_is_fragile=True, in_index=False
    ),
    # logement: its only indicator has no national figure of the same year
    "suroccupation": IndicatorDefinition("suroccupation", "logement", higher_is_fragile=True),
    # not a requested domain
    "densite": IndicatorDefinition("densite", "structure", higher_is_fragile=False),
}

TERRITORY = [
    figure("medecins", "2022", 125),
    figure("urgences_minutes", "2022", 36),
    figure("taux_pauvrete", "2021", 18),
    figure("revenu_median", "2021", 20000),
    figure("chomage_bit", "2023", 9),
    figure("chomage_recensement", "2021", 14),
    figure("suroccupation", "2020", 5),
    figure("densite", "2021", 80),
    figure("indicateur_inconnu", "2021", 999),
]

NATIONAL = {
    "FR": [
        figure("medecins", "2022", 200, "FR"),
        figure("urgences_minutes", "2022", 40, "FR"),
        figure("taux_pauvrete", "2021", 14.5, "FR"),
        figure("revenu_median", "2021", 22000, "FR"),
        figure("chomage_bit", "2024", 7, "FR"),  # not the territory's year
        figure("taux_pauvrete", "2023", 99, "FR"),  # the territory's chomage_bit year, other ind.
        figure("chomage_recensement", "2021", 10, "FR"),
        figure("suroccupation", "2021", 4, "FR"),  # not the territory's year
        figure("densite", "2021", 100, "FR"),
        figure("indicateur_inconnu", "2021", 1, "FR"),
    ],
    "FRM": [
        figure("urgences_minutes", "2022", 35, "FRM"),  # FR comes first
        figure("taux_pauvrete", "2021", 14.0, "FRM"),  # FR comes first
        figure("chomage_bit", "2023", 7.5, "FRM"),  # the only national figure of 2023
        figure("suroccupation", "2019", 4, "FRM"),  # not the territory's year
    ],
}

DOMAINS = ["sante", "pauvrete", "emploi", "logement", "culture"]


@pytest.fixture
def result() -> dict[str, DomainFragility]:
    return fragility_by_domain(TERRITORY, NATIONAL, DEFINITIONS, DOMAINS)


def by_indicator(domain: DomainFragility) -> dict:
    return {r.figure.indicator: r for r in domain.indicators}


def test_result_has_exactly_the_requested_domains(result):
    assert list(result) == DOMAINS
    for key, domain in result.items():
        assert domain.domain == key
    # "densite" (domain "structure", not requested) and the unknown indicator are nowhere
    listed = {r.figure.indicator for d in result.values() for r in d.indicators}
    assert "densite" not in listed
    assert "indicateur_inconnu" not in listed


def test_two_indicators_combined_by_geometric_mean(result):
    sante = result["sante"]
    indicators = by_indicator(sante)
    assert set(indicators) == {"medecins", "urgences_minutes"}
    # médecins (resource): 100 × 200 / 125 = 160
    assert indicators["medecins"].ratio == pytest.approx(160.0)
    # urgences (problem): 100 × 36 / 40 = 90 (FR's 40, not FRM's 35)
    assert indicators["urgences_minutes"].ratio == pytest.approx(90.0)
    # √(160 × 90) = √14400 = 120
    assert sante.index == pytest.approx(120.0)
    assert all(r.in_index for r in sante.indicators)


def test_national_reference_prefers_the_first_scope(result):
    urgences = by_indicator(result["sante"])["urgences_minutes"]
    assert urgences.reference == figure("urgences_minutes", "2022", 40, "FR")
    pauvrete = by_indicator(result["pauvrete"])["taux_pauvrete"]
    assert pauvrete.reference == figure("taux_pauvrete", "2021", 14.5, "FR")


def test_context_indicator_is_listed_but_not_counted(result):
    pauvrete = result["pauvrete"]
    indicators = by_indicator(pauvrete)
    assert set(indicators) == {"taux_pauvrete", "revenu_median"}
    # taux de pauvreté: 100 × 18 / 14.5 = 124.1379…
    assert indicators["taux_pauvrete"].ratio == pytest.approx(1800 / 14.5)
    assert indicators["taux_pauvrete"].in_index is True
    # revenu médian (resource, context only): 100 × 22000 / 20000 = 110, listed but not counted
    assert indicators["revenu_median"].ratio == pytest.approx(110.0)
    assert indicators["revenu_median"].in_index is False
    # index = geometric mean of [124.1379…] alone (not √(124.14 × 110) = 116.85…)
    assert pauvrete.index == pytest.approx(1800 / 14.5)


def test_reference_must_have_the_same_indicator_and_year(result):
    emploi = result["emploi"]
    indicators = by_indicator(emploi)
    chomage = indicators["chomage_bit"]
    # FR has chomage_bit only for 2024 and another indicator for 2023: FRM's 2023 figure is used
    assert chomage.reference == figure("chomage_bit", "2023", 7.5, "FRM")
    # 100 × 9 / 7.5 = 120
    assert chomage.ratio == pytest.approx(120.0)
    # chômage au recensement (context): 100 × 14 / 10 = 140, not counted
    assert indicators["chomage_recensement"].ratio == pytest.approx(140.0)
    assert indicators["chomage_recensement"].in_index is False
    # index = 120 alone (not √(120 × 140) = 129.6…)
    assert emploi.index == pytest.approx(120.0)


def test_indicator_without_national_figure_of_its_year_is_listed_not_counted(result):
    logement = result["logement"]
    assert len(logement.indicators) == 1
    suroccupation = logement.indicators[0]
    assert suroccupation.figure == figure("suroccupation", "2020", 5)
    # national figures exist for 2021 (FR) and 2019 (FRM), none for 2020
    assert suroccupation.reference is None
    assert suroccupation.ratio is None
    assert suroccupation.in_index is True
    # nothing counts: « non disponible »
    assert logement.index is None


def test_domain_without_any_indicator(result):
    assert result["culture"] == DomainFragility(domain="culture", index=None, indicators=())


def test_no_national_figures_at_all():
    result = fragility_by_domain(TERRITORY, {}, DEFINITIONS, ["sante", "pauvrete"])
    assert list(result) == ["sante", "pauvrete"]
    for domain in result.values():
        assert domain.index is None
        assert domain.indicators  # still listed
        assert all(r.reference is None and r.ratio is None for r in domain.indicators)


def test_indicator_with_a_zero_value_is_listed_not_counted():
    definitions = {
        "a": IndicatorDefinition("a", "sante", higher_is_fragile=True),
        "b": IndicatorDefinition("b", "sante", higher_is_fragile=True),
    }
    territory = [figure("a", "2022", 0), figure("b", "2022", 30)]
    national = {"FR": [figure("a", "2022", 10, "FR"), figure("b", "2022", 20, "FR")]}
    sante = fragility_by_domain(territory, national, definitions, ["sante"])["sante"]
    ratios = {r.figure.indicator: r.ratio for r in sante.indicators}
    # a: value 0 → no ratio; b: 100 × 30 / 20 = 150
    assert ratios["a"] is None
    assert ratios["b"] == pytest.approx(150.0)
    assert sante.index == pytest.approx(150.0)  # geometric mean of [150] alone


def test_no_requested_domain():
    assert fragility_by_domain(TERRITORY, NATIONAL, DEFINITIONS, []) == {}


def test_national_reference_directly():
    national = {
        "FR": [figure("x", "2021", 1, "FR")],
        "FRM": [figure("x", "2022", 2, "FRM"), figure("y", "2021", 3, "FRM")],
    }
    assert national_reference(figure("x", "2021", 5), national) == figure("x", "2021", 1, "FR")
    assert national_reference(figure("x", "2022", 5), national) == figure("x", "2022", 2, "FRM")
    assert national_reference(figure("y", "2021", 5), national) == figure("y", "2021", 3, "FRM")
    assert national_reference(figure("y", "2022", 5), national) is None
    assert national_reference(figure("z", "2021", 5), national) is None


# --------------------------------------------------------------------------- mean_index


def test_mean_index_is_the_arithmetic_mean_of_the_available_domains():
    # (130 + 70 + 112) / 3 = 104; the two missing domains are left out, not counted as 100.
    assert mean_index([130.0, None, 70.0, 112.0, None]) == pytest.approx(104.0)
    assert mean_index([87.5]) == pytest.approx(87.5)
    assert mean_index(iter([120.0, 100.0])) == pytest.approx(110.0)


def test_mean_index_without_any_domain_is_none():
    assert mean_index([]) is None
    assert mean_index([None, None]) is None
    assert mean_index([math.nan, None]) is None
