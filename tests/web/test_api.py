"""JSON API v1: definitions, responses with their scores, refusals that store nothing, OpenAPI."""

from __future__ import annotations

import json

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from diagnostic.extensions import db
from diagnostic.models import Answer, Response
from diagnostic.registry import catalog
from scoring import score_axes
from tests.answers import full_answers

FULL = ["citoyen", "entreprise", "association", "elu"]


def post(client, body, **kwargs):
    return client.post("/api/v1/responses", json=body, **kwargs)


def definition(app, questionnaire_id):
    with app.app_context():
        return catalog().get(questionnaire_id)


@pytest.fixture(scope="module")
def openapi(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def check_schema(openapi, name, instance):
    """Validate `instance` against a component schema of the OpenAPI document."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": openapi["components"]}
    OAS31Validator(schema).validate(instance)


# --------------------------------------------------------------------------- definitions


def test_list_questionnaires(client, openapi):
    listed = client.get("/api/v1/questionnaires").get_json()
    assert [q["id"] for q in listed] == ["citoyen", "entreprise", "association", "elu", "atelier"]
    entreprise = listed[1]
    assert entreprise == {
        "id": "entreprise",
        "actor": "entreprise",
        "kind": "full",
        "version": 1,
        "title": {
            "fr": "Autodiagnostic « Entreprise & territoire »",
            "en": "“Company & territory” self-diagnosis",
        },
    }
    assert listed[4]["actor"] == "all" and listed[4]["kind"] == "atelier"
    for item in listed:
        check_schema(openapi, "QuestionnaireSummary", item)


def test_get_a_whole_questionnaire(client, openapi):
    body = client.get("/api/v1/questionnaires/entreprise").get_json()
    check_schema(openapi, "Questionnaire", body)
    assert body["version"] == 1
    accord = body["scales"]["accord"]
    assert accord["dont_know"] is True
    assert [v["value"] for v in accord["values"]] == [4, 3, 2, 1]
    assert [round(v["score"], 2) for v in accord["values"]] == [100.0, 66.67, 33.33, 0.0]
    assert accord["values"][0]["label"] == {"fr": "Tout à fait d'accord", "en": "Strongly agree"}
    assert [v["value"] for v in body["scales"]["importance"]["values"]] == list(range(11))
    questions = {q["id"]: q for s in body["sections"] for q in s["questions"]}
    mefiance = questions["conf_mefiance"]
    assert mefiance["type"] == "scale" and mefiance["scale"] == "accord"
    assert mefiance["axis"] == "confiance" and mefiance["reversed"] is True
    assert mefiance["weight"] == 1.0 and mefiance["show_if"] is None
    assert questions["conf_pouvoir_agir"]["show_if"] == {"question": "partenariats", "in": ["oui"]}
    assert len(questions["pratiques"]["options"]) == 12
    assert questions["pratiques"]["options"][-1] == {
        "value": "tiers_lieux",
        "label": {"fr": "Tiers-lieux", "en": "Third places (tiers-lieux)"},
    }
    assert questions["priorites"]["max_choices"] == 3
    assert len(questions["priorites"]["options"]) == 16
    assert questions["fragilite_sante"]["domain"] == "sante"
    assert questions["territoire"]["type"] == "territory" and questions["territoire"]["required"]


def test_questionnaire_versions_and_unknown_ids(client):
    assert client.get("/api/v1/questionnaires/elu?version=1").get_json()["version"] == 1
    missing = client.get("/api/v1/questionnaires/elu?version=7")
    assert missing.status_code == 404
    assert set(missing.get_json()) == {"error", "details"}
    assert client.get("/api/v1/questionnaires/nope").status_code == 404
    bad = client.get("/api/v1/questionnaires/elu?version=abc")
    assert bad.status_code == 400 and "version" in bad.get_json()["details"]


# --------------------------------------------------------------------------- responses


@pytest.mark.parametrize("questionnaire_id", FULL)
def test_each_questionnaire_can_be_completed_through_the_api(
    app, client, openapi, questionnaire_id
):
    questionnaire = definition(app, questionnaire_id)
    answers = full_answers(questionnaire)
    answers.pop("territoire")
    created = post(
        client,
        {"questionnaire": questionnaire_id, "territory": "commune:69123", "answers": answers},
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    check_schema(openapi, "Created", body)
    expected = score_axes(questionnaire, {**answers, "territoire": "commune:69123"})
    for axis, result in expected.items():
        assert body["scores"][axis]["score"] == pytest.approx(result.score, abs=0.05)
        assert body["scores"][axis]["coverage"] == pytest.approx(result.coverage, abs=0.0005)
        assert body["scores"][axis]["level"] == result.level
    assert body["results_url"] == f"http://diagnostic.test/r/{body['token']}/resultats"
    assert created.headers["Location"].endswith(f"/api/v1/results/{body['token']}")
    assert body["actor"] == questionnaire.actor and body["territory"] == "commune:69123"

    again = client.get(f"/api/v1/results/{body['token']}").get_json()
    check_schema(openapi, "Results", again)
    assert again["scores"] == body["scores"]
    assert again["id"] == body["id"] and again["version"] == 1
    assert client.get(body["results_url"]).status_code == 200


def test_hand_computed_scores_with_dont_know_and_partial_answers(client):
    created = post(
        client,
        {
            "questionnaire": "elu",
            "territory": "departement:69",
            "answers": {
                # Confiance, partnerships not answered: items that need them do not apply.
                # conf_interlocuteurs 4 → 100, conf_mefiance (reversed) 4 → 0, conf_associations
                # null (« ne sait pas »), the other applicable items skipped.
                "conf_interlocuteurs": 4,
                "conf_mefiance": 4,
                "conf_associations": None,
                # Innovation: inno_source 3 → 66.67 only.
                "inno_source": 3,
            },
        },
    )
    assert created.status_code == 201
    scores = created.get_json()["scores"]
    # 7 confiance items apply without partnerships; 2 answered → coverage 2/7 < 50 %.
    assert scores["confiance"] == {
        "score": None,
        "coverage": round(2 / 7, 3),
        "level": None,
        "dont_know_share": round(1 / 7, 3),
    }
    assert scores["innovation"]["score"] is None
    assert scores["performance"] == {
        "score": None,
        "coverage": 0.0,
        "level": None,
        "dont_know_share": 0.0,
    }


def test_scores_at_exactly_half_coverage(app, client):
    questionnaire = definition(app, "entreprise")
    applicable = [q.id for q in questionnaire.axis_questions("performance") if q.show_if is None]
    assert len(applicable) == 4
    # Two of four applicable performance items: perf_rse_concrete 4 → 100,
    # perf_marginal (reversed) 3 → 100 − 66.67 = 33.33; mean 66.67, level 3, coverage 50 %.
    created = post(
        client,
        {
            "questionnaire": "entreprise",
            "territory": "commune:69123",
            "answers": {"partenariats": "non", "perf_rse_concrete": 4, "perf_marginal": 3},
        },
    )
    performance = created.get_json()["scores"]["performance"]
    assert performance == {"score": 66.7, "coverage": 0.5, "level": 3, "dont_know_share": 0.0}


def test_answers_to_questions_that_do_not_apply_are_ignored(app, client):
    created = post(
        client,
        {
            "questionnaire": "entreprise",
            "territory": "commune:69123",
            "answers": {
                "partenariats": "non",
                "conf_engagement_salaries": 1,
                "conf_interlocuteurs": 4,
                "conf_associations": 4,
                "conf_vision_partagee": 4,
            },
        },
    )
    assert created.status_code == 201
    assert created.get_json()["scores"]["confiance"]["score"] == 100.0
    with app.app_context():
        ids = {a.question_id for a in db.session.query(Answer).all()}
    assert "conf_engagement_salaries" not in ids
    assert {"partenariats", "conf_interlocuteurs", "territoire"} <= ids


def test_workshop_questionnaire_takes_the_actor_from_the_answers(client):
    created = post(
        client,
        {
            "questionnaire": "atelier",
            "territory": "epci:200046977",
            "answers": {"acteur": "association", "inno_source": 4, "inno_experimentation": 3},
        },
    )
    body = created.get_json()
    assert created.status_code == 201 and body["actor"] == "association"
    assert body["scores"]["innovation"] == {
        "score": 83.3,
        "coverage": 1.0,
        "level": 4,
        "dont_know_share": 0.0,
    }


def test_language_and_region_are_recorded(app, client):
    body = post(
        client,
        {"questionnaire": "citoyen", "territory": "commune:97411", "language": "en", "answers": {}},
    ).get_json()
    with app.app_context():
        response = db.session.query(Response).filter_by(public_id=body["id"]).one()
        assert (response.language, response.region_code, response.status) == (
            "en",
            "04",
            "completed",
        )


BAD_REQUESTS = [
    (
        "unknown questionnaire",
        {"questionnaire": "nope", "territory": "commune:69123"},
        400,
        "questionnaire",
    ),
    ("no questionnaire", {"territory": "commune:69123"}, 400, "questionnaire"),
    (
        "questionnaire not a string",
        {"questionnaire": 3, "territory": "commune:69123"},
        400,
        "questionnaire",
    ),
    ("no territory", {"questionnaire": "elu"}, 400, "territory"),
    ("bare code", {"questionnaire": "elu", "territory": "69123"}, 400, "territory"),
    ("unknown territory", {"questionnaire": "elu", "territory": "commune:99999"}, 400, "territory"),
    (
        "answers not an object",
        {"questionnaire": "elu", "territory": "commune:69123", "answers": [1, 2]},
        400,
        "answers",
    ),
    (
        "unknown question",
        {"questionnaire": "elu", "territory": "commune:69123", "answers": {"conf_nope": 4}},
        400,
        "conf_nope",
    ),
    (
        "value outside the scale",
        {"questionnaire": "elu", "territory": "commune:69123", "answers": {"conf_mefiance": 5}},
        400,
        "conf_mefiance",
    ),
    (
        "value of the wrong type",
        {"questionnaire": "elu", "territory": "commune:69123", "answers": {"conf_mefiance": "3"}},
        400,
        "conf_mefiance",
    ),
    (
        "boolean",
        {"questionnaire": "elu", "territory": "commune:69123", "answers": {"conf_mefiance": True}},
        400,
        "conf_mefiance",
    ),
    (
        "float",
        {"questionnaire": "elu", "territory": "commune:69123", "answers": {"fragilite_sante": 7.5}},
        400,
        "fragilite_sante",
    ),
    (
        "unknown option",
        {"questionnaire": "elu", "territory": "commune:69123", "answers": {"levier": "magie"}},
        400,
        "levier",
    ),
    (
        "« ne sait pas » not offered",
        {
            "questionnaire": "elu",
            "territory": "commune:69123",
            "answers": {"odd_connaissance": None},
        },
        400,
        "odd_connaissance",
    ),
    (
        "too many priorities",
        {
            "questionnaire": "elu",
            "territory": "commune:69123",
            "answers": {"priorites": ["emploi", "sante", "logement", "culture"]},
        },
        400,
        "priorites",
    ),
    (
        "list expected",
        {"questionnaire": "elu", "territory": "commune:69123", "answers": {"pratiques": "mecenat"}},
        400,
        "pratiques",
    ),
    (
        "text too long",
        {
            "questionnaire": "elu",
            "territory": "commune:69123",
            "answers": {"commentaire": "x" * 2001},
        },
        400,
        "commentaire",
    ),
    (
        "territory answer differs",
        {
            "questionnaire": "elu",
            "territory": "commune:69123",
            "answers": {"territoire": "commune:69266"},
        },
        400,
        "territoire",
    ),
    (
        "unknown field",
        {"questionnaire": "elu", "territory": "commune:69123", "extra": 1},
        400,
        "extra",
    ),
    (
        "unknown language",
        {"questionnaire": "elu", "territory": "commune:69123", "language": "de"},
        400,
        "language",
    ),
]


@pytest.mark.parametrize(
    ("case", "body", "status", "detail"), BAD_REQUESTS, ids=[case[0] for case in BAD_REQUESTS]
)
def test_bad_responses_are_refused_and_nothing_is_stored(
    client, db_counts, case, body, status, detail
):
    before = db_counts()
    refused = post(client, body)
    assert refused.status_code == status
    error = refused.get_json()
    assert set(error) == {"error", "details"}
    assert isinstance(error["error"], str) and error["error"]
    assert detail in error["details"]
    assert db_counts() == before


def test_malformed_json_is_refused(client, db_counts):
    refused = client.post(
        "/api/v1/responses", data='{"questionnaire": "elu",', content_type="application/json"
    )
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "The body is not valid JSON"
    assert db_counts()["response"] == 0


def test_a_json_array_is_refused(client, db_counts):
    refused = client.post("/api/v1/responses", data="[]", content_type="application/json")
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "The body must be a JSON object"
    assert db_counts()["response"] == 0


def test_a_body_that_is_not_json_is_refused(client, db_counts):
    refused = client.post(
        "/api/v1/responses",
        data="questionnaire=elu",
        content_type="application/x-www-form-urlencoded",
    )
    assert refused.status_code == 415
    assert set(refused.get_json()) == {"error", "details"}
    assert db_counts()["response"] == 0


def test_a_body_over_one_megabyte_is_refused(client, db_counts):
    body = json.dumps(
        {
            "questionnaire": "elu",
            "territory": "commune:69123",
            "answers": {"commentaire": "x" * (1024 * 1024)},
        }
    )
    refused = client.post("/api/v1/responses", data=body, content_type="application/json")
    assert refused.status_code == 413
    assert set(refused.get_json()) == {"error", "details"}
    assert db_counts()["response"] == 0


def test_huge_values_are_not_echoed_back(client):
    refused = post(
        client,
        {
            "questionnaire": "elu",
            "territory": "commune:69123",
            "answers": {"levier": "y" * 100_000},
        },
    )
    assert refused.status_code == 400
    assert len(refused.get_data()) < 2000


def test_results_of_unknown_or_unfinished_responses_are_404(client, respondent):
    unknown = client.get("/api/v1/results/not-a-token")
    assert unknown.status_code == 404 and set(unknown.get_json()) == {"error", "details"}
    token = respondent.start("entreprise")
    assert client.get(f"/api/v1/results/{token}").status_code == 404


def test_api_errors_are_json_for_unknown_urls_and_methods(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and set(missing.get_json()) == {"error", "details"}
    wrong = client.delete("/api/v1/questionnaires")
    assert wrong.status_code == 405 and set(wrong.get_json()) == {"error", "details"}


# --------------------------------------------------------------------------- territories


def test_territory_search(client, openapi):
    lyon = client.get("/api/v1/territories?q=lyon").get_json()
    assert lyon[0]["key"] == "commune:69123"
    assert lyon[0]["postal_codes"][:2] == ["69001", "69002"]
    for item in lyon:
        check_schema(openapi, "TerritoryMatch", item)
    assert [m["key"] for m in client.get("/api/v1/territories?q=69100").get_json()] == [
        "commune:69266"
    ]
    namesakes = client.get("/api/v1/territories?q=saint-denis").get_json()
    assert {(m["key"], m["departement_name"]) for m in namesakes} == {
        ("commune:93066", "Seine-Saint-Denis"),
        ("commune:97411", "La Réunion"),
    }
    assert client.get("/api/v1/territories?q=").get_json() == []
    assert client.get("/api/v1/territories?q=" + "a" * 101).status_code == 400


# --------------------------------------------------------------------------- OpenAPI


def test_openapi_document_is_valid_and_covers_every_route(app, openapi):
    validate(openapi)
    documented = {"/api/v1" + path.replace("{", "<").replace("}", ">") for path in openapi["paths"]}
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")}
    assert routes == documented
    for path, item in openapi["paths"].items():
        rule = "/api/v1" + path.replace("{", "<").replace("}", ">")
        methods = {
            m.lower()
            for r in app.url_map.iter_rules()
            if r.rule == rule
            for m in r.methods - {"HEAD", "OPTIONS"}
        }
        assert set(item) == methods, path


def test_territory_and_benchmark_answers_match_their_schemas(client, openapi):
    check_schema(openapi, "Territory", client.get("/api/v1/territories/region:76").get_json())
    check_schema(openapi, "Territory", client.get("/api/v1/territories/commune:69123").get_json())
    token = post(
        client,
        {
            "questionnaire": "elu",
            "territory": "commune:69123",
            "answers": {"conf_interlocuteurs": 4},
        },
    ).get_json()["token"]
    results = client.get(f"/api/v1/results/{token}").get_json()
    check_schema(openapi, "Results", results)
    assert results["benchmarks"]["confiance"] == {
        "region": {"n": 0, "suppressed": True},
        "pays": {"n": 0, "suppressed": True},
    }


def test_completion_time_is_given_in_utc(client):
    token = post(client, {"questionnaire": "elu", "territory": "commune:69123"}).get_json()["token"]
    completed_at = client.get(f"/api/v1/results/{token}").get_json()["completed_at"]
    assert completed_at.endswith("+00:00")
