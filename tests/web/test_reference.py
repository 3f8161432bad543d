"""Reference data: indicators and their definitions, the fragility index, survey figures, and the
territory API."""

from __future__ import annotations

import csv
import math
import shutil

import pytest
from sqlalchemy import func, select

from diagnostic.extensions import db
from diagnostic.models import Indicator, IndicatorValue, SurveyFigure
from diagnostic.registry import catalog
from diagnostic.services import reference
from diagnostic.services.territories import ReferenceFileError, get_territory
from tests.conftest import INDICATOR_FIXTURES

SHIPPED = reference.INDICATORS_FILE
HEADER = "level,code,name,domain,indicator,value,unit,year,source"


def shipped_rows(level: str, code: str) -> dict[tuple[str, str], dict]:
    with SHIPPED.open(encoding="utf-8") as stream:
        return {
            (row["indicator"], row["year"]): row
            for row in csv.DictReader(stream)
            if row["level"] == level and row["code"] == code and row["value"]
        }


def test_the_fixture_indicators_are_the_shipped_rows():
    with INDICATOR_FIXTURES.open(encoding="utf-8") as stream:
        fixture = list(csv.DictReader(stream))
    with SHIPPED.open(encoding="utf-8") as stream:
        shipped = {tuple(row.values()) for row in csv.DictReader(stream)}
    assert len(fixture) > 400
    assert all(tuple(row.values()) in shipped for row in fixture)


def test_fragility_index_computed_by_hand(app):
    with app.app_context():
        domains = list(catalog().vocabulary.domains)
        ile_de_france = reference.territory_fragility(get_territory("region:11"), domains)
        occitanie = reference.territory_fragility(get_territory("region:76"), domains)
    assert list(ile_de_france) == domains
    # Overcrowding, a problem: 100 × 21.16 / 9.52 (France métropolitaine, RP2022).
    assert ile_de_france["logement"].index == pytest.approx(100 * 21.16 / 9.52)
    # Commuting over 30 min: 100 × 46.76 / 25.53 (2014).
    assert ile_de_france["mobilite"].index == pytest.approx(100 * 46.76 / 25.53)
    # GPs per 100,000, a resource: 100 × France / region = 100 × 146.8 / 132.9; the APL (2015)
    # is listed for information only.
    sante = ile_de_france["sante"]
    assert sante.index == pytest.approx(100 * 146.8 / 132.9)
    assert [(i.figure.indicator, i.in_index) for i in sante.indicators] == [
        ("densite_medecins_generalistes_pour_100k", True),
        ("apl_medecins_generalistes", False),
    ]
    # Two education indicators: geometric mean of 100 × 37.65 / 48.6 and 100 × 14.79 / 17.57.
    assert ile_de_france["education"].index == pytest.approx(
        math.sqrt((100 * 37.65 / 48.6) * (100 * 14.79 / 17.57))
    )
    # Poverty 2019: 100 × 16.8 / 14.5; the 2021 edition is for information only.
    assert occitanie["pauvrete"].index == pytest.approx(100 * 16.8 / 14.5)
    # No indicator at all, and an indicator that describes the population (not in the index).
    assert occitanie["environnement"].index is None
    assert occitanie["environnement"].indicators == ()
    assert occitanie["diversite"].index is None
    assert [i.figure.indicator for i in occitanie["diversite"].indicators] == ["part_immigres"]


def test_territory_api_gives_the_16_domains_with_their_sources(client):
    body = client.get("/api/v1/territories/region:76").get_json()
    assert (body["code"], body["level"], body["name"]) == ("76", "region", "Occitanie")
    assert body["parents"] == [{"key": "pays:FR", "level": "pays", "code": "FR", "name": "France"}]
    assert set(body["fragility"]) == set(catalog_domains(client))
    expected = shipped_rows("region", "76")
    listed = 0
    for domain, result in body["fragility"].items():
        assert set(result) == {"index", "indicators"}
        for indicator in result["indicators"]:
            row = expected[(indicator["key"], indicator["year"])]
            assert indicator["value"] == float(row["value"])
            assert indicator["unit"] == row["unit"]
            assert indicator["source"] == row["source"]
            assert row["domain"] == domain
            assert indicator["label"]
            listed += 1
    domain_rows = [key for key, row in expected.items() if row["domain"] != "structure"]
    assert listed == len(domain_rows)
    assert body["fragility"]["environnement"] == {"index": None, "indicators": []}
    assert body["fragility"]["pauvrete"]["index"] == round(100 * 16.8 / 14.5, 1)
    profile = body["profile"]
    assert profile["population"]["value"] == 6124653
    assert profile["superficie_km2"]["year"] == "2024"
    assert profile["densite_population_hab_km2"]["derived"] is True
    assert profile["share_75_plus"]["derived"] is True
    assert profile["share_75_plus"]["value"] == round(100 * 624886 / 5885496, 1)


def catalog_domains(client):
    with client.application.app_context():
        return list(catalog().vocabulary.domains)


def test_commune_api_names_its_parents(client):
    body = client.get("/api/v1/territories/commune:69123").get_json()
    assert [p["key"] for p in body["parents"]] == [
        "epci:200046977",
        "departement:69",
        "region:84",
        "pays:FR",
    ]
    assert all(result["index"] is None for result in body["fragility"].values())
    assert body["profile"]["population"]["value"] == 519127


@pytest.mark.parametrize("key", ["region:99", "region", "69123", "region:84:x", "ville:1"])
def test_unknown_territory_is_404(client, key):
    missing = client.get(f"/api/v1/territories/{key}")
    assert missing.status_code == 404
    assert set(missing.get_json()) == {"error", "details"}


def test_survey_figures_are_linked_to_questions(app):
    with app.app_context():
        figures = db.session.scalars(select(SurveyFigure)).all()
        assert len(figures) == 48
        linked = {(f.actor, f.metric): (f.question_id, f.answer_values) for f in figures}
        assert linked[("citoyen", "alliances_accelerateur_innovation")] == (
            "inno_accelerateur",
            [4, 3],
        )
        assert linked[("elu", "co_construction_deja_lancee")] == (
            "co_construction",
            ["deja_lancee"],
        )
        assert linked[("citoyen", "fragilite_emploi")] == ("fragilite_emploi", None)
        jouer = next(
            f
            for f in figures
            if f.actor == "entreprise" and f.metric == "jouer_collectif_incontournable"
        )
        assert (jouer.value_pct, jouer.sample, jouer.fieldwork) == (
            36.0,
            "609 chefs d'entreprise (CATI)",
            "2020-05-13/20",
        )
        # Every link names a real question of that actor's questionnaire.
        for figure in figures:
            if figure.question_id:
                assert catalog().get(figure.actor).question(figure.question_id) is not None


# --------------------------------------------------------------------------- operator imports


def write_csv(path, *lines: str) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_an_operator_can_import_a_new_indicator(app, tmp_path):
    path = tmp_path / "artificialisation.csv"
    write_csv(
        path,
        HEADER + ",higher_is_fragile,label_fr,label_en,publisher",
        "region,76,Occitanie,environnement,part_sols_artificialises,6.3,%,2021,"
        "Cerema fichiers fonciers 2021,oui,Part des sols artificialisés,Share of built-up "
        "land,Cerema",
        "pays,FR,France,environnement,part_sols_artificialises,5.4,%,2021,"
        "Cerema fichiers fonciers 2021,oui,,,",
    )
    with app.app_context():
        try:
            assert reference.load_indicators(catalog(), path) == 2
            assert reference.load_indicators(catalog(), path) == 0  # unchanged: skipped
            indicator = db.session.get(Indicator, "part_sols_artificialises")
            assert (indicator.domain, indicator.higher_is_fragile, indicator.in_index) == (
                "environnement",
                True,
                True,
            )
            assert indicator.label_en == "Share of built-up land"
            fragility = reference.territory_fragility(
                get_territory("region:76"), list(catalog().vocabulary.domains)
            )
            assert fragility["environnement"].index == pytest.approx(100 * 6.3 / 5.4)
            # A newer file with the same territory, indicator and year replaces the figure.
            update = tmp_path / "correction.csv"
            write_csv(
                update,
                HEADER,
                "region,76,Occitanie,environnement,"
                "part_sols_artificialises,6.1,%,2021,Cerema (corrigé)",
            )
            assert reference.load_indicators(catalog(), update) == 1
            values = db.session.scalars(
                select(IndicatorValue).where(
                    IndicatorValue.indicator_key == "part_sols_artificialises"
                )
            ).all()
            assert sorted((v.code, v.value, v.origin) for v in values) == [
                ("76", 6.1, "correction.csv"),
                ("FR", 5.4, "artificialisation.csv"),
            ]
        finally:
            db.session.rollback()
            db.session.execute(
                IndicatorValue.__table__.delete().where(
                    IndicatorValue.indicator_key == "part_sols_artificialises"
                )
            )
            db.session.execute(
                Indicator.__table__.delete().where(Indicator.key == "part_sols_artificialises")
            )
            from diagnostic.models import ReferenceImport

            db.session.execute(
                ReferenceImport.__table__.delete().where(
                    ReferenceImport.name.in_(
                        ["indicators:artificialisation.csv", "indicators:correction.csv"]
                    )
                )
            )
            db.session.commit()


BAD_ROWS = [
    (
        "region,76,Occitanie,environnement,nouvel_indicateur,6.3,%,2021,Cerema",
        "line 2, column higher_is_fragile: indicator 'nouvel_indicateur' is not defined yet",
    ),
    (
        "region,99,Nulle part,pauvrete,taux_pauvrete_60,12,%,2019,Insee",
        "line 2, column code: no territory region:99",
    ),
    (
        "ville,76,Occitanie,pauvrete,taux_pauvrete_60,12,%,2019,Insee",
        "line 2, column level: 'ville' is not pays",
    ),
    (
        "region,76,Occitanie,bonheur,taux_pauvrete_60,12,%,2019,Insee",
        "line 2, column domain: 'bonheur' is not one of the 16 domains",
    ),
    (
        "region,76,Occitanie,emploi,taux_pauvrete_60,12,%,2019,Insee",
        "line 2, column domain: indicator 'taux_pauvrete_60' belongs to 'pauvrete'",
    ),
    (
        "region,76,Occitanie,pauvrete,taux_pauvrete_60,douze,%,2019,Insee",
        "line 2, column value: 'douze' is not a number",
    ),
    ("region,76,Occitanie,pauvrete,taux_pauvrete_60,12,%,2019,", "line 2, column source: is empty"),
    (
        "region,76,Occitanie,pauvrete,Taux Pauvreté,12,%,2019,Insee",
        "line 2, column indicator: 'Taux Pauvreté' is not an identifier",
    ),
]


@pytest.mark.parametrize(("row", "message"), BAD_ROWS, ids=[m.split(": ")[0] for _r, m in BAD_ROWS])
def test_bad_indicator_files_are_refused_with_line_and_column(app, tmp_path, row, message):
    path = tmp_path / "import.csv"
    write_csv(path, HEADER, row)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(IndicatorValue))
        with pytest.raises(ReferenceFileError) as error:
            reference.load_indicators(catalog(), path)
        assert f"import.csv: {message}" in str(error.value)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) == before


def test_a_row_given_twice_and_a_missing_column_are_refused(app, tmp_path):
    path = tmp_path / "twice.csv"
    row = "region,76,Occitanie,pauvrete,taux_pauvrete_60,12,%,2019,Insee"
    write_csv(path, HEADER, row, row)
    with app.app_context(), pytest.raises(ReferenceFileError, match="line 3, column year"):
        reference.load_indicators(catalog(), path)
    write_csv(path, "level,code,domain,indicator,value,unit,year", row)
    with app.app_context(), pytest.raises(ReferenceFileError, match="line 1: missing column"):
        reference.load_indicators(catalog(), path)


def test_survey_links_are_checked_against_the_questionnaires(app, tmp_path):
    links = tmp_path / "survey_links.csv"
    text = reference.SURVEY_LINKS_FILE.read_text(encoding="utf-8")
    links.write_text(
        text.replace("levier_regles_normes,levier,", "levier_regles_normes,lever,"),
        encoding="utf-8",
    )
    with (
        app.app_context(),
        pytest.raises(ReferenceFileError, match=r"line 5, column question: 'lever'"),
    ):
        reference.read_survey_figures(reference.SURVEY_FILE, links, catalog())
    links.write_text(text.replace('"[""regles_normes""]"', '"[""lois""]"'), encoding="utf-8")
    with app.app_context(), pytest.raises(ReferenceFileError, match="line 5, column values"):
        reference.read_survey_figures(reference.SURVEY_FILE, links, catalog())


def test_load_reference_command_imports_a_csv(app, tmp_path):
    path = tmp_path / "bad.csv"
    write_csv(path, HEADER, "region,76,Occitanie,pauvrete,taux_pauvrete_60,x,%,2019,Insee")
    result = app.test_cli_runner().invoke(args=["load-reference", str(path)])
    assert result.exit_code == 1
    assert "bad.csv: line 2, column value" in result.output
    copy = tmp_path / "indicators.csv"
    shutil.copy(INDICATOR_FIXTURES, copy)
    result = app.test_cli_runner().invoke(args=["load-reference", str(copy)])
    assert result.exit_code == 0, result.output
    assert "nothing to do" in result.output  # the same file name and content as at start-up
