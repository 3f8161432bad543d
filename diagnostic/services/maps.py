"""The fragility index of every region or department, for the maps (DESIGN §4).

Computed like `reference.territory_fragility` — the same pure function on the same figures — for a
whole level at once, and kept per worker under the state of the reference data: the
`reference_import` records (name, checksum and time of each load) change whenever
`load-reference` loads something, so every worker notices a load made by any process at its next
map, for the price of one small query.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from scoring.fragility import Figure, fragility_by_domain, mean_index

from ..extensions import db
from ..models import IndicatorValue, ReferenceImport, Territory
from . import reference

#: The `domain` of the map of the mean over the domains.
MEAN = "moyenne"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class LevelFragility:
    """Every territory of a level in the database, with its name and its index per domain."""

    names: dict[str, str]
    #: Per INSEE code, per domain: the fragility index (100 = France), None: « non disponible ».
    indices: dict[str, dict[str, float | None]]

    def values(self, domain: str) -> dict[str, float | None]:
        """Per code, the index of `domain`, or for MEAN the mean of the available domains."""
        if domain == MEAN:
            return {code: mean_index(per.values()) for code, per in self.indices.items()}
        return {code: per.get(domain) for code, per in self.indices.items()}


def reference_state() -> tuple:
    """What was loaded and when: changes with every load of reference data."""
    rows = db.session.execute(
        select(ReferenceImport.name, ReferenceImport.checksum, ReferenceImport.loaded_at)
        .order_by(ReferenceImport.name)
    ).all()
    return tuple(tuple(row) for row in rows)


def compute_level_fragility(level: str, domains: Sequence[str]) -> LevelFragility:
    """The index of `domains` for every territory of `level`, from the database."""
    definitions = reference._definitions()
    national = {scope: reference._figures("pays", scope) for scope in reference.NATIONAL_SCOPES}
    figures: dict[str, list[Figure]] = defaultdict(list)
    rows = db.session.scalars(
        select(IndicatorValue)
        .where(IndicatorValue.level == level)
        .order_by(IndicatorValue.code, IndicatorValue.indicator_key, IndicatorValue.year)
    )
    for row in rows:
        figures[row.code].append(
            Figure(row.indicator_key, row.year, row.value, row.unit, row.source, row.scope)
        )
    names = dict(
        db.session.execute(
            select(Territory.code, Territory.name).where(Territory.level == level)
        ).all()
    )
    indices = {
        code: {
            domain: result.index
            for domain, result in fragility_by_domain(
                figures.get(code, []), national, definitions, domains
            ).items()
        }
        for code in sorted(names)
    }
    return LevelFragility(names, indices)


def level_fragility(level: str, domains: Sequence[str]) -> LevelFragility:
    """`compute_level_fragility`, from the worker's cache while the reference data stay the
    same."""
    cache: dict = current_app.extensions.setdefault("level_fragility", {})
    state = reference_state()
    key = (level, tuple(domains))
    with _LOCK:
        if cache.get("state") != state:
            cache.clear()
            cache["state"] = state
        found = cache.get(key)
    if found is None:
        found = compute_level_fragility(level, domains)
        with _LOCK:
            if cache.get("state") == state:
                cache[key] = found
    return found
