"""The official territories: loading with validation, search by name and postal code."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from diagnostic.database import migrate_schema
from diagnostic.extensions import db
from diagnostic.models import PostalCode, Territory
from diagnostic.services.territories import (
    TERRITORIES_DIR,
    ReferenceFileError,
    load_territories,
    normalise,
    search_communes,
)
from tests.conftest import TERRITORY_FIXTURES, fresh_database, make_app


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Saint-Étienne", "saint etienne"),
        ("St Étienne", "saint etienne"),
        ("Ste-Foy-lès-Lyon", "sainte foy les lyon"),
        ("L'Haÿ-les-Roses", "l hay les roses"),
        ("  ŒUVRE  ", "oeuvre"),
        ("Bourg-en-Bresse", "bourg en bresse"),
    ],
)
def test_names_are_normalised_for_search(text, expected):
    assert normalise(text) == expected


def test_search_by_name_prefix_and_word(app):
    with app.app_context():
        assert [m.key for m in search_communes("villeur")] == ["commune:69266"]
        # A word inside the name matches too (« vaulx » finds Vaulx-en-Velin, « velin » as well).
        assert [m.key for m in search_communes("velin")] == ["commune:69256"]
        assert search_communes("x") == []
        assert search_communes("   ") == []
        # Larger communes first.
        assert [m.name for m in search_communes("saint denis")] == ["Saint-Denis", "Saint-Denis"]
        assert search_communes("saint denis")[0].departement_code == "974"


def test_search_by_postal_code(app):
    with app.app_context():
        assert [m.key for m in search_communes("01400")] == ["commune:01001"]
        assert {m.key for m in search_communes("69")} >= {"commune:69123", "commune:69266"}
        assert search_communes("20000")[0].key == "commune:2A004"


@pytest.mark.slow
def test_the_whole_official_map_loads_once(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        app = make_app(url, tmp_path / "instance")
        with app.app_context():
            migrate_schema()
            counts = load_territories()
            assert counts == {
                "pays": 2,
                "region": 26,
                "departement": 109,
                "epci": 1255,
                "commune": 34969,
            }
            zones = dict(
                db.session.execute(
                    select(Territory.zone, func.count())
                    .where(Territory.level == "region")
                    .group_by(Territory.zone)
                ).all()
            )
            assert zones == {"metro": 13, "drom": 5, "com": 8}  # 18 regions + collectivities
            departements = db.session.scalar(
                select(func.count()).where(
                    Territory.level == "departement", Territory.zone != "com"
                )
            )
            assert departements == 101
            assert db.session.scalar(select(func.count()).select_from(PostalCode)) == 35493
            lyon = db.session.scalar(select(Territory).filter_by(level="commune", code="69123"))
            assert (lyon.name, lyon.departement_code, lyon.region_code, lyon.epci_code) == (
                "Lyon",
                "69",
                "84",
                "200046977",
            )
            assert (
                db.session.scalar(select(Territory).filter_by(level="departement", code="84")).name
                == "Vaucluse"
            )
            assert (
                db.session.scalar(select(Territory).filter_by(level="region", code="84")).name
                == "Auvergne-Rhône-Alpes"
            )
            # Unchanged files are not loaded again; --force does.
            assert load_territories() == {}
            assert load_territories(force=True)["commune"] == 34969
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize(
    ("file", "line", "replace", "message"),
    [
        (
            "communes.csv",
            0,
            ("population_municipale", "population"),
            "communes.csv: line 1: missing column(s) population_municipale",
        ),
        ("communes.csv", 8, ("69123,", "6912X,"), "communes.csv: line 8, column code: '6912X'"),
        (
            "communes.csv",
            8,
            (",519127,", ",beaucoup,"),
            "communes.csv: line 8, column population_municipale: 'beaucoup' is not a whole number",
        ),
        (
            "communes.csv",
            8,
            ("69001 ", "6900 "),
            "communes.csv: line 8, column postal_codes: '6900' is not a postal code",
        ),
        ("regions.csv", 2, (",drom,", ",mars,"), "regions.csv: line 2, column zone: 'mars'"),
        ("epci.csv", 2, ("200040715", "2000"), "epci.csv: line 2, column siren: '2000'"),
        (
            "departements.csv",
            2,
            (",metro,", ",metro,extra,"),
            "departements.csv: line 2: expected 6",
        ),
    ],
)
def test_bad_reference_files_are_refused_with_file_line_and_column(
    app, tmp_path, file, line, replace, message
):
    directory = tmp_path / "territories"
    shutil.copytree(TERRITORY_FIXTURES, directory)
    path = directory / file
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    target = next(i for i, text in enumerate(lines) if i >= line - 1 and replace[0] in text)
    lines[target] = lines[target].replace(replace[0], replace[1], 1)
    path.write_text("".join(lines), encoding="utf-8")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Territory))
        with pytest.raises(ReferenceFileError) as error:
            load_territories(directory)
        assert message in str(error.value)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Territory)) == before


def test_load_reference_command_reports_a_bad_directory(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["load-reference", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert "Error:" in result.output and "missing" in result.output
    result = runner.invoke(args=["load-reference", str(TERRITORY_FIXTURES)])
    assert result.exit_code == 0
    assert "nothing to do" in result.output


def test_shipped_territory_files_are_the_reference_ones():
    for name in ("regions.csv", "departements.csv", "epci.csv", "communes.csv"):
        assert (TERRITORIES_DIR / name).stat().st_size > 1000
