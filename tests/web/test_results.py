"""The results page: where the respondent stands, against whom, what to do next; its PDF, the
benchmarks in the API, and redoing the self-diagnosis."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from diagnostic.registry import catalog
from scoring.recommendations import recommend
from tests.conftest import csrf_token

EN = {"Accept-Language": "en"}
# Company without partnerships: five confiance items apply. Normal items score 100 for 4 and 0
# for 1; reversed ones (mefiance, chacun_pour_soi) the other way round. So the confiance score is
# 20 × the number of items at 100.
NORMAL = ("conf_interlocuteurs", "conf_associations", "conf_vision_partagee")
REVERSED = ("conf_mefiance", "conf_chacun_pour_soi")


def confiance_answers(high: int) -> dict:
    answers = {"partenariats": "non"}
    for position, item in enumerate(NORMAL + REVERSED):
        good = position < high
        answers[item] = (4 if good else 1) if item in NORMAL else (1 if good else 4)
    return answers


def submit(client, territory: str, answers: dict, questionnaire: str = "entreprise") -> dict:
    created = client.post(
        "/api/v1/responses",
        json={"questionnaire": questionnaire, "territory": territory, "answers": answers},
    )
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def test_percentile_median_and_quartiles_by_hand(client):
    # Five other companies in Île-de-France score 20, 40, 60, 60, 80; the respondent, in Lyon
    # (Auvergne-Rhône-Alpes), scores 60.
    for high in (1, 2, 3, 3, 4):
        submit(client, "commune:75056", confiance_answers(high))
    me = submit(client, "commune:69123", confiance_answers(3))
    assert me["scores"]["confiance"]["score"] == 60.0
    bench = client.get(f"/api/v1/results/{me['token']}").get_json()["benchmarks"]["confiance"]
    # Region: only the respondent → suppressed.
    assert bench["region"] == {"n": 1, "suppressed": True}
    # France: [20, 40, 60, 60, 60, 80]; below 2, equal 3 → 100 × (2 + 1.5) / 6 = 58.3;
    # median 60; q1 at position 1.25 → 40 + 0.25 × 20 = 45; q3 at 3.75 → 60.
    assert bench["pays"] == {"n": 6, "percentile": 58.3, "median": 60.0, "q1": 45.0, "q3": 60.0}

    page = client.get(me["results_url"]).get_data(as_text=True)
    confiance = page[page.index('id="impact-confiance"') : page.index('id="impact-performance"')]
    assert "Pas encore assez de réponses dans votre région pour vous comparer (1" in confiance
    assert "Au-dessus de 6 entreprises sur 10 en France" in confiance
    assert "6 réponses" in confiance
    english = client.get(me["results_url"], headers=EN).get_data(as_text=True)
    assert "Above 6 companies in 10 in France" in english


def test_a_group_of_exactly_min_group_size_is_shown(client, app):
    assert app.config["MIN_GROUP_SIZE"] == 5
    for high in (1, 2, 4, 5):
        submit(client, "commune:69266", confiance_answers(high))
    four = submit(client, "commune:69266", {})  # no confiance score: not in the histogram
    assert client.get(f"/api/v1/results/{four['token']}").get_json()["benchmarks"]["confiance"][
        "region"
    ] == {"n": 4, "suppressed": True}
    fifth = submit(client, "commune:69123", confiance_answers(3))
    region = client.get(f"/api/v1/results/{fifth['token']}").get_json()["benchmarks"]["confiance"][
        "region"
    ]
    # [20, 40, 60, 80, 100] with 60: below 2, equal 1 → 100 × 2.5 / 5 = 50.
    assert region == {"n": 5, "percentile": 50.0, "median": 60.0, "q1": 40.0, "q3": 80.0}


def test_perceived_and_objective_fragility_classified(client):
    me = submit(
        client,
        "commune:75056",
        {
            "fragilite_logement": 9,  # index 222 → shared priority
            "fragilite_mobilite": 2,  # index 183 → blind spot
            "fragilite_education": 8,  # index 81 → perceived without objective signal
            "fragilite_culture": 1,  # index 71 → not a priority
            "fragilite_environnement": 9,  # no index → no comparison
            "fragilite_sante": 3,  # index 110.5, and named a priority → shared priority
            "priorites": ["sante"],
        },
    )
    page = client.get(me["results_url"], headers=EN).get_data(as_text=True)
    table = page[page.index('id="domains-caption"') :]
    rows = dict(
        re.findall(
            r'<th scope="row">([^<]+?)(?: <span class="badge">priority</span>)?'
            r'</th>.*?class="class class-(\w+)"',
            table,
            re.S,
        )
    )
    assert rows["Poor housing"] == "shared_priority"
    assert rows["Mobility / transport"] == "blind_spot"
    assert rows["Education"] == "perceived_only"
    assert rows["Culture / leisure"] == "not_priority"
    assert rows["Environment / pollution / biodiversity"] == "unknown"
    assert rows["Health"] == "shared_priority"
    assert "1 blind spot: a domain where the data show a fragility" in page
    chart = client.get(me["results_url"].replace("resultats", "domaines.svg"))
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    assert "Mal-logement" in chart.get_data(as_text=True)


def test_national_survey_figures_beside_the_answers(client):
    me = submit(client, "commune:69123", {"jouer_collectif": "utile", "partenariats": "non"})
    page = client.get(me["results_url"]).get_data(as_text=True)
    table = page[page.index('id="figures-caption"') :]
    row = re.search(
        r"Jouer collectif pour sortir de la crise : utile</th>\s*<td>([^<]+)</td>\s*"
        r"<td>([^<]+)</td>",
        table,
    )
    assert row.groups() == ("Utile", "48\xa0%")
    assert "609 chefs d&#39;entreprise (CATI)" in table
    assert "Entreprises (10 salariés et +) ayant mis en place des partenariats" in table


def test_recommendations_follow_the_rules(client, app):
    answers = {
        **confiance_answers(1),
        "perf_rse_concrete": 4,
        "perf_attractivite": 4,
        "perf_resilience": 3,
        "inno_source": 4,
        "inno_complementarite": 4,
        "inno_experimentation": 4,
        "priorites": ["isolement"],
    }
    me = submit(client, "commune:69123", answers)
    scores = {axis: value["score"] for axis, value in me["scores"].items()}
    expected = recommend(scores, "entreprise", [], ["isolement"])
    assert [r.practice for r in expected] == [
        "dialogue_territorial",
        "experience_collective",
        "tiers_lieux",
    ]
    page = client.get(me["results_url"]).get_data(as_text=True)
    section = page[page.index('id="next-title"') :]
    names = re.findall(r"<h3>([^<]+)</h3>", section)
    with app.app_context():
        practices = catalog().vocabulary.practices
    assert names == [practices[r.practice].fr for r in expected]
    assert "confiance, votre impact le plus faible" in section
    assert "isolement" in section.lower()


def test_results_pdf_has_the_headline_figures(client):
    me = submit(client, "commune:69123", confiance_answers(4))
    pdf = client.get(me["results_url"] + ".pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert (
        pdf.headers["Content-Disposition"] == 'attachment; filename="autodiagnostic-entreprise.pdf"'
    )
    text = " ".join(" ".join(page.extract_text().split())
                    for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Votre profil sur les trois impacts" in text
    assert "80 / 100" in text  # confiance: 4 of 5 items at 100
    assert "Transformer le territoire" in text
    assert "Lyon (69)" in text


def test_redo_starts_a_linked_response_and_shows_progress(client, app):
    first = submit(client, "commune:69123", {**confiance_answers(2), "taille": "de_10_a_49"})
    page = client.get(first["results_url"]).get_data(as_text=True)
    redo = client.post(
        first["results_url"].replace("resultats", "refaire"), data={"csrf_token": csrf_token(page)}
    )
    assert redo.status_code == 302
    token = re.search(r"/r/([^/]+)/etape/1$", redo.location).group(1)
    assert token != first["token"]
    step = client.get(redo.location).get_data(as_text=True)
    assert re.search(r'value="de_10_a_49" checked', step)  # the profile is kept
    assert 'value="commune:69123" checked' in step
    for number, answers in (
        (1, {}),
        (
            4,
            {f"item_{k}": str(v) for k, v in confiance_answers(4).items() if k.startswith("conf_")},
        ),
    ):
        page = client.get(f"/r/{token}/etape/{number}").get_data(as_text=True)
        client.post(
            f"/r/{token}/etape/{number}",
            data={"csrf_token": csrf_token(page), "action": "next", **answers},
        )
    page = client.get(f"/r/{token}/etape/7").get_data(as_text=True)
    done = client.post(
        f"/r/{token}/etape/7", data={"csrf_token": csrf_token(page), "action": "next"}
    )
    assert done.location.endswith(f"/r/{token}/resultats")
    results = client.get(done.location).get_data(as_text=True)
    progress = results[results.index('id="progress-title"') : results.index('id="where-title"')]
    # Before 40 (2 of 5 items), now 80: +40 points.
    assert re.search(r"Confiance</th>\s*<td>40</td>\s*<td>80</td>\s*<td>\+40 points", progress)
    assert client.post(first["results_url"].replace("resultats", "refaire")).status_code == 400


def test_results_of_an_unfinished_response_are_not_shown(client, respondent):
    token = respondent.start("entreprise")
    for path in ("profil.svg", "domaines.svg", "resultats.pdf"):
        assert client.get(f"/r/{token}/{path}").status_code == 404


@pytest.mark.parametrize("path", ["resultats.pdf", "domaines.svg", "refaire"])
def test_unknown_tokens_are_404(client, path):
    if path == "refaire":
        token = csrf_token(client.get("/diagnostic/elu").get_data(as_text=True))
        missing = client.post(f"/r/not-a-token/{path}", data={"csrf_token": token})
    else:
        missing = client.get(f"/r/not-a-token/{path}")
    assert missing.status_code == 404
