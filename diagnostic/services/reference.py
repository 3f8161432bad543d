"""Reference data: objective indicators per territory, their definitions, and the Observatoire's
published survey figures linked to the questions they compare with.

Loading checks every row and stops at the first problem with a message naming the file, the line
and the column; nothing is written unless the whole file is good.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, insert, select

from questionnaires import Catalog
from scoring.fragility import DomainFragility, Figure, IndicatorDefinition, fragility_by_domain

from ..extensions import db
from ..models import (
    Indicator,
    IndicatorValue,
    ReferenceImport,
    SurveyFigure,
    Territory,
    utcnow,
)
from .files import DATA_DIR, fail, read_rows

REFERENCE_DIR = DATA_DIR / "reference"
DEFINITIONS_FILE = REFERENCE_DIR / "indicator_definitions.csv"
INDICATORS_FILE = REFERENCE_DIR / "indicators.csv"
SURVEY_FILE = REFERENCE_DIR / "observatoire_benchmarks.csv"
SURVEY_LINKS_FILE = REFERENCE_DIR / "survey_links.csv"

INDICATOR_COLUMNS = ("level", "code", "domain", "indicator", "value", "unit", "year", "source")
DEFINITION_COLUMNS = ("higher_is_fragile", "in_index", "label_fr", "label_en")
TRUE = {"oui", "true", "1", "yes", "vrai"}
FALSE = {"non", "false", "0", "no", "faux"}
IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")
STRUCTURE = "structure"
#: National scopes, in the order a territory is compared with them.
NATIONAL_SCOPES = ("FR", "FRM")


def _flag(path: Path, line: int, column: str, text: str) -> bool:
    if text.lower() in TRUE:
        return True
    if text.lower() in FALSE:
        return False
    raise fail(path, line, column, f"{text!r} is not oui/non")


def _number(path: Path, line: int, column: str, text: str) -> float:
    try:
        value = float(text.replace(",", ".")) if text else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise fail(path, line, column, f"{text!r} is not a number")
    return value


def _checksum(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _already_loaded(name: str, checksum: str) -> bool:
    record = db.session.get(ReferenceImport, name)
    return record is not None and record.checksum == checksum


def _record(name: str, checksum: str) -> None:
    record = db.session.get(ReferenceImport, name)
    if record is None:
        db.session.add(ReferenceImport(name=name, checksum=checksum))
    else:
        record.checksum, record.loaded_at = checksum, utcnow()


# --------------------------------------------------------------------------- indicators


def read_definitions(path: Path, domains: set[str]) -> list[dict]:
    """Indicator definitions: what each measures and how it counts in the fragility index."""
    columns = ("indicator", "domain", "higher_is_fragile", "in_index", "label_fr", "label_en")
    definitions: dict[str, dict] = {}
    for line, row in read_rows(path, (*columns, "note_fr", "note_en", "publisher")):
        key = row["indicator"]
        if not IDENTIFIER.fullmatch(key):
            raise fail(path, line, "indicator", f"{key!r} is not an identifier")
        if key in definitions:
            raise fail(path, line, "indicator", f"{key!r} is defined twice")
        if row["domain"] not in domains:
            raise fail(
                path,
                line,
                "domain",
                f"{row['domain']!r} is not one of the 16 domains or {STRUCTURE}",
            )
        for column in ("label_fr", "label_en"):
            if not row[column]:
                raise fail(path, line, column, "is empty")
        definitions[key] = {
            "key": key,
            "domain": row["domain"],
            "higher_is_fragile": _flag(path, line, "higher_is_fragile", row["higher_is_fragile"]),
            "in_index": _flag(path, line, "in_index", row["in_index"]),
            "label_fr": row["label_fr"],
            "label_en": row["label_en"],
            "note_fr": row["note_fr"] or None,
            "note_en": row["note_en"] or None,
            "publisher": row["publisher"] or None,
        }
    return list(definitions.values())


def read_indicator_values(
    path: Path, territories: set[tuple[str, str]], definitions: dict[str, dict], domains: set[str]
) -> tuple[list[dict], list[dict]]:
    """Rows of an indicator file, checked; returns (values, definitions of new indicators).

    An indicator not defined yet must come with `higher_is_fragile` (and may give `in_index`,
    `label_fr`, `label_en`) on its rows.
    """
    values: list[dict] = []
    new: dict[str, dict] = {}
    seen: set[tuple[str, str, str, str]] = set()
    for line, row in read_rows(path, INDICATOR_COLUMNS):
        level, code = row["level"], row["code"]
        if level not in ("pays", "region", "departement", "epci", "commune"):
            raise fail(
                path, line, "level", f"{level!r} is not pays, region, departement, epci or commune"
            )
        if (level, code) not in territories:
            raise fail(path, line, "code", f"no territory {level}:{code}")
        key = row["indicator"]
        if not IDENTIFIER.fullmatch(key):
            raise fail(path, line, "indicator", f"{key!r} is not an identifier")
        domain = row["domain"]
        if domain not in domains:
            raise fail(
                path, line, "domain", f"{domain!r} is not one of the 16 domains or {STRUCTURE}"
            )
        definition = definitions.get(key) or new.get(key)
        if definition is None:
            if not row.get("higher_is_fragile"):
                raise fail(
                    path,
                    line,
                    "higher_is_fragile",
                    f"indicator {key!r} is not defined yet: say whether higher means "
                    "more fragile (oui/non)",
                )
            definition = new[key] = {
                "key": key,
                "domain": domain,
                "higher_is_fragile": _flag(
                    path, line, "higher_is_fragile", row["higher_is_fragile"]
                ),
                "in_index": _flag(path, line, "in_index", row.get("in_index") or "oui"),
                "label_fr": row.get("label_fr") or key,
                "label_en": row.get("label_en") or key,
                "note_fr": None,
                "note_en": None,
                "publisher": row.get("publisher") or None,
            }
        if definition["domain"] != domain:
            raise fail(
                path,
                line,
                "domain",
                f"indicator {key!r} belongs to {definition['domain']!r}, not {domain!r}",
            )
        if row["value"] == "":
            continue  # not published for this territory: « non disponible »
        value = _number(path, line, "value", row["value"])
        for column in ("unit", "year", "source"):
            if not row[column]:
                raise fail(
                    path, line, column, "is empty: every figure needs its unit, year and source"
                )
        identity = (level, code, key, row["year"])
        if identity in seen:
            raise fail(path, line, "year", f"{key} {row['year']} for {level}:{code} is given twice")
        seen.add(identity)
        values.append(
            {
                "level": level,
                "code": code,
                "indicator_key": key,
                "year": row["year"],
                "value": value,
                "unit": row["unit"],
                "source": row["source"],
                "scope": row.get("name") or f"{level}:{code}",
            }
        )
    return values, list(new.values())


def _domains(catalog: Catalog) -> set[str]:
    return {*catalog.vocabulary.domains, STRUCTURE}


def load_definitions(catalog: Catalog, path: Path = DEFINITIONS_FILE, force: bool = False) -> int:
    """Load (or update) the indicator definitions; returns how many, 0 when unchanged."""
    checksum = _checksum(path)
    if not force and _already_loaded("indicator_definitions", checksum):
        return 0
    rows = read_definitions(path, _domains(catalog))
    existing = {indicator.key: indicator for indicator in db.session.scalars(select(Indicator))}
    for row in rows:
        if row["key"] in existing:
            for name, value in row.items():
                setattr(existing[row["key"]], name, value)
        else:
            db.session.add(Indicator(**row))
    _record("indicator_definitions", checksum)
    db.session.commit()
    return len(rows)


def load_indicators(catalog: Catalog, path: Path = INDICATORS_FILE, force: bool = False) -> int:
    """Load an indicator file; its rows replace the rows it gave last time, and any row of
    another file for the same territory, indicator and year. Returns the rows loaded."""
    path = Path(path)
    origin = path.name
    checksum = _checksum(path)
    if not force and _already_loaded(f"indicators:{origin}", checksum):
        return 0
    territories = set(db.session.execute(select(Territory.level, Territory.code)).all())
    definitions = {
        indicator.key: {"domain": indicator.domain}
        for indicator in db.session.scalars(select(Indicator))
    }
    values, new = read_indicator_values(path, territories, definitions, _domains(catalog))
    if new:
        db.session.execute(insert(Indicator), new)
    db.session.execute(delete(IndicatorValue).where(IndicatorValue.origin == origin))
    incoming = {(v["level"], v["code"], v["indicator_key"], v["year"]) for v in values}
    replaced = [
        row_id
        for row_id, *identity in db.session.execute(
            select(
                IndicatorValue.id,
                IndicatorValue.level,
                IndicatorValue.code,
                IndicatorValue.indicator_key,
                IndicatorValue.year,
            )
        ).all()
        if tuple(identity) in incoming
    ]
    if replaced:
        db.session.execute(delete(IndicatorValue).where(IndicatorValue.id.in_(replaced)))
    db.session.execute(insert(IndicatorValue), [{**v, "origin": origin} for v in values])
    _record(f"indicators:{origin}", checksum)
    db.session.commit()
    return len(values)


# --------------------------------------------------------------------------- survey figures


SURVEY_COLUMNS = (
    "study",
    "fieldwork",
    "actor",
    "sample",
    "metric",
    "label_fr",
    "value_pct",
    "score_10",
    "note",
    "source",
)
LINK_COLUMNS = ("study", "fieldwork", "actor", "metric", "question", "values", "label_en")


def read_survey_figures(path: Path, links_path: Path, catalog: Catalog) -> list[dict]:
    """The Observatoire's figures, each with the question of its actor's questionnaire it
    compares with (checked against the questionnaire definition)."""
    links: dict[tuple[str, str, str, str], dict] = {}
    for line, row in read_rows(links_path, LINK_COLUMNS):
        identity = (row["study"], row["fieldwork"], row["actor"], row["metric"])
        questionnaire = catalog.get(row["actor"])
        if questionnaire is None:
            raise fail(links_path, line, "actor", f"no questionnaire for {row['actor']!r}")
        values = None
        if row["question"]:
            question = questionnaire.question(row["question"])
            if question is None:
                raise fail(
                    links_path,
                    line,
                    "question",
                    f"{row['question']!r} is not a question of {questionnaire.id}",
                )
            if row["values"]:
                try:
                    values = json.loads(row["values"])
                except ValueError:
                    values = None
                accepted = set(question.accepted_values())
                if (
                    not isinstance(values, list)
                    or not values
                    or any(value is not None and value not in accepted for value in values)
                ):
                    raise fail(
                        links_path,
                        line,
                        "values",
                        f"{row['values']!r} must be a JSON list of values of {row['question']!r}",
                    )
        links[identity] = {
            "question_id": row["question"] or None,
            "answer_values": values,
            "label_en": row["label_en"] or None,
        }
    figures = []
    seen = set()
    for line, row in read_rows(path, SURVEY_COLUMNS):
        if row["actor"] not in catalog.vocabulary.actors:
            raise fail(path, line, "actor", f"{row['actor']!r} is not an actor type")
        identity = (row["study"], row["fieldwork"], row["actor"], row["metric"])
        if identity in seen:
            raise fail(path, line, "metric", f"{row['metric']!r} is given twice for this study")
        seen.add(identity)
        value_pct = _number(path, line, "value_pct", row["value_pct"]) if row["value_pct"] else None
        score_10 = _number(path, line, "score_10", row["score_10"]) if row["score_10"] else None
        if (value_pct is None) == (score_10 is None):
            raise fail(path, line, "value_pct", "give either value_pct or score_10")
        if not row["source"]:
            raise fail(path, line, "source", "is empty")
        figures.append(
            {
                "study": row["study"],
                "fieldwork": row["fieldwork"],
                "actor": row["actor"],
                "sample": row["sample"] or None,
                "metric": row["metric"],
                "label_fr": row["label_fr"],
                "value_pct": value_pct,
                "score_10": score_10,
                "note": row["note"] or None,
                "source": row["source"],
                **links.get(
                    identity, {"question_id": None, "answer_values": None, "label_en": None}
                ),
            }
        )
    return figures


def load_survey_figures(
    catalog: Catalog,
    path: Path = SURVEY_FILE,
    links_path: Path = SURVEY_LINKS_FILE,
    force: bool = False,
) -> int:
    checksum = _checksum(path, links_path)
    if not force and _already_loaded("survey_figures", checksum):
        return 0
    figures = read_survey_figures(path, links_path, catalog)
    db.session.execute(delete(SurveyFigure))
    db.session.execute(insert(SurveyFigure), figures)
    _record("survey_figures", checksum)
    db.session.commit()
    return len(figures)


# --------------------------------------------------------------------------- reading


def _definitions() -> dict[str, IndicatorDefinition]:
    return {
        indicator.key: IndicatorDefinition(
            indicator.key, indicator.domain, indicator.higher_is_fragile, indicator.in_index
        )
        for indicator in db.session.scalars(select(Indicator))
    }


def _figures(level: str, code: str) -> list[Figure]:
    rows = db.session.scalars(
        select(IndicatorValue)
        .where(IndicatorValue.level == level, IndicatorValue.code == code)
        .order_by(IndicatorValue.indicator_key, IndicatorValue.year)
    )
    return [Figure(r.indicator_key, r.year, r.value, r.unit, r.source, r.scope) for r in rows]


def territory_fragility(territory: Territory, domains: list[str]) -> dict[str, DomainFragility]:
    """The fragility index of every domain for a territory (no index where nothing counts)."""
    national = {scope: _figures("pays", scope) for scope in NATIONAL_SCOPES}
    if territory.level == "pays":
        figures = national.get(territory.code, [])
    else:
        figures = _figures(territory.level, territory.code)
    return fragility_by_domain(figures, national, _definitions(), domains)


def indicator_labels() -> dict[str, Indicator]:
    return {indicator.key: indicator for indicator in db.session.scalars(select(Indicator))}


@dataclass(frozen=True)
class StructuralFigure:
    key: str
    value: float
    unit: str
    year: str
    source: str
    #: Computed here from other figures (say so where shown).
    derived: bool = False


def territory_profile(territory: Territory) -> dict[str, StructuralFigure]:
    """Population, area, density and age bands of a territory, each with its year and source."""
    profile: dict[str, StructuralFigure] = {}
    if territory.population is not None:
        profile["population"] = StructuralFigure(
            "population",
            territory.population,
            "habitants",
            "découpage 2026",
            "Insee, populations légales municipales livrées avec le découpage administratif "
            "Etalab 2026 (@etalab/decoupage-administratif 6.0.0)",
        )
    rows = db.session.scalars(
        select(IndicatorValue)
        .join(Indicator)
        .where(
            IndicatorValue.level == territory.level,
            IndicatorValue.code == territory.code,
            Indicator.domain == STRUCTURE,
        )
    )
    for row in rows:
        derived = row.indicator_key == "densite_population_hab_km2" or "DERIVED" in row.source
        profile[row.indicator_key] = StructuralFigure(
            row.indicator_key, row.value, row.unit, row.year, row.source, derived
        )
    total = profile.get("pop_total_elp")
    if total is not None and total.value > 0:
        for band in ("pop_0_19", "pop_20_59", "pop_60_74", "pop_75_plus"):
            if band in profile:
                figure = profile[band]
                profile["share_" + band[4:]] = StructuralFigure(
                    "share_" + band[4:],
                    round(100 * figure.value / total.value, 1),
                    "%",
                    figure.year,
                    figure.source,
                    derived=True,
                )
    return profile


def survey_figures(actor: str) -> list[SurveyFigure]:
    """The published figures for an actor type that compare with one of its questions."""
    return list(
        db.session.scalars(
            select(SurveyFigure)
            .where(SurveyFigure.actor == actor, SurveyFigure.question_id.is_not(None))
            .order_by(SurveyFigure.id)
        )
    )


def load_reference(catalog: Catalog, force: bool = False) -> dict[str, int]:
    """Load everything the application ships: territories, indicator definitions and values,
    survey figures. Files unchanged since the last load are skipped (idempotent)."""
    from .territories import load_territories

    counts = {
        f"territories ({level})": count for level, count in load_territories(force=force).items()
    }
    counts["indicator definitions"] = load_definitions(catalog, force=force)
    counts["indicator values"] = load_indicators(catalog, force=force)
    counts["survey figures"] = load_survey_figures(catalog, force=force)
    return {name: count for name, count in counts.items() if count}
