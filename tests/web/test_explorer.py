"""The territory explorer: profiles with every reference figure as loaded, the perceived figures
of a region or a department computed by hand and protected like every figure, the comparison and
its CSV, the perceived API, the way into a questionnaire with the territory filled in, the links
from a results page and to the explorer.

Five citizens answer in the Rhône (Lyon ×3, Villeurbanne ×2; region 84). Department 69's index of
« logement » is 137.8 (≥ 110: objectively fragile).

    #  commune       logement  emploi  priorités          partenariats  confiance items → score
    C1 Lyon          8         4       logement, emploi   oui           4 4 1 4 4 1 → 100
    C2 Lyon          6         5       logement, emploi   oui           3 3 2 3 3 2 → 66.67
    C3 Villeurbanne  9         nsp     logement, emploi   non           4 3 2 2 3 1 → 72.22
    C4 Villeurbanne  4         6       santé              nsp           1 1 4 1 1 4 → 0
    C5 Lyon          3         7       sécurité           oui           2 3 3 2 ? 2 → 46.67

(confiance: six of the eight items answered, each `(v − 1) / 3 × 100`, the two reversed ones
`100 −` that; the score is the mean of those answered.)

With the five: logement mean 30 / 5 = 6.0 (≥ 6, and named a priority by 3 / 5 = 60 %: perceived;
index 137.8: « shared priority »), partnerships « oui » 3 / 5 = 60 % (« ne sait pas » 20 %),
confiance median 66.7, quartiles 46.7 and 72.2; « emploi » has one « ne sait pas » in five (20 %),
so its mean (22 / 4 = 5.5) rests on four ratings and stays hidden. With the first four responses
only (MIN_GROUP_SIZE − 1), every one of these is hidden.
"""

from __future__ import annotations

import csv
import html
import io
import re
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from babel.numbers import format_decimal
from markupsafe import escape
from sqlalchemy import delete, select

from diagnostic.extensions import db
from diagnostic.models import Indicator, IndicatorValue, Response
from diagnostic.registry import catalog
from diagnostic.services import explorer, reference, territories
from tests.answers import full_answers
from tests.conftest import Respondent, csrf_token

CONFIANCE = (
    "conf_interlocuteurs",
    "conf_vision_partagee",
    "conf_mefiance",
    "conf_pouvoir_agir",
    "conf_envie_engager",
    "conf_habitants_ecartes",
)


def citizen(logement, emploi, priorites, partenariats, confiance) -> dict:
    return {
        "fragilite_logement": logement,
        "fragilite_emploi": emploi,
        "priorites": priorites,
        "partenariats": partenariats,
        **{item: value for item, value in zip(CONFIANCE, confiance, strict=True)
           if value is not None},
    }


CITIZENS = [
    ("69123", citizen(8, 4, ["logement", "emploi"], "oui", (4, 4, 1, 4, 4, 1))),
    ("69123", citizen(6, 5, ["logement", "emploi"], "oui", (3, 3, 2, 3, 3, 2))),
    ("69266", citizen(9, None, ["logement", "emploi"], "non", (4, 3, 2, 2, 3, 1))),
    ("69266", citizen(4, 6, ["sante"], None, (1, 1, 4, 1, 1, 4))),
    ("69123", citizen(3, 7, ["securite"], "oui", (2, 3, 3, 2, None, 2))),
]
SCORES = [100.0, 66.67, 72.22, 0.0, 46.67]
SUPPRESSED_4 = {"n": 4, "suppressed": True}


@pytest.fixture(autouse=True)
def _fresh_counts(app, monkeypatch):
    """Counts recomputed as soon as responses change (the pages allow a minute's lag)."""
    monkeypatch.setitem(app.config, "EXPLORER_REFRESH_SECONDS", 0)


def submit(client, commune: str, answers: dict, questionnaire: str = "citoyen") -> str:
    created = client.post("/api/v1/responses", json={
        "questionnaire": questionnaire, "territory": f"commune:{commune}", "answers": answers})
    assert created.status_code == 201, created.get_json()
    return created.get_json()["token"]


def perceived_api(client, key: str) -> dict:
    answer = client.get(f"/api/v1/territories/{key}/perceived")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def cell(page: str, table: str, row: str, column: str) -> str:
    """The markup of the territory's own figure (`class="own"`) in a perceived table's cell."""
    body = re.search(rf'<table[^>]*id="{table}".*?</table>', page, re.S)[0]
    line = re.search(rf'<tr data-(?:domain|actor)="{row}">(.*?)</tr>', body, re.S)[1]
    if table == "perceived-partnerships":
        found = re.search(r'<td class="own">(.*?)</td>', line, re.S)
    else:
        found = re.search(rf'<td data-(?:actor|axis)="{column}">\s*<span class="own">(.*?)</span>'
                          r"\s*<br><span class=\"national", line, re.S)
    return found[1]


def text_of(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def hidden(markup: str) -> bool:
    """A figure not shown: the cell says so (« fewer than 5 answers »), and nothing else."""
    return re.fullmatch(r'\s*<span class="suppressed">[^<]*</span>\s*', markup) is not None


def esc(text: str) -> str:
    """As the templates escape it."""
    return str(escape(text))


def decimal(value: float, pattern: str = "#,##0.##") -> str:
    return format_decimal(value, pattern, locale="fr")


# --------------------------------------------------------------------------- reference figures


@pytest.mark.parametrize("key", ["departement:69", "region:84"])
def test_a_profile_shows_every_indicator_with_its_value_year_and_source_as_loaded(app, client,
                                                                                  key):
    page = client.get(f"/territoires/{key}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    level, code = key.split(":")
    with app.app_context():
        rows = db.session.execute(
            select(IndicatorValue, Indicator.domain).join(Indicator)
            .where(IndicatorValue.level == level, IndicatorValue.code == code)).all()
        structure = reference.territory_profile(territories.get_territory(key))
    assert len(rows) > 10
    checked = 0
    for row, domain in rows:
        if domain == reference.STRUCTURE:
            continue
        year = esc(row.year)
        found = re.search(
            rf'<tr data-indicator="{row.indicator_key}" data-year="{re.escape(year)}">(.*?)</tr>',
            text, re.S)
        assert found, (row.indicator_key, row.year)
        line = found[1]
        assert f'<td class="year">{esc(row.year)}</td>' in line
        assert f'<td class="source">{esc(row.source)}</td>' in line
        assert f"{decimal(row.value)} {esc(row.unit)}" in line
        checked += 1
    assert checked > 5
    # The structural figures (population, age bands, area, density) too.
    for figure in structure.values():
        assert esc(figure.source) in text
        assert f"<td>{esc(figure.year)}</td>" in text
        assert f"{decimal(figure.value, '#,##0.#')} {esc(figure.unit)}" in text


def test_a_commune_and_an_epci_link_to_their_department_and_region(client):
    for key, links in (
        ("commune:69123", ["/territoires/departement:69", "/territoires/region:84",
                           "/territoires/epci:200046977"]),
        ("epci:200046977", ["/territoires/departement:69", "/territoires/region:84"]),
    ):
        page = client.get(f"/territoires/{key}")
        assert page.status_code == 200, key
        text = page.get_data(as_text=True)
        for link in links:
            assert f'href="{link}"' in text, (key, link)
        assert 'id="perceived-domains"' not in text


def test_unknown_territories_are_not_found(client):
    for key in ("region:99", "nimporte", "pays:FR", "commune:00000"):
        assert client.get(f"/territoires/{key}").status_code == 404, key
    assert client.get("/api/v1/territories/region:99/perceived").status_code == 404
    answer = client.get("/api/v1/territories/commune:69123/perceived")
    assert answer.status_code == 404
    assert set(answer.get_json()) == {"error", "details"}


def test_the_map_page_lists_every_territory_with_its_value_and_class(app, client):
    page = client.get("/territoires?niveau=departement&domaine=logement")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<svg" in text and 'style="' not in text.split("<svg", 1)[1].split("</svg>")[0]
    with app.app_context():
        index = reference.territory_fragility(territories.get_territory("departement:69"),
                                              ["logement"])["logement"].index
    assert 'href="/territoires/departement:69">Rhône</a>' in text
    assert decimal(round(index, 1), "0.0") in text
    assert client.get("/territoires?niveau=commune").status_code == 400
    assert client.get("/territoires?domaine=rien").status_code == 400
    found = client.get("/territoires?q=Villeurbanne")
    assert found.status_code == 302 and found.location.endswith("/territoires/commune:69266")


# --------------------------------------------------------------------------- perceived figures


def test_perceived_figures_are_hidden_below_min_group_size_and_shown_at_it(app, client):
    assert app.config["MIN_GROUP_SIZE"] == 5
    for commune, answers in CITIZENS[:4]:
        submit(client, commune, answers)
    for key in ("departement:69", "region:84"):
        body = perceived_api(client, key)
        mine = body["actors"]["citoyen"]
        assert body["responses"]["citoyen"] == 4
        assert mine["domains"]["logement"]["mean"] == SUPPRESSED_4
        assert mine["domains"]["logement"]["priority"] == SUPPRESSED_4
        assert mine["domains"]["logement"]["classification"] == "suppressed"
        assert mine["impacts"]["confiance"]["territory"] == SUPPRESSED_4
        assert mine["partnerships"]["territory"]["oui"] == SUPPRESSED_4
        assert mine["domains"]["logement"]["national"]["mean"] == SUPPRESSED_4
        assert "value" not in str(mine["domains"]["logement"])
    page = client.get("/territoires/departement:69").get_data(as_text=True)
    assert hidden(cell(page, "perceived-domains", "logement", "citoyen"))
    assert hidden(cell(page, "perceived-impacts", "citoyen", "confiance"))
    assert hidden(cell(page, "perceived-partnerships", "citoyen", ""))

    submit(client, *CITIZENS[4])
    for key in ("departement:69", "region:84"):
        mine = perceived_api(client, key)["actors"]["citoyen"]
        logement = mine["domains"]["logement"]
        assert logement["mean"] == {"n": 5, "value": 6.0}
        assert logement["priority"] == {"n": 5, "value": 0.6}
        assert logement["dont_know"] == {"n": 5, "value": 0.0}
        assert mine["domains"]["emploi"]["dont_know"] == {"n": 5, "value": 0.2}
        assert mine["impacts"]["confiance"]["territory"] == {
            "n": 5, "median": 66.7, "q1": 46.7, "q3": 72.2}
        assert mine["partnerships"]["territory"]["oui"] == {"n": 5, "value": 0.6}
        assert mine["partnerships"]["territory"]["nsp"] == {"n": 5, "value": 0.2}
        # France is the same five here.
        assert logement["national"]["mean"] == {"n": 5, "value": 6.0}
    mine = perceived_api(client, "departement:69")["actors"]["citoyen"]
    assert mine["domains"]["logement"]["classification"] == "shared_priority"
    page = client.get("/territoires/departement:69").get_data(as_text=True)
    logement = cell(page, "perceived-domains", "logement", "citoyen")
    assert text_of(logement).startswith("6,0 / 10")
    assert re.search(r"\b60\s?%", text_of(logement))
    assert 'class="class class-shared_priority"' in logement
    assert text_of(cell(page, "perceived-impacts", "citoyen", "confiance")) == "67 (47–72)"
    assert re.fullmatch(r"60\s?%", text_of(cell(page, "perceived-partnerships", "citoyen", "")))
    # The mean of « emploi » rests on four ratings: hidden; its priority share on five: shown.
    emploi = cell(page, "perceived-domains", "emploi", "citoyen")
    assert hidden(emploi.split("<br>")[0])
    assert re.search(r"\b60\s?%", text_of(emploi))
    # Other actor types have no answer: nothing to show, nothing hidden.
    assert text_of(cell(page, "perceived-domains", "logement", "entreprise")) == "—"


def test_the_counts_are_each_response_s_metrics_added_up(app):
    """The GROUP BY counts (ratings added up by the database, other answers value by value)
    equal what `response_metrics` gives each response, added up (`add_metrics`), for France,
    every region and every department; the score histograms equal the stored scores."""
    from collections import Counter

    from diagnostic.services import demo
    from scoring.aggregates import add_metrics, response_metrics

    with app.app_context():
        demo.seed_demo(400, seed=7)
        found = explorer.count_responses(catalog())
        kept = ("n", "rating:", "rating_nsp:", "q:priorites", "q:partenariats")
        expected: dict[tuple[str, str], list] = {}
        scores: dict[tuple[str, str], Counter] = {}
        for response in db.session.scalars(select(Response).where(
                Response.status == "completed")):
            questionnaire = catalog().get(response.questionnaire_id,
                                          response.questionnaire_version)
            metrics = {metric: value for metric, value in response_metrics(
                questionnaire, response.answer_map(), explorer._DAY).items()
                if metric.startswith(kept)}
            place = territories.get_territory(response.territory)
            scopes = ["pays:FR", f"region:{place.region_code}",
                      f"departement:{place.departement_code}"]
            for scope in scopes:
                expected.setdefault((scope, response.actor), []).append(metrics)
                for score in response.scores:
                    if score.score_key is not None:
                        scores.setdefault((scope, response.actor), Counter())[
                            (score.axis, score.score_key)] += 1
    assert len(expected) > 20
    for (scope, actor), parts in expected.items():
        group = found.scope(scope)[actor]
        wanted = add_metrics(parts)
        assert group.metrics.keys() == {m for m, (count, _t) in wanted.items() if count}
        for metric, (count, total) in group.metrics.items():
            assert count == wanted[metric][0], (scope, actor, metric)
            assert total == pytest.approx(wanted[metric][1]), (scope, actor, metric)
        histograms = Counter({(axis, int(key)): int(number)
                              for axis, histogram in group.histograms.items()
                              for key, number in zip(histogram.keys, histogram.counts,
                                                     strict=True)})
        assert histograms == scores.get((scope, actor), Counter()), (scope, actor)


def test_the_stored_scores_are_those_computed_by_hand(app, client):
    tokens = [submit(client, commune, answers) for commune, answers in CITIZENS]
    with app.app_context():
        from diagnostic.services import responses

        scores = [responses.stored_scores(responses.find_response(token))["confiance"].score
                  for token in tokens]
    assert [round(score, 2) for score in scores] == SCORES


def test_an_emploi_mean_on_four_ratings_is_hidden_though_five_responded(client):
    for commune, answers in CITIZENS:
        submit(client, commune, answers)
    emploi = perceived_api(client, "departement:69")["actors"]["citoyen"]["domains"]["emploi"]
    assert emploi["mean"] == SUPPRESSED_4
    assert emploi["dont_know"] == {"n": 5, "value": 0.2}


def test_the_perceived_api_follows_its_documented_schema(client):
    from openapi_schema_validator import OAS31Validator

    document = client.get("/api/v1/openapi.json").get_json()
    assert "/territories/{key}/perceived" in document["paths"]
    assert "/maps/{level}.svg" in document["paths"]
    schema = {"$ref": "#/components/schemas/Perceived", "components": document["components"]}
    # Hidden (four responses), then shown (five).
    for added in (CITIZENS[:4], CITIZENS[4:]):
        for commune, answers in added:
            submit(client, commune, answers)
        for key in ("departement:69", "region:84", "region:11"):
            OAS31Validator(schema).validate(perceived_api(client, key))


def test_a_department_whose_neighbours_have_too_few_is_left_out(client):
    """Five citizens in the Rhône and one in the Isère: the Isère is hidden (one answer), so the
    Rhône must be too — region 84 minus the Rhône would give the Isère's answer away; the
    region itself (six) is shown."""
    for commune, answers in CITIZENS:
        submit(client, commune, answers)
    submit(client, "38185", citizen(10, 10, ["logement"], "oui", (4, 4, 1, 4, 4, 1)))
    department = perceived_api(client, "departement:69")["actors"]["citoyen"]
    assert department["left_out"] is True
    assert department["domains"]["logement"]["mean"] == {"n": 5, "suppressed": True}
    assert department["impacts"]["confiance"]["territory"] == {"n": 5, "suppressed": True}
    assert department["partnerships"]["territory"]["oui"] == {"n": 5, "suppressed": True}
    region = perceived_api(client, "region:84")["actors"]["citoyen"]
    assert region["left_out"] is False
    assert region["domains"]["logement"]["mean"] == {"n": 6, "value": 6.7}
    page = client.get("/territoires/departement:69").get_data(as_text=True)
    assert hidden(cell(page, "perceived-domains", "logement", "citoyen"))
    assert hidden(cell(page, "perceived-impacts", "citoyen", "confiance"))


def test_a_region_is_hidden_when_the_rest_of_france_has_too_few(client):
    """One citizen in Paris: France minus Auvergne-Rhône-Alpes would be that one answer."""
    for commune, answers in CITIZENS:
        submit(client, commune, answers)
    submit(client, "75056", citizen(10, 10, ["logement"], "oui", (4, 4, 1, 4, 4, 1)))
    for key in ("region:84", "departement:69", "region:11", "departement:75"):
        mine = perceived_api(client, key)["actors"]["citoyen"]
        assert mine["domains"]["logement"]["mean"]["suppressed"] is True, key
        assert mine["impacts"]["confiance"]["territory"]["suppressed"] is True, key
    assert perceived_api(client, "region:84")["actors"]["citoyen"]["left_out"] is True
    assert perceived_api(client, "region:11")["actors"]["citoyen"]["left_out"] is False
    national = perceived_api(client, "region:84")["actors"]["citoyen"]["domains"]["logement"]
    assert national["national"]["mean"] == {"n": 6, "value": 6.7}


def test_demo_responses_are_counted_and_said(app, client):
    for commune, answers in CITIZENS:
        submit(client, commune, answers)
    assert perceived_api(client, "region:84")["includes_demo"] is False
    with app.app_context():
        db.session.execute(Response.__table__.update().values(is_demo=True))
        db.session.commit()
    # Flagging changes no reference group: the cache is forgotten for this test.
    app.extensions.pop("explorer_counts", None)
    body = perceived_api(client, "region:84")
    assert body["includes_demo"] is True
    assert body["actors"]["citoyen"]["domains"]["logement"]["mean"] == {"n": 5, "value": 6.0}
    page = client.get("/territoires/region:84").get_data(as_text=True)
    assert "demonstration" in page or "démonstration" in page


def test_published_national_figures_are_shown_beside(client):
    for commune, answers in CITIZENS:
        submit(client, commune, answers)
    body = perceived_api(client, "region:84")
    published = body["actors"]["citoyen"]["domains"]["emploi"]["national"]["published"]
    assert published["score_10"] is not None and published["source"]
    companies = body["actors"]["entreprise"]["partnerships"]["published"]
    assert companies["value_pct"] is not None and companies["study"] == "PHARE"


@pytest.fixture
def recounts(app, monkeypatch):
    """The counts kept a minute; the list of recounts made: "all", or "since" the last one."""
    monkeypatch.setitem(app.config, "EXPLORER_REFRESH_SECONDS", 60)
    made = []
    original = explorer.tally

    def spy(catalog_, since=None):
        made.append("all" if since is None else "since")
        return original(catalog_, since)

    monkeypatch.setattr(explorer, "tally", spy)
    app.extensions.pop("explorer_counts", None)
    return made


def later(monkeypatch, seconds: float) -> None:
    now = explorer.time.monotonic()
    monkeypatch.setattr(explorer.time, "monotonic", lambda: now + seconds)


def test_counts_are_kept_per_worker_and_added_to_when_responses_come(client, recounts,
                                                                      monkeypatch):
    for commune, answers in CITIZENS[:4]:
        submit(client, commune, answers)
    perceived_api(client, "region:84")
    perceived_api(client, "departement:69")
    assert recounts == ["all"]
    submit(client, *CITIZENS[4])
    # Within the minute: the counts already made.
    assert perceived_api(client, "departement:69")["responses"]["citoyen"] == 4
    assert recounts == ["all"]
    later(monkeypatch, 61)
    mine = perceived_api(client, "departement:69")["actors"]["citoyen"]
    assert recounts == ["all", "since"]
    # The same figures as counted from scratch.
    assert mine["domains"]["logement"]["mean"] == {"n": 5, "value": 6.0}
    assert mine["impacts"]["confiance"]["territory"] == {
        "n": 5, "median": 66.7, "q1": 46.7, "q3": 72.2}
    perceived_api(client, "region:84")
    assert recounts == ["all", "since"]


def test_a_large_count_runs_in_the_background_and_the_request_does_not_wait(
        app, client, recounts, monkeypatch):
    """More responses to count than EXPLORER_SYNC_COUNT: the count runs in a thread of the
    worker; before the first one ends the page says the figures are being counted and the API
    answers 503 with Retry-After; afterwards, the figures counted before are given while a
    later count runs."""
    for commune, answers in CITIZENS[:5]:
        submit(client, commune, answers)
    monkeypatch.setitem(app.config, "EXPLORER_SYNC_COUNT", 4)
    # The background count waits until the test lets it go on.
    gate = threading.Event()
    recount = explorer._recount

    def gated(*arguments):
        gate.wait(30)
        return recount(*arguments)

    monkeypatch.setattr(explorer, "_recount", gated)
    waiting = client.get("/api/v1/territories/departement:69/perceived")
    assert waiting.status_code == 503
    assert waiting.headers["Retry-After"] == "30"
    assert "being counted" in waiting.get_json()["error"]
    page = client.get("/territoires/departement:69")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="perceived-counting"' in text and 'id="perceived-domains"' not in text
    # The objective index is still there.
    assert 'id="index-caption"' in text
    assert client.get("/territoires/departement:69/regards.svg").status_code == 503
    assert client.get("/territoires/departement:69/indices.svg").status_code == 200
    assert recounts == []
    gate.set()
    app.extensions["explorer_counts"]["thread"].join(30)
    assert recounts == ["all"]
    mine = perceived_api(client, "departement:69")["actors"]["citoyen"]
    assert mine["domains"]["logement"]["mean"] == {"n": 5, "value": 6.0}

    # One response more: a small count, made at once.
    submit(client, "69123", CITIZENS[0][1])
    later(monkeypatch, 61)
    assert perceived_api(client, "departement:69")["responses"]["citoyen"] == 6
    assert recounts == ["all", "since"]
    # A deletion makes a count from scratch, too large: the last counts meanwhile.
    token = submit(client, "69123", CITIZENS[1][1])
    later(monkeypatch, 122)
    assert perceived_api(client, "departement:69")["responses"]["citoyen"] == 7
    later(monkeypatch, 183)
    with app.app_context():
        from diagnostic.services import privacy, responses

        privacy.delete_response(responses.find_response(token), catalog())
    assert perceived_api(client, "departement:69")["responses"]["citoyen"] == 7
    app.extensions["explorer_counts"]["thread"].join(30)
    assert recounts == ["all", "since", "since", "all"]
    assert perceived_api(client, "departement:69")["responses"]["citoyen"] == 6


def test_a_deletion_or_a_response_missed_makes_a_count_from_scratch(app, client, recounts,
                                                                    monkeypatch):
    from diagnostic.services import privacy, responses

    tokens = [submit(client, commune, answers) for commune, answers in CITIZENS]
    assert perceived_api(client, "region:84")["responses"]["citoyen"] == 5
    with app.app_context():
        privacy.delete_response(responses.find_response(tokens[0]), catalog())
    later(monkeypatch, 61)
    assert perceived_api(client, "region:84")["responses"]["citoyen"] == 4
    assert recounts == ["all", "all"]
    # A response whose completion is dated before the last count (committed late): counting
    # those completed since misses it, the reference groups say so.
    token = submit(client, *CITIZENS[0])
    with app.app_context():
        response = responses.find_response(token)
        response.completed_at = response.completed_at.replace(year=2020)
        db.session.commit()
    later(monkeypatch, 122)
    body = perceived_api(client, "region:84")
    assert body["responses"]["citoyen"] == 5
    assert body["actors"]["citoyen"]["domains"]["logement"]["mean"] == {"n": 5, "value": 6.0}
    assert recounts == ["all", "all", "since", "all"]


#: The explorer's URLs with figures from responses in them, and those without.
PERCEIVED_URLS = {
    "/territoires/region:84": "text/html",
    "/territoires/departement:69": "text/html",
    "/territoires/departement:69/regards.svg": "image/svg+xml",
    "/api/v1/territories/departement:69/perceived": "application/json",
}
WITHOUT_PERCEIVED = {
    "/territoires",
    "/territoires/comparer",
    "/territoires/comparer.svg",
    "/territoires/comparer.csv",
    "/territoires/<key>/diagnostic",
}


def test_every_figure_of_every_explorer_url_goes_through_the_shared_suppression(
        app, client, monkeypatch):
    """`scoring.suppression.protect` is the one rule: each URL showing perceived figures calls
    it, on every view (the cache keeps counts, never protected figures)."""
    from scoring import suppression

    for commune, answers in CITIZENS:
        submit(client, commune, answers)
    calls = []
    original = suppression.protect

    def spy(n, value, min_size):
        calls.append(n)
        return original(n, value, min_size)

    monkeypatch.setattr(suppression, "protect", spy)
    for _round in range(2):
        for path, mimetype in PERCEIVED_URLS.items():
            calls.clear()
            answer = client.get(path)
            assert answer.status_code == 200, path
            assert answer.mimetype == mimetype, path
            assert calls, f"{path} shows figures without scoring.suppression.protect"
    rules = {re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?(\w+)>", r"<\1>", rule.rule)
             for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("explorer.") or rule.rule.endswith("/perceived")}
    covered = {"/territoires/<key>", "/territoires/<key>/<name>.svg",
               "/api/v1/territories/<key>/perceived"}
    assert rules - covered - WITHOUT_PERCEIVED == set()


# --------------------------------------------------------------------------- comparison


@pytest.mark.parametrize("keys", [
    ["region:84"],
    ["region:84", "departement:69"],
    ["region:84", "departement:69", "departement:38"],
    ["region:84", "departement:69", "departement:38", "region:11"],
])
def test_compare_one_to_four_territories(app, client, keys):
    query = "&".join(f"t={key}" for key in keys)
    page = client.get(f"/territoires/comparer?{query}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    table = re.search(r'<table class="comparison">.*?</table>', text, re.S)[0]
    with app.app_context():
        for key in keys:
            territory = territories.get_territory(key)
            assert f"<th scope=\"col\">{esc(territory.name)}</th>" in table
            index = reference.territory_fragility(territory, ["logement"])["logement"].index
            if index is not None:
                assert decimal(round(index, 1), "0.0") in table
    assert ('class="add-territory"' in text) == (len(keys) < 4)
    chart = client.get(f"/territoires/comparer.svg?{query}")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"


def test_compare_refuses_five_unknown_and_municipalities_with_a_clear_400(client):
    five = "&".join(f"t={key}" for key in ("region:84", "departement:69", "departement:38",
                                           "region:11", "region:93"))
    for query, words in (
        (five, ("Au plus 4 territoires",)),
        ("t=region:84&t=region:99", ("region:99",)),
        ("t=nimporte", ("nimporte",)),
        ("t=commune:69123", ("commune:69123",)),
    ):
        page = client.get(f"/territoires/comparer?{query}")  # French, the default
        assert page.status_code == 400, query
        text = page.get_data(as_text=True)
        assert 'id="error-summary"' in text
        assert any(word in text for word in words), query
        assert client.get(f"/territoires/comparer.csv?{query}").status_code == 400
        assert client.get(f"/territoires/comparer.svg?{query}").status_code == 400
    assert client.get("/territoires/comparer.csv").status_code == 400


def test_compare_adds_a_territory_found_by_search(client):
    answer = client.get("/territoires/comparer?t=region:84&q=Is%C3%A8re")
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer.location).query)["t"] == ["region:84", "departement:38"]
    several = client.get("/territoires/comparer?t=departement:38&q=Rh%C3%B4ne")
    assert several.status_code == 200
    text = several.get_data(as_text=True)
    for key in ("departement:69", "departement:13", "region:84"):
        assert f'href="/territoires/comparer?t=departement:38&amp;t={key}"' in text, key
    missing = client.get("/territoires/comparer?q=Zzyzx").get_data(as_text=True)
    assert "Zzyzx" in missing
    # The form sent with a suggestion picked: the comparison's own address.
    picked = client.get("/territoires/comparer?t=region:84&q=&t=departement:69")
    assert picked.status_code == 302
    assert picked.location.endswith("/territoires/comparer?t=region:84&t=departement:69")


def read_csv(answer) -> list[dict]:
    raw = answer.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_the_comparison_csv_has_every_figure_with_its_source(app, client):
    answer = client.get("/territoires/comparer.csv?t=departement:69&t=region:84")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = read_csv(answer)
    assert list(rows[0]) == list(explorer.CSV_COLUMNS)
    with app.app_context():
        domains = list(catalog().vocabulary.domains)
        labels = {key: indicator.label_fr for key, indicator in
                  reference.indicator_labels().items()}
        expected = []
        for key in ("departement:69", "region:84"):
            territory = territories.get_territory(key)
            for domain, result in reference.territory_fragility(territory, domains).items():
                index = "" if result.index is None else str(round(result.index, 1))
                if not result.indicators:
                    expected.append((territory.name, territory.code, domain, index, "", ""))
                for item in result.indicators:
                    figure = item.figure
                    expected.append((territory.name, territory.code, domain, index,
                                     labels[figure.indicator], figure.source))
                    assert {"value": str(figure.value), "unit": figure.unit,
                            "year": figure.year}.items() <= next(
                        row for row in rows if row["code"] == territory.code
                        and row["indicator"] == labels[figure.indicator]
                        and row["year"] == figure.year).items()
        names = {domain: label.fr for domain, label in catalog().vocabulary.domains.items()}
    assert [(row["territory"], row["code"], row["domain"], row["index"], row["indicator"],
             row["source"]) for row in rows] == [
        (name, code, names[domain], index, indicator, source)
        for name, code, domain, index, indicator, source in expected]
    assert {row["level"] for row in rows} == {"departement", "region"}


def test_the_comparison_csv_neutralises_formulas(app, client):
    with app.app_context():
        key = db.session.scalar(select(IndicatorValue.indicator_key).where(
            IndicatorValue.level == "departement", IndicatorValue.code == "69"))
        db.session.add(IndicatorValue(
            level="departement", code="69", indicator_key=key, year="1999", value=-3.5,
            unit="+unités", source="=HYPERLINK(\"http://example.org\")", scope="Rhône",
            origin="test"))
        db.session.commit()
    try:
        rows = read_csv(client.get("/territoires/comparer.csv?t=departement:69"))
        planted = next(row for row in rows if row["year"] == "1999")
        assert planted["source"] == "'=HYPERLINK(\"http://example.org\")"
        assert planted["unit"] == "'+unités"
        assert planted["value"] == "-3.5"
    finally:
        with app.app_context():
            db.session.execute(delete(IndicatorValue).where(IndicatorValue.origin == "test"))
            db.session.commit()


# --------------------------------------------------------------------------- into a questionnaire


def start_from(client, questionnaire: str, key: str):
    page = client.get(f"/diagnostic/{questionnaire}?territoire={key}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    started = client.post(f"/diagnostic/{questionnaire}?territoire={key}",
                          data={"csrf_token": csrf_token(text)})
    assert started.status_code == 302, started.get_data(as_text=True)
    return text, started.location


def test_a_profile_starts_the_questionnaire_of_the_actor_type_chosen(client):
    answer = client.get("/territoires/departement:69/diagnostic?acteur=entreprise")
    assert answer.status_code == 302
    assert answer.location.endswith("/diagnostic/entreprise?territoire=departement:69")
    assert client.get("/territoires/departement:69/diagnostic?acteur=rien").status_code == 400
    assert client.get("/territoires/region:99/diagnostic?acteur=elu").status_code == 404
    page = client.get("/territoires/departement:69").get_data(as_text=True)
    assert 'action="/territoires/departement:69/diagnostic"' in page
    assert 'name="acteur" value="entreprise" checked' in page


def test_a_commune_is_filled_in_at_the_start(app, client):
    text, location = start_from(client, "entreprise", "commune:69123")
    assert "Lyon" in text
    match = re.search(r"/r/([^/?]+)/etape/1$", location)
    assert match, location
    with app.app_context():
        from diagnostic.services import responses

        response = responses.find_response(match[1])
        assert response.territory == "commune:69123"
        assert response.region_code == "84"
        assert response.answer_map()["territoire"] == "commune:69123"
    section = client.get(location).get_data(as_text=True)
    assert 'value="commune:69123" checked' in section


def test_a_department_narrows_the_search_for_the_commune(app, client):
    text, location = start_from(client, "citoyen", "departement:69")
    assert "Rhône" in text
    assert location.endswith("/etape/1?territoire=departement:69")
    token = re.search(r"/r/([^/?]+)/etape/1", location)[1]
    section = client.get(location)
    body = section.get_data(as_text=True)
    assert 'id="territory-hint"' in body
    assert "within=departement:69" in body
    assert f'action="/r/{token}/etape/1?territoire=departement:69"' in body
    # Grenoble is in the Isère: not found from the Rhône's profile…
    refused = client.post(location, data={"csrf_token": csrf_token(body), "action": "search",
                                          "item_territoire_q": "Grenoble"})
    assert 'class="field-error"' in refused.get_data(as_text=True)
    assert 'value="commune:38185"' not in refused.get_data(as_text=True)
    found = client.post(location, data={"csrf_token": csrf_token(body), "action": "next",
                                        "item_territoire_q": "Villeurbanne"})
    assert found.status_code == 302
    with app.app_context():
        from diagnostic.services import responses

        assert responses.find_response(token).territory == "commune:69266"
    # …while the search of all of France finds it.
    plain = Respondent(client)
    plain.start("citoyen")
    everywhere = plain.submit(1, {"territoire_q": "Grenoble"}, action="search")
    assert 'value="commune:38185"' in everywhere.get_data(as_text=True)


def test_an_unknown_territory_is_ignored_at_the_start(app, client):
    for key in ("region:99", "nimporte", "pays:FR"):
        text, location = start_from(client, "citoyen", key)
        assert re.search(r"/r/[^/?]+/etape/1$", location), location
        assert "territoire=" not in text


def test_a_results_page_links_to_the_territory_profiles(app, client):
    with app.app_context():
        questionnaire = catalog().get("citoyen")
    token = submit(client, "69123", full_answers(questionnaire))
    page = client.get(f"/r/{token}/resultats").get_data(as_text=True)
    for key in ("commune:69123", "departement:69", "region:84"):
        assert f'href="/territoires/{key}"' in page, key


def test_the_home_page_and_the_navigation_lead_to_the_explorer(client):
    page = client.get("/").get_data(as_text=True)
    assert page.count('href="/territoires"') >= 2
