"""The objective fragility index of a territory, domain by domain (DESIGN §4).

Each indicator is turned into a ratio to France, oriented so that higher means more fragile:
`100 × territory / France` for the rate of a problem (poverty), `100 × France / territory` for a
resource (physicians per inhabitant). A domain's index is the geometric mean of the ratios of its
indicators; 100 is the national level. Only figures of the same indicator and year are compared;
an indicator without a national figure of its year, or marked as context only, does not count, and
a domain without any indicator that counts has no index (« non disponible »). An indicator
published for several years counts once, with its latest year that has a national figure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class IndicatorDefinition:
    key: str
    #: A fragility domain, or "structure".
    domain: str
    #: True for the rate of a problem, False for a resource.
    higher_is_fragile: bool
    #: Whether it counts in its domain's index (else: context only).
    in_index: bool = True


@dataclass(frozen=True)
class Figure:
    """One published value: an indicator, for a territory or a national scope, in a year."""

    indicator: str
    year: str
    value: float
    unit: str
    source: str
    #: The territory or scope as the source names it.
    scope: str = ""


@dataclass(frozen=True)
class IndicatorResult:
    figure: Figure
    #: The national figure of the same indicator and year it is compared with, if any.
    reference: Figure | None
    #: 100 × oriented ratio to France; None when it cannot be compared.
    ratio: float | None
    #: Whether the indicator is defined as counting in its domain's index.
    in_index: bool
    #: Whether this figure counts in the index: defined so, comparable, and the latest
    #: comparable year of its indicator (one figure per indicator).
    counted: bool = False


@dataclass(frozen=True)
class DomainFragility:
    domain: str
    #: Geometric mean of the ratios of the indicators that count; None: « non disponible ».
    index: float | None
    indicators: tuple[IndicatorResult, ...] = field(default_factory=tuple)


def indicator_ratio(value: float, reference: float, higher_is_fragile: bool) -> float | None:
    """`100 × value / reference` for a problem, `100 × reference / value` for a resource.

    None when either figure is not positive (a ratio would mean nothing).
    """
    if value <= 0 or reference <= 0 or not math.isfinite(value) or not math.isfinite(reference):
        return None
    return 100.0 * (value / reference if higher_is_fragile else reference / value)


def geometric_mean(ratios: Sequence[float]) -> float | None:
    """Geometric mean of positive ratios; None for none."""
    if not ratios:
        return None
    return math.exp(sum(math.log(r) for r in ratios) / len(ratios))


def national_reference(figure: Figure, national: Mapping[str, Sequence[Figure]]) -> Figure | None:
    """The national figure of the same indicator and year, France first, else métropole."""
    for scope_figures in national.values():
        for candidate in scope_figures:
            if candidate.indicator == figure.indicator and candidate.year == figure.year:
                return candidate
    return None


def fragility_by_domain(
    figures: Iterable[Figure],
    national: Mapping[str, Sequence[Figure]],
    definitions: Mapping[str, IndicatorDefinition],
    domains: Sequence[str],
) -> dict[str, DomainFragility]:
    """The fragility index of every domain of `domains` for one territory.

    :param figures: the territory's published figures.
    :param national: national figures by scope, in order of preference (e.g. "FR" then "FRM").
    :param definitions: what each indicator measures and whether it counts in the index.
    """
    by_domain: dict[str, list[IndicatorResult]] = {domain: [] for domain in domains}
    for figure in figures:
        definition = definitions.get(figure.indicator)
        if definition is None or definition.domain not in by_domain:
            continue
        reference = national_reference(figure, national)
        ratio = None
        if reference is not None:
            ratio = indicator_ratio(figure.value, reference.value, definition.higher_is_fragile)
        by_domain[definition.domain].append(
            IndicatorResult(
                figure=figure, reference=reference, ratio=ratio, in_index=definition.in_index
            )
        )
    results = {}
    for domain, indicators in by_domain.items():
        # Each indicator counts once, with its latest year that has a national figure.
        latest: dict[str, IndicatorResult] = {}
        for result in indicators:
            if result.in_index and result.ratio is not None:
                kept = latest.get(result.figure.indicator)
                if kept is None or result.figure.year > kept.figure.year:
                    latest[result.figure.indicator] = result
        counted = {id(result) for result in latest.values()}
        marked = [replace(result, counted=id(result) in counted) for result in indicators]
        ordered = sorted(marked, key=lambda r: (not r.counted, r.figure.indicator, r.figure.year))
        index = geometric_mean([result.ratio for result in latest.values()])
        results[domain] = DomainFragility(domain=domain, index=index, indicators=tuple(ordered))
    return results


def mean_index(indices: Iterable[float | None]) -> float | None:
    """The mean fragility index over domains (« moyenne des 16 domaines »): the arithmetic mean
    of the domain indices that exist, None when none does.

    A domain without an index (« non disponible ») is left out rather than counted as 100, so
    two territories' means may rest on different domains: a mean is best shown with the number
    of domains it rests on.
    """
    available = [index for index in indices if index is not None and math.isfinite(index)]
    if not available:
        return None
    return sum(available) / len(available)
