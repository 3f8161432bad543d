"""The respondent journey through the pages: start, answer section by section, resume, results."""

from __future__ import annotations

import hashlib
import re

import pytest

from diagnostic.extensions import db
from diagnostic.models import Answer, Response
from diagnostic.registry import catalog
from questionnaires import applicable_answers
from scoring import score_axes
from tests.answers import as_form, full_answers
from tests.conftest import csrf_token

FULL = ["citoyen", "entreprise", "association", "elu"]
EN = {"Accept-Language": "en"}


def stored(app, token: str) -> Response:
    with app.app_context():
        digest = hashlib.sha256(token.encode()).hexdigest()
        response = db.session.query(Response).filter_by(token_hash=digest).one()
        response.answer_map()  # load the answers before the context closes
        response.scores  # noqa: B018
        db.session.expunge(response)
        return response


def questionnaire(app, questionnaire_id: str, version: int | None = None):
    with app.app_context():
        return catalog().get(questionnaire_id, version)


def answer_all_sections(respondent, definition, answers: dict) -> object:
    """Post every section with `answers`; returns the last response (the redirect to results)."""
    result = None
    for number, section in enumerate(definition.sections, start=1):
        posted = {q.id: as_form(q, answers[q.id]) for q in section.questions if q.id in answers}
        result = respondent.submit(number, posted)
        assert result.status_code == 302, (number, result.get_data(as_text=True)[-2000:])
    return result


# --------------------------------------------------------------------------- home and language


def test_home_presents_the_four_self_diagnoses(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in page
    for questionnaire_id in FULL:
        assert f'href="/diagnostic/{questionnaire_id}"' in page
    assert "/diagnostic/atelier" not in page
    assert "Autodiagnostic « Entreprise &amp; territoire »" in page
    assert "Choisissez votre autodiagnostic" in page


def test_accept_language_english_gives_english_pages(client):
    page = client.get("/", headers=EN).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Choose your self-diagnosis" in page
    assert "“Company &amp; territory” self-diagnosis" in page


def test_unsupported_accept_language_falls_back_to_french(client):
    page = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)
    assert '<html lang="fr">' in page


def test_language_switch_is_remembered_and_on_every_page(client):
    page = client.get("/diagnostic/elu").get_data(as_text=True)
    assert 'href="/langue/en?next=/diagnostic/elu"' in page
    switched = client.get("/langue/en?next=/diagnostic/elu")
    assert switched.status_code == 302
    assert switched.location.endswith("/diagnostic/elu")
    assert "lang=en" in switched.headers["Set-Cookie"]
    assert "HttpOnly" in switched.headers["Set-Cookie"]
    # Remembered, even against the browser's preference.
    page = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert 'href="/langue/fr?next=/"' in page
    client.get("/langue/fr?next=/")
    assert '<html lang="fr">' in client.get("/", headers=EN).get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "\\\\evil", ""])
def test_language_switch_never_redirects_off_site(client, target):
    switched = client.get("/langue/en", query_string={"next": target})
    assert switched.status_code == 302
    assert switched.location in ("/", "http://diagnostic.test/")


def test_unknown_language_is_404(client):
    assert client.get("/langue/de?next=/").status_code == 404


def test_method_page_explains_scoring_in_both_languages(client):
    french = client.get("/methode").get_data(as_text=True)
    english = client.get("/methode", headers=EN).get_data(as_text=True)
    assert "moins de la moitié" in french and "ne sait pas" in french.lower()
    assert "Coverage" in english and "insufficient data" in english


# --------------------------------------------------------------------------- starting


def test_start_creates_a_response_with_its_questionnaire_version(app, respondent):
    token = respondent.start("entreprise")
    assert len(token) >= 43  # 256 bits in URL-safe base64
    response = stored(app, token)
    assert response.questionnaire_id == "entreprise"
    assert response.questionnaire_version == 1
    assert response.actor == "entreprise"
    assert response.status == "in_progress"
    assert response.language == "fr"
    # Only the hash of the token is kept.
    assert response.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {response.public_id, response.token_hash}


def test_first_section_shows_the_private_link(respondent):
    token = respondent.start("citoyen")
    page = respondent.page(1).get_data(as_text=True)
    assert f'value="http://diagnostic.test/r/{token}"' in page
    assert "data-copy=" in page
    assert "<title>Étape 1 sur 7 — Autodiagnostic citoyen — Diagnostic territorial</title>" in page
    assert '<progress max="7" value="1"' in page


@pytest.mark.parametrize("path", ["/diagnostic/inconnu", "/diagnostic/atelier"])
def test_unknown_or_workshop_questionnaire_cannot_be_started_here(client, path, db_counts):
    assert client.get(path).status_code == 404
    assert client.post(path).status_code in (400, 404)
    assert db_counts()["response"] == 0


def test_starting_without_csrf_token_is_refused(client, db_counts):
    refused = client.post("/diagnostic/entreprise", data={})
    assert refused.status_code == 400
    assert "expiré" in refused.get_data(as_text=True)
    assert db_counts()["response"] == 0


# --------------------------------------------------------------------------- whole journeys


@pytest.mark.parametrize("questionnaire_id", FULL)
def test_each_questionnaire_can_be_completed_through_the_pages(
    app, respondent, client, questionnaire_id
):
    definition = questionnaire(app, questionnaire_id)
    answers = full_answers(definition)
    token = respondent.start(questionnaire_id)
    finished = answer_all_sections(respondent, definition, answers)
    assert finished.location.endswith(f"/r/{token}/resultats")

    response = stored(app, token)
    assert response.status == "completed"
    assert response.territory == "commune:69123"
    assert response.region_code == "84"
    assert response.answer_map() == answers
    expected = score_axes(definition, answers)
    got = {row.axis: row for row in response.scores}
    for axis, result in expected.items():
        assert got[axis].score == pytest.approx(result.score)
        assert got[axis].coverage == pytest.approx(result.coverage)
        assert got[axis].dont_know_share == pytest.approx(result.dont_know_share)

    page = client.get(f"/r/{token}/resultats").get_data(as_text=True)
    assert "Votre profil sur les trois impacts" in page
    for axis, result in expected.items():
        assert f'id="impact-{axis}"' in page
        assert f'<span class="score-value">{result.score:.0f}</span>' in page
    api = client.get(f"/api/v1/results/{token}").get_json()
    confiance = api["scores"]["confiance"]["score"]
    assert confiance == pytest.approx(expected["confiance"].score, abs=0.05)


def test_results_match_hand_computed_scores(app, respondent, client):
    """Company, no partnerships: the items about one's own partnerships do not apply."""
    respondent.start("entreprise")
    respondent.submit(1, {"territoire": "commune:93066", "taille": "de_10_a_49"})
    respondent.submit(2, {"fragilite_emploi": 8, "priorites": ["emploi", "sante"]})
    respondent.submit(3, {"partenariats": "non"})
    # Confiance: 5 items apply (2 need partnerships). Answered: 4 → 100, 3 → 66.67,
    # mefiance (reversed) 1 → 100, chacun_pour_soi (reversed) 2 → 100 − 33.33 = 66.67,
    # vision_partagee « ne sait pas ». Score (100 + 66.67 + 100 + 66.67) / 4 = 83.33, level 4;
    # coverage 4 / 5 = 80 %, « ne sait pas » 1 / 5 = 20 %.
    respondent.submit(
        4,
        {
            "conf_interlocuteurs": 4,
            "conf_associations": 3,
            "conf_vision_partagee": "nsp",
            "conf_mefiance": 1,
            "conf_chacun_pour_soi": 2,
        },
    )
    # Performance: 4 items apply, 1 answered → coverage 25 % < 50 %: insufficient data.
    respondent.submit(5, {"perf_rse_concrete": 3})
    # Innovation: 4 apply; source 4 → 100, complementarite 4 → 100, experimentation 3 → 66.67;
    # (100 + 100 + 66.67) / 3 = 88.89, level 4; coverage 75 %.
    respondent.submit(6, {"inno_source": 4, "inno_complementarite": 4, "inno_experimentation": 3})
    finished = respondent.submit(7, {"jouer_collectif": "utile"})
    page = client.get(finished.location, headers=EN).get_data(as_text=True)

    confiance = page[page.index('id="impact-confiance"') : page.index('id="impact-performance"')]
    assert '<span class="score-value">83</span>' in confiance
    assert "Level 4 of 4:" in confiance
    assert "<strong>Transforming the territory</strong>" in confiance
    assert "Based on 4 of 5 questions (coverage 80%)" in confiance
    performance = page[page.index('id="impact-performance"') : page.index('id="impact-innovation"')]
    assert "Insufficient data" in performance
    assert "score-value" not in performance
    assert "You answered 1 of the 4 questions" in performance
    innovation = page[page.index('id="impact-innovation"') : page.index('id="chart-title"')]
    assert '<span class="score-value">89</span>' in innovation
    assert "coverage 75%" in innovation

    api = client.get(f"/api/v1/results/{respondent.token}").get_json()["scores"]
    assert api["confiance"] == {"score": 83.3, "coverage": 0.8, "level": 4, "dont_know_share": 0.2}
    assert api["performance"] == {
        "score": None,
        "coverage": 0.25,
        "level": None,
        "dont_know_share": 0.0,
    }
    assert api["innovation"]["score"] == pytest.approx(88.9)


def test_results_page_describes_levels_for_the_actor_and_offers_the_chart(app, respondent, client):
    definition = questionnaire(app, "association")
    token = respondent.start("association")
    answer_all_sections(respondent, definition, full_answers(definition))
    page = client.get(f"/r/{token}/resultats").get_data(as_text=True)
    with app.app_context():
        levels = catalog().levels
        scores = score_axes(definition, full_answers(definition))
        level = scores["confiance"].level
        description = levels.description("confiance", "association", level).fr
    assert description.replace("'", "&#39;") in page
    assert f'src="/r/{token}/profil.svg"' in page
    alt = re.search(r'<img src="/r/[^"]+/profil.svg"[^>]*alt="([^"]+)"', page).group(1)
    assert f"Confiance {scores['confiance'].score:.0f} sur 100" in alt
    assert "<table>" in page
    assert re.search(r'<th scope="row"><svg[^>]*>.*?</svg> Innovation</th>', page)

    chart = client.get(f"/r/{token}/profil.svg")
    assert chart.status_code == 200
    assert chart.mimetype == "image/svg+xml"
    svg = chart.get_data(as_text=True)
    assert svg.startswith("<?xml") and "<svg" in svg
    assert "Confiance" in svg and "Performance" in svg
    english = client.get(f"/r/{token}/profil.svg", headers=EN).get_data(as_text=True)
    assert "Trust" in english


def test_a_high_dont_know_share_is_reported_as_a_finding(respondent, client):
    respondent.start("citoyen")
    respondent.submit(1, {"territoire": "commune:69123"})
    respondent.submit(
        4,
        {
            "conf_interlocuteurs": "nsp",
            "conf_vision_partagee": "nsp",
            "conf_mefiance": "nsp",
            "conf_envie_engager": 3,
            "conf_habitants_ecartes": 2,
            "conf_regard_acteurs": 3,
        },
    )
    respondent.client.post(
        respondent.section_url(7),
        data={
            "csrf_token": csrf_token(respondent.page(7).get_data(as_text=True)),
            "action": "next",
        },
    )
    page = client.get(f"/r/{respondent.token}/resultats", headers=EN).get_data(as_text=True)
    confiance = page[page.index('id="impact-confiance"') : page.index('id="impact-performance"')]
    assert "You answered “don't know” to" in confiance
    assert "a finding in itself" in confiance


# --------------------------------------------------------------------------- stop and resume


def test_stop_and_resume_where_it_was_left(app, respondent, client):
    token = respondent.start("entreprise")
    respondent.submit(1, {"territoire_q": "Villeurbanne", "taille": "de_50_a_249"})
    respondent.submit(2, {"fragilite_sante": 7, "priorites": ["sante"]})
    paused = respondent.submit(3, {"partenariats": "oui", "pratiques": ["mecenat"]}, action="pause")
    assert paused.location.endswith(f"/r/{token}/pause")
    pause_page = client.get(paused.location).get_data(as_text=True)
    assert f"http://diagnostic.test/r/{token}" in pause_page

    other_device = app.test_client()
    resumed = other_device.get(f"/r/{token}")
    assert resumed.status_code == 302
    assert resumed.location.endswith(f"/r/{token}/etape/3")
    page = other_device.get(resumed.location).get_data(as_text=True)
    assert re.search(r'name="item_partenariats" value="oui" checked', page)
    assert re.search(r'name="item_pratiques" value="mecenat" checked', page)
    first = other_device.get(f"/r/{token}/etape/1").get_data(as_text=True)
    assert re.search(r'value="de_50_a_249" checked', first)
    assert re.search(r'value="commune:69266" checked', first)
    assert "Villeurbanne (69" in first


def test_pausing_or_going_back_does_not_need_the_required_answers(app, respondent):
    token = respondent.start("elu")
    paused = respondent.submit(1, {"fonction": "maire"}, action="pause")
    assert paused.status_code == 302 and paused.location.endswith("/pause")
    assert stored(app, token).answer_map() == {"fonction": "maire"}
    back = respondent.submit(2, {"fragilite_sante": 3}, action="previous")
    assert back.location.endswith(f"/r/{token}/etape/1")
    moving_on = respondent.submit(1, {"fonction": "maire"})
    assert moving_on.status_code == 422


def test_previous_saves_the_page_and_goes_back(app, respondent):
    token = respondent.start("elu")
    respondent.submit(1, {"territoire": "commune:69123"})
    back = respondent.submit(2, {"fragilite_logement": 9}, action="previous")
    assert back.location.endswith(f"/r/{token}/etape/1")
    assert stored(app, token).answer_map()["fragilite_logement"] == 9
    assert "Précédent" not in respondent.page(1).get_data(as_text=True)
    assert "Précédent" in respondent.page(2).get_data(as_text=True)


def test_a_completed_response_only_shows_its_results(app, respondent, db_counts):
    definition = questionnaire(app, "citoyen")
    token = respondent.start("citoyen")
    answer_all_sections(respondent, definition, full_answers(definition))
    before = db_counts()
    again = respondent.client.get(f"/r/{token}/etape/2")
    assert again.status_code == 302 and again.location.endswith(f"/r/{token}/resultats")
    posted = respondent.client.post(f"/r/{token}/etape/2", data={"item_fragilite_sante": "0"})
    assert posted.status_code == 302
    assert respondent.client.get(f"/r/{token}").location.endswith("/resultats")
    assert db_counts() == before
    assert stored(app, token).answer_map()["fragilite_sante"] != 0


def test_results_of_an_unfinished_response_send_back_to_the_questionnaire(respondent):
    token = respondent.start("entreprise")
    page = respondent.client.get(f"/r/{token}/resultats")
    assert page.status_code == 302 and page.location.endswith(f"/r/{token}")
    assert respondent.client.get(f"/r/{token}/profil.svg").status_code == 404


def test_finishing_without_the_territory_goes_back_to_it(app, respondent):
    token = respondent.start("association")
    finished = respondent.submit(7, {"jouer_collectif": "utile"})
    assert finished.location.endswith(f"/r/{token}/etape/1")
    page = respondent.client.get(finished.location).get_data(as_text=True)
    assert "Il reste une question obligatoire avant de voir vos résultats" in page
    assert stored(app, token).status == "in_progress"


# --------------------------------------------------------------------------- show_if


def test_questions_hidden_by_an_earlier_answer_are_not_shown_and_not_stored(app, respondent):
    token = respondent.start("entreprise")
    respondent.submit(1, {"territoire": "commune:69123"})
    respondent.submit(3, {"partenariats": "non", "freins": ["temps"]})
    page = respondent.page(4).get_data(as_text=True)
    assert 'id="q-conf_engagement_salaries"' not in page
    assert 'id="q-conf_interlocuteurs"' in page
    # A value sent anyway for the hidden question is ignored.
    respondent.submit(4, {"conf_interlocuteurs": 4, "conf_engagement_salaries": 1})
    assert "conf_engagement_salaries" not in stored(app, token).answer_map()

    respondent.submit(3, {"partenariats": "oui", "pratiques": ["tiers_lieux"]})
    assert 'id="q-conf_engagement_salaries"' in respondent.page(4).get_data(as_text=True)


def test_answers_that_stop_applying_are_dropped_at_completion(app, respondent):
    token = respondent.start("entreprise")
    respondent.submit(1, {"territoire": "commune:69123"})
    # Same page: the condition is on « partenariats » of this section; without JavaScript the
    # practices are posted too, and must be ignored.
    respondent.submit(3, {"partenariats": "non", "pratiques": ["mecenat"], "freins": ["temps"]})
    respondent.submit(7, {})
    answers = stored(app, token).answer_map()
    assert answers["partenariats"] == "non"
    assert answers["freins"] == ["temps"]
    assert "pratiques" not in answers


def test_same_page_conditions_are_marked_for_the_script(respondent):
    respondent.start("entreprise")
    page = respondent.page(3).get_data(as_text=True)
    assert (
        'id="q-pratiques" data-show-if="{&#34;in&#34;: [&#34;oui&#34;], &#34;question&#34;: '
        '&#34;partenariats&#34;}"'
    ) in page


# --------------------------------------------------------------------------- territory question


def test_territory_found_by_exact_name(app, respondent):
    token = respondent.start("citoyen")
    assert respondent.submit(1, {"territoire_q": "lyon"}).status_code == 302
    assert stored(app, token).territory == "commune:69123"


def test_territory_found_by_postal_code(app, respondent):
    token = respondent.start("citoyen")
    assert respondent.submit(1, {"territoire_q": "69100"}).status_code == 302
    response = stored(app, token)
    assert response.territory == "commune:69266"
    assert response.region_code == "84"


def test_territory_with_namesakes_asks_to_choose(app, respondent, db_counts):
    token = respondent.start("citoyen")
    ambiguous = respondent.submit(1, {"territoire_q": "Saint Denis"})
    assert ambiguous.status_code == 422
    page = ambiguous.get_data(as_text=True)
    assert "Plusieurs communes correspondent à « Saint Denis »" in page
    assert 'value="commune:93066"' in page and 'value="commune:97411"' in page
    assert "Saint-Denis (974 · La Réunion)" in page
    assert db_counts()["answer"] == 0
    chosen = respondent.submit(1, {"territoire": "commune:97411"})
    assert chosen.status_code == 302
    response = stored(app, token)
    assert (response.territory, response.region_code) == ("commune:97411", "04")


def test_search_button_lists_communes_without_saving(respondent, db_counts):
    respondent.start("citoyen")
    searched = respondent.submit(
        1, {"territoire_q": "st denis", "tranche_age": "de_25_a_34"}, action="search"
    )
    assert searched.status_code == 200
    page = searched.get_data(as_text=True)
    assert 'value="commune:93066"' in page
    assert re.search(r'value="de_25_a_34" checked', page)
    assert db_counts()["answer"] == 0


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"territoire_q": "Zzyzx"}, "Aucune commune ne correspond à « Zzyzx »"),
        ({}, "Cette question nécessite une réponse."),
        ({"territoire": "commune:99999"}, "Commune inconnue"),
        ({"territoire": "<script>"}, "Commune inconnue"),
    ],
)
def test_territory_errors_are_explained(respondent, db_counts, posted, message):
    respondent.start("citoyen")
    refused = respondent.submit(1, {**posted, "tranche_age": "de_25_a_34"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert message in page
    assert 'class="error-summary"' in page and "<script>" not in page
    assert db_counts()["answer"] == 0


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("section", "posted"),
    [
        (4, {"conf_interlocuteurs": "9"}),
        (4, {"conf_interlocuteurs": ["4", "3"]}),
        (1, {"taille": "géant"}),
        (2, {"priorites": ["emploi", "sante", "logement", "culture"]}),
        (2, {"priorites": ["emploi", "inconnu"]}),
        (3, {"partenariats": "oui", "partenaires": ["associations", "nsp"]}),
        (7, {"commentaire": "x" * 2001}),
    ],
)
def test_tampered_or_invalid_answers_are_refused_and_nothing_saved(
    respondent, db_counts, section, posted
):
    respondent.start("entreprise")
    respondent.submit(1, {"territoire": "commune:69123"})
    before = db_counts()
    refused = respondent.submit(section, {**posted, "fragilite_sante": "5", "conf_mefiance": "2"})
    assert refused.status_code == 422
    assert 'class="error-summary"' in refused.get_data(as_text=True)
    assert db_counts() == before


def test_an_expired_form_keeps_the_answers_typed(respondent, db_counts):
    respondent.start("entreprise")
    respondent.submit(1, {"territoire": "commune:69123"})
    before = db_counts()
    expired = respondent.submit(4, {"conf_interlocuteurs": "3", "conf_mefiance": "nsp"}, csrf=False)
    assert expired.status_code == 400
    page = expired.get_data(as_text=True)
    assert "La page avait expiré" in page
    assert re.search(r'name="item_conf_interlocuteurs" value="3" checked', page)
    assert re.search(r'name="item_conf_mefiance" value="nsp" checked', page)
    assert db_counts() == before
    # The page carries a fresh token: sending it again works.
    resent = respondent.client.post(
        respondent.section_url(4),
        data={"csrf_token": csrf_token(page), "action": "next", "item_conf_interlocuteurs": "3"},
    )
    assert resent.status_code == 302


def test_unknown_action_is_refused(respondent, db_counts):
    respondent.start("entreprise")
    refused = respondent.submit(1, {"territoire": "commune:69123"}, action="delete")
    assert refused.status_code == 400
    assert db_counts()["answer"] == 0


@pytest.mark.parametrize(
    "path", ["", "/etape/1", "/etape/0", "/pause", "/resultats", "/profil.svg"]
)
def test_unknown_private_link_is_404(client, path):
    page = client.get(f"/r/unknown-token-0123456789{path}")
    assert page.status_code == 404
    assert "lien privé" in page.get_data(as_text=True)


@pytest.mark.parametrize("number", [0, 8, 99])
def test_section_number_out_of_range_is_404(respondent, number):
    respondent.start("entreprise")
    assert respondent.client.get(respondent.section_url(number)).status_code == 404


def test_oversized_post_is_refused(respondent, db_counts):
    respondent.start("entreprise")
    page = respondent.page(7).get_data(as_text=True)
    refused = respondent.client.post(
        respondent.section_url(7),
        data={
            "csrf_token": csrf_token(page),
            "action": "next",
            "item_commentaire": "x" * 1_100_000,
        },
    )
    assert refused.status_code == 413
    assert "1 Mo" in refused.get_data(as_text=True)
    assert db_counts()["answer"] == 0


def test_text_answers_are_escaped_when_shown_again(app, respondent):
    token = respondent.start("entreprise")
    respondent.submit(7, {"commentaire": "<script>alert(1)</script> & co"}, action="pause")
    assert stored(app, token).answer_map()["commentaire"] == "<script>alert(1)</script> & co"
    page = respondent.page(7).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</textarea>" in page
    assert "<script>alert" not in page


def test_private_pages_are_not_cached_nor_leaked_in_referers(respondent, client):
    token = respondent.start("entreprise")
    for path in (f"/r/{token}/etape/1", f"/r/{token}/pause"):
        page = client.get(path)
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "same-origin"
        assert page.headers["X-Content-Type-Options"] == "nosniff"
    home = client.get("/")
    assert "no-store" not in home.headers.get("Cache-Control", "")
    assert home.headers["Referrer-Policy"] == "same-origin"


# --------------------------------------------------------------------------- versions


def test_a_response_is_scored_with_the_version_it_was_answered_with(app, tmp_path):
    """v2 no longer reverses conf_mefiance; a response started on v1 and finished after v2
    appeared keeps v1's scoring, while a new respondent gets v2."""
    from questionnaires.loader import DEFINITIONS_DIR
    from tests.conftest import Respondent, make_app

    source = (DEFINITIONS_DIR / "entreprise-v1.yaml").read_text(encoding="utf-8")
    (tmp_path / "entreprise-v1.yaml").write_text(source, encoding="utf-8")
    changed = source.replace("\nversion: 1\n", "\nversion: 2\n", 1)
    mefiance = "        label:\n          fr: Les acteurs de mon territoire (entreprises"
    changed = changed.replace("        reversed: true\n" + mefiance, mefiance, 1)
    assert changed.count("reversed: true") == source.count("reversed: true") - 1
    (tmp_path / "entreprise-v2.yaml").write_text(changed, encoding="utf-8")

    first = Respondent(app.test_client())
    token = first.start("entreprise")
    first.submit(1, {"territoire": "commune:69123"})
    first.submit(
        4, {"conf_mefiance": 1, "conf_interlocuteurs": 1, "conf_associations": 4}, action="pause"
    )

    updated = make_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path / "instance",
        QUESTIONNAIRES_DIR=str(tmp_path),
    )
    resumed = Respondent(updated.test_client())
    resumed.token = token
    resumed.submit(7, {})
    scores = resumed.client.get(f"/api/v1/results/{token}").get_json()["scores"]
    # v1: mefiance reversed, 1 → 100; interlocuteurs 1 → 0; associations 4 → 100;
    # (100 + 0 + 100) / 3 = 66.7. With v2 (not reversed) it would be (0 + 0 + 100) / 3 = 33.3.
    assert scores["confiance"]["score"] == 66.7
    assert stored(updated, token).questionnaire_version == 1

    newcomer = Respondent(updated.test_client())
    new_token = newcomer.start("entreprise")
    assert stored(updated, new_token).questionnaire_version == 2
    with updated.app_context():
        v1, v2 = catalog().get("entreprise", 1), catalog().get("entreprise", 2)
    answers = {"conf_mefiance": 1, "conf_interlocuteurs": 1, "conf_associations": 4}
    assert score_axes(v1, applicable_answers(v1, answers))["confiance"].score == pytest.approx(
        200 / 3
    )
    assert score_axes(v2, applicable_answers(v2, answers))["confiance"].score == pytest.approx(
        100 / 3
    )
    with updated.app_context():
        db.session.remove()
        db.engine.dispose()


def test_answers_are_stored_one_row_per_question_with_dont_know_as_null(app, respondent):
    token = respondent.start("entreprise")
    respondent.submit(1, {"territoire": "commune:69123"})
    respondent.submit(4, {"conf_interlocuteurs": "nsp", "conf_mefiance": "2"})
    with app.app_context():
        rows = {a.question_id: a.value for a in db.session.query(Answer).all()}
    assert rows == {"territoire": "commune:69123", "conf_interlocuteurs": None, "conf_mefiance": 2}
    assert stored(app, token).current_section == 4
