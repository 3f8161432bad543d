"""The official territories: loading the reference files, finding a commune, reading a key."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, delete, insert, or_, select

from ..extensions import db
from ..models import PostalCode, ReferenceImport, Territory, utcnow
from .files import DATA_DIR, ReferenceFileError, read_rows

TERRITORIES_DIR = DATA_DIR / "territories"
LEVELS = ("pays", "region", "departement", "epci", "commune")
KEY = re.compile(r"^(?P<level>pays|region|departement|epci|commune):(?P<code>[0-9A-Za-z]{1,12})$")

FILES = {
    "regions.csv": ("code", "name", "zone", "chef_lieu", "population_municipale"),
    "departements.csv": ("code", "name", "region", "zone", "chef_lieu", "population_municipale"),
    "epci.csv": ("siren", "name", "type", "population_municipale", "population_totale", "communes"),
    "communes.csv": (
        "code",
        "name",
        "departement",
        "region",
        "epci",
        "zone",
        "population_municipale",
        "postal_codes",
    ),
}


# --------------------------------------------------------------------------- search


_SAINT = re.compile(r"\b(st|ste)\b")


def normalise(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, « st »/« ste » as « saint »/« sainte »."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    plain = plain.replace("œ", "oe").replace("æ", "ae")
    plain = re.sub(r"[^a-z0-9]+", " ", plain).strip()
    return _SAINT.sub(lambda m: "saint" if m.group(1) == "st" else "sainte", plain)


@dataclass(frozen=True)
class Match:
    """A commune found by a search, with what tells it apart from its namesakes."""

    key: str
    name: str
    departement_code: str | None
    departement_name: str | None
    postal_codes: tuple[str, ...]
    population: int | None


def search_communes(query: str, limit: int = 20) -> list[Match]:
    """Communes whose name starts with (or contains) `query`, or whose postal code starts with it.

    Name matches that start with the query come first; within each group, larger communes first.
    """
    return search_territories(query, ("commune",), limit=limit)


def _inside(scope: Territory):
    """Conditions on a commune row for it to lie in `scope`."""
    column = {"commune": Territory.code, "epci": Territory.epci_code,
              "departement": Territory.departement_code, "region": Territory.region_code}
    return column[scope.level] == scope.code


def search_territories(query: str, levels: tuple[str, ...], within: Territory | None = None,
                       limit: int = 20) -> list[Match]:
    """Territories of `levels` found by name (start of a word) or, for communes, postal code
    (and, for departments, their code); only those inside `within` when given. Best first:
    names that start with the query, then the most populated."""
    query = (query or "").strip()
    if not query:
        return []
    conditions = [Territory.level.in_(levels)]
    if within is not None:
        parts = [and_(Territory.level == "commune", _inside(within))]
        if "epci" in levels and within.level != "commune":
            epcis = select(Territory.epci_code).where(Territory.level == "commune",
                                                      _inside(within))
            parts.append(and_(Territory.level == "epci", Territory.code.in_(epcis)))
        if "departement" in levels and within.level == "region":
            parts.append(and_(Territory.level == "departement",
                              Territory.region_code == within.code))
        conditions.append(or_(*parts))
    if re.fullmatch(r"[0-9]{2,5}|2[AB]", query, flags=re.IGNORECASE):
        ids = select(PostalCode.territory_id).where(PostalCode.code.startswith(query))
        by_code = Territory.id.in_(ids)
        if "departement" in levels:
            by_code = or_(by_code, and_(Territory.level == "departement",
                                        Territory.code == query.upper()))
        found = db.session.scalars(
            select(Territory).where(*conditions, by_code)
            .order_by(Territory.population.desc().nulls_last(), Territory.name).limit(limit)
        ).all()
    else:
        needle = normalise(query)
        if len(needle) < 2:
            return []
        starts = Territory.search_name.startswith(needle)
        found = db.session.scalars(
            select(Territory).where(*conditions,
                                    or_(starts, Territory.search_name.contains(" " + needle)))
            .order_by(starts.desc(), Territory.population.desc().nulls_last(), Territory.name)
            .limit(limit)
        ).all()
    return _matches(found)


def _matches(communes: list[Territory]) -> list[Match]:
    departement_codes = {c.departement_code for c in communes if c.departement_code}
    names = (
        dict(
            db.session.execute(
                select(Territory.code, Territory.name).where(
                    Territory.level == "departement", Territory.code.in_(departement_codes)
                )
            ).all()
        )
        if departement_codes
        else {}
    )
    return [
        Match(
            key=c.key,
            name=c.name,
            departement_code=c.departement_code,
            departement_name=names.get(c.departement_code),
            postal_codes=tuple(p.code for p in c.postal_codes),
            population=c.population,
        )
        for c in communes
    ]


def as_match(territory: Territory) -> Match:
    return _matches([territory])[0]


def parse_key(key: str) -> tuple[str, str] | None:
    """`(level, code)` of a key written `level:code`, or None if it is not written so."""
    match = KEY.fullmatch(key or "")
    return (match["level"], match["code"]) if match else None


def get_territory(key: str) -> Territory | None:
    parsed = parse_key(key)
    if parsed is None:
        return None
    level, code = parsed
    return db.session.scalar(
        select(Territory).where(Territory.level == level, Territory.code == code)
    )


@dataclass(frozen=True)
class Place:
    """What a submission needs of its territory: its key and its region."""

    level: str
    code: str
    region_code: str | None

    @property
    def key(self) -> str:
        return f"{self.level}:{self.code}"


def place(key: str) -> Place | None:
    """The territory of a key as a `Place`, or None if there is none.

    Found places are kept per application (~36,000 territories at most, a few MB): every API
    submission names its territory, and the map only changes when it is loaded again, which
    empties the cache of that process (other server processes see a new map when restarted, as
    after any `init-db`). Unknown keys are not kept.
    """
    places = current_app.extensions.setdefault("territory_places", {})
    found = places.get(key)
    if found is None:
        parsed = parse_key(key)
        if parsed is None:
            return None
        row = db.session.execute(
            select(Territory.level, Territory.code, Territory.region_code)
            .where(Territory.level == parsed[0], Territory.code == parsed[1])).first()
        if row is None:
            return None
        found = places[key] = Place(*row)
    return found


def parents(territory: Territory) -> list[Territory]:
    """The enclosing territories, smallest first: EPCI, department, region, country."""
    wanted = []
    if territory.level == "commune":
        wanted += [("epci", territory.epci_code), ("departement", territory.departement_code)]
    if territory.level in ("commune", "departement"):
        wanted.append(("region", territory.region_code))
    if territory.level != "pays":
        wanted.append(("pays", "FR"))
    wanted = [(level, code) for level, code in wanted if code]
    if not wanted:
        return []
    found = {
        (t.level, t.code): t
        for t in db.session.scalars(
            select(Territory).where(
                or_(
                    *[
                        (Territory.level == level) & (Territory.code == code)
                        for level, code in wanted
                    ]
                )
            )
        )
    }
    return [found[key] for key in wanted if key in found]


def region_code_of(territory: Territory | Place) -> str | None:
    """The region of a territory (itself for a region; None for the country or an EPCI)."""
    if territory.level == "region":
        return territory.code
    return territory.region_code


def describe(territory: Territory) -> str:
    """A name that tells namesakes apart: « Saint-Denis (93) »."""
    if territory.level == "commune" and territory.departement_code:
        return f"{territory.name} ({territory.departement_code})"
    return territory.name


# --------------------------------------------------------------------------- loading


def _required(path: Path, line: int, row: dict[str, str], column: str, pattern: str = r".+") -> str:
    value = row[column].strip()
    if not re.fullmatch(pattern, value):
        raise ReferenceFileError(
            f"{path}: line {line}, column {column}: {value!r} is not a valid value"
        )
    return value


def _population(path: Path, line: int, row: dict[str, str]) -> int | None:
    """The population, None where the file gives none (some overseas collectivities)."""
    value = row["population_municipale"].strip()
    if value == "":
        return None
    if not value.isdigit():
        raise ReferenceFileError(
            f"{path}: line {line}, column population_municipale: {value!r} is not a whole number"
        )
    return int(value)


def read_territories(directory: Path) -> tuple[list[dict], list[tuple[str, str]]]:
    """Territory rows and `(commune code, postal code)` pairs from the four reference files."""
    territories: list[dict] = []
    postal: list[tuple[str, str]] = []
    code = r"[0-9A-Z]{2,3}"
    seen: set[tuple[str, str]] = set()

    def add(path: Path, line: int, row: dict) -> None:
        if (row["level"], row["code"]) in seen:
            raise ReferenceFileError(
                f"{path}: line {line}: {row['level']} {row['code']} appears twice"
            )
        seen.add((row["level"], row["code"]))
        row["search_name"] = normalise(row["name"])
        territories.append(row)

    path = directory / "regions.csv"
    for line, row in read_rows(path, FILES["regions.csv"]):
        add(
            path,
            line,
            {
                "level": "region",
                "code": _required(path, line, row, "code", code),
                "name": _required(path, line, row, "name"),
                "population": _population(path, line, row),
                "region_code": row["code"].strip(),
                "departement_code": None,
                "epci_code": None,
                "zone": _required(path, line, row, "zone", "metro|drom|com"),
            },
        )
    path = directory / "departements.csv"
    for line, row in read_rows(path, FILES["departements.csv"]):
        add(
            path,
            line,
            {
                "level": "departement",
                "code": _required(path, line, row, "code", code),
                "name": _required(path, line, row, "name"),
                "population": _population(path, line, row),
                "region_code": _required(path, line, row, "region", code),
                "departement_code": row["code"].strip(),
                "epci_code": None,
                "zone": _required(path, line, row, "zone", "metro|drom|com"),
            },
        )
    path = directory / "epci.csv"
    for line, row in read_rows(path, FILES["epci.csv"]):
        add(
            path,
            line,
            {
                "level": "epci",
                "code": _required(path, line, row, "siren", r"[0-9]{9}"),
                "name": _required(path, line, row, "name"),
                "population": _population(path, line, row),
                "region_code": None,
                "departement_code": None,
                "epci_code": row["siren"].strip(),
                "zone": None,
            },
        )
    path = directory / "communes.csv"
    for line, row in read_rows(path, FILES["communes.csv"]):
        commune = _required(path, line, row, "code", r"[0-9][0-9AB][0-9]{3}")
        add(
            path,
            line,
            {
                "level": "commune",
                "code": commune,
                "name": _required(path, line, row, "name"),
                "population": _population(path, line, row),
                "region_code": _required(path, line, row, "region", code),
                "departement_code": _required(path, line, row, "departement", code),
                "epci_code": _required(path, line, row, "epci", r"([0-9]{9})?") or None,
                "zone": _required(path, line, row, "zone", "metro|drom|com"),
            },
        )
        for postal_code in row["postal_codes"].split():
            if not re.fullmatch(r"[0-9]{5}", postal_code):
                raise ReferenceFileError(
                    f"{path}: line {line}, column postal_codes: "
                    f"{postal_code!r} is not a postal code"
                )
            postal.append((commune, postal_code))
    regions = [t for t in territories if t["level"] == "region"]
    # The country, and France métropolitaine, the scope of several national figures.
    for code, name, zones in (
        ("FRM", "France métropolitaine", ("metro",)),
        ("FR", "France", ("metro", "drom", "com")),
    ):
        territories.insert(
            0,
            {
                "level": "pays",
                "code": code,
                "name": name,
                "search_name": normalise(name),
                "population": sum(r["population"] or 0 for r in regions if r["zone"] in zones),
                "region_code": None,
                "departement_code": None,
                "epci_code": None,
                "zone": None,
            },
        )
    return territories, postal


def checksum(directory: Path) -> str:
    digest = hashlib.sha256()
    for name in sorted(FILES):
        digest.update(name.encode())
        digest.update((directory / name).read_bytes())
    return digest.hexdigest()


def load_territories(directory: Path = TERRITORIES_DIR, force: bool = False) -> dict[str, int]:
    """Load the official territories, replacing those loaded before, in one transaction.

    Skipped (returns {}) when the same files were loaded last time, unless `force`.
    Returns the number of territories loaded per level.
    """
    directory = Path(directory)
    try:
        digest = checksum(directory)
    except OSError as error:
        raise ReferenceFileError(f"{directory}: {error.strerror}: {error.filename}") from error
    previous = db.session.get(ReferenceImport, "territories")
    if previous is not None and previous.checksum == digest and not force:
        return {}
    territories, postal = read_territories(directory)
    db.session.execute(delete(PostalCode))
    db.session.execute(delete(Territory))
    db.session.execute(insert(Territory), territories)
    ids = dict(
        db.session.execute(
            select(Territory.code, Territory.id).where(Territory.level == "commune")
        ).all()
    )
    db.session.execute(
        insert(PostalCode),
        [{"territory_id": ids[commune], "code": code} for commune, code in postal],
    )
    if previous is None:
        db.session.add(ReferenceImport(name="territories", checksum=digest))
    else:
        previous.checksum = digest
        previous.loaded_at = utcnow()
    db.session.commit()
    current_app.extensions.pop("territory_places", None)
    counts: dict[str, int] = {}
    for row in territories:
        counts[row["level"]] = counts.get(row["level"], 0) + 1
    return counts
