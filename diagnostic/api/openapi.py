"""The OpenAPI 3.1 document of API v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

TEXT = {
    "type": "object",
    "required": ["fr", "en"],
    "properties": {"fr": {"type": "string"}, "en": {"type": "string"}},
}
ERROR = {
    "type": "object",
    "required": ["error", "details"],
    "properties": {
        "error": {"type": "string", "description": "What went wrong, in one sentence."},
        "details": {
            "description": "Field by field (question id, `territory`…), what is wrong with it.",
            "type": ["object", "array", "string", "null"],
        },
    },
}
AXIS_SCORE = {
    "type": "object",
    "required": ["score", "coverage", "level", "dont_know_share"],
    "properties": {
        "score": {
            "type": ["number", "null"],
            "minimum": 0,
            "maximum": 100,
            "description": "Score on 0–100; null when coverage is below 50 % "
            "(« données insuffisantes »).",
        },
        "coverage": {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "description": "Answered weight / weight of the applicable items.",
        },
        "level": {
            "type": ["integer", "null"],
            "minimum": 1,
            "maximum": 4,
            "description": "Maturity level: [0,25) 1, [25,50) 2, [50,75) 3, [75,100] 4.",
        },
        "dont_know_share": {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "description": "Weight answered « ne sait pas » / applicable weight.",
        },
    },
}
SCORES = {
    "type": "object",
    "required": ["confiance", "performance", "innovation"],
    "properties": {
        axis: {"$ref": "#/components/schemas/AxisScore"}
        for axis in ("confiance", "performance", "innovation")
    },
}
SUMMARY = {
    "type": "object",
    "required": ["id", "actor", "kind", "version", "title"],
    "properties": {
        "id": {"type": "string"},
        "actor": {"type": "string", "enum": ["citoyen", "entreprise", "association", "elu", "all"]},
        "kind": {"type": "string", "enum": ["full", "atelier"]},
        "version": {"type": "integer", "minimum": 1},
        "title": {"$ref": "#/components/schemas/Text"},
    },
}
CONDITION = {
    "type": ["object", "null"],
    "properties": {
        "question": {"type": "string"},
        "in": {"type": "array", "items": {"type": ["string", "integer"]}},
        "not_in": {"type": "array", "items": {"type": ["string", "integer"]}},
    },
}
QUESTION = {
    "type": "object",
    "required": [
        "id",
        "type",
        "label",
        "scale",
        "axis",
        "domain",
        "weight",
        "reversed",
        "options",
        "show_if",
    ],
    "properties": {
        "id": {"type": "string"},
        "type": {
            "type": "string",
            "enum": ["scale", "choice", "multi_choice", "ranking", "number", "text", "territory"],
        },
        "label": {"$ref": "#/components/schemas/Text"},
        "help": {"oneOf": [{"$ref": "#/components/schemas/Text"}, {"type": "null"}]},
        "required": {"type": "boolean"},
        "scale": {"type": ["string", "null"]},
        "axis": {
            "type": ["string", "null"],
            "enum": ["confiance", "performance", "innovation", None],
        },
        "domain": {"type": ["string", "null"]},
        "weight": {"type": "number"},
        "reversed": {"type": "boolean"},
        "dont_know": {
            "type": "boolean",
            "description": "Whether null (« ne sait pas ») is accepted.",
        },
        "options": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "value": {"type": "string"},
                    "label": {"$ref": "#/components/schemas/Text"},
                },
            },
        },
        "max_choices": {"type": ["integer", "null"]},
        "min": {"type": ["number", "null"]},
        "max": {"type": ["number", "null"]},
        "integer": {"type": ["boolean", "null"]},
        "max_length": {"type": ["integer", "null"]},
        "show_if": CONDITION,
    },
}
QUESTIONNAIRE = {
    "allOf": [
        {"$ref": "#/components/schemas/QuestionnaireSummary"},
        {
            "type": "object",
            "required": ["scales", "sections"],
            "properties": {
                "description": {"$ref": "#/components/schemas/Text"},
                "duration_minutes": {"type": "integer"},
                "scales": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["values", "dont_know"],
                        "properties": {
                            "values": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["value", "score", "label"],
                                    "properties": {
                                        "value": {"type": ["integer", "string"]},
                                        "score": {"type": "number"},
                                        "label": {"$ref": "#/components/schemas/Text"},
                                    },
                                },
                            },
                            "dont_know": {"type": "boolean"},
                        },
                    },
                },
                "sections": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "title", "questions"],
                        "properties": {
                            "id": {"type": "string"},
                            "title": {"$ref": "#/components/schemas/Text"},
                            "questions": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Question"},
                            },
                        },
                    },
                },
            },
        },
    ]
}
NEW_RESPONSE = {
    "type": "object",
    "required": ["questionnaire", "territory"],
    "additionalProperties": False,
    "properties": {
        "questionnaire": {
            "type": "string",
            "description": "Questionnaire id; its latest version is used.",
        },
        "territory": {
            "type": "string",
            "pattern": "^(pays|region|departement|epci|commune):",
            "examples": ["commune:69123", "region:84"],
        },
        "language": {"type": "string", "enum": ["fr", "en"], "default": "fr"},
        "answers": {
            "type": "object",
            "description": "question id → value. A scale value, an option value, a list of "
            "option values (multi_choice, ranking), a number or a text; null means "
            "« ne sait pas ». A question left out is unanswered and lowers "
            "coverage; an answer to a question whose show_if does not hold is "
            "ignored.",
            "additionalProperties": {
                "type": ["integer", "number", "string", "array", "null"],
                "items": {"type": "string"},
            },
        },
    },
}
GROUP = {
    "oneOf": [
        {
            "type": "object",
            "required": ["n", "percentile", "median", "q1", "q3"],
            "properties": {
                "n": {
                    "type": "integer",
                    "description": "Responses of the group with a score on "
                    "this axis, the respondent's included.",
                },
                "percentile": {
                    "type": ["number", "null"],
                    "description": "100 × (below + ½ · equal) / n; null without a score.",
                },
                "median": {"type": "number"},
                "q1": {"type": "number"},
                "q3": {"type": "number"},
            },
        },
        {
            "type": "object",
            "required": ["n", "suppressed"],
            "properties": {"n": {"type": "integer"}, "suppressed": {"const": True}},
            "description": "Fewer responses than MIN_GROUP_SIZE: nothing is shown.",
        },
    ]
}
BENCHMARKS = {
    "type": "object",
    "description": "Per axis, where the score stands among the completed responses of the same "
    "questionnaire and actor type, in the respondent's region and in France.",
    "additionalProperties": {
        "type": "object",
        "required": ["region", "pays"],
        "properties": {
            "region": {"oneOf": [{"$ref": "#/components/schemas/Group"}, {"type": "null"}]},
            "pays": {"$ref": "#/components/schemas/Group"},
        },
    },
}
FIGURE_SOURCE = {
    "type": "object",
    "required": ["value", "unit", "year", "source"],
    "properties": {
        "value": {"type": "number"},
        "unit": {"type": "string"},
        "year": {"type": "string"},
        "source": {"type": "string"},
        "derived": {"type": "boolean", "description": "Computed here from other figures."},
    },
}
TERRITORY = {
    "type": "object",
    "required": ["code", "level", "name", "parents", "profile", "fragility"],
    "properties": {
        "code": {"type": "string"},
        "level": {"type": "string", "enum": ["pays", "region", "departement", "epci", "commune"]},
        "name": {"type": "string"},
        "parents": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "level", "code", "name"],
                "properties": {
                    "key": {"type": "string"},
                    "level": {"type": "string"},
                    "code": {"type": "string"},
                    "name": {"type": "string"},
                },
            },
        },
        "profile": {
            "type": "object",
            "additionalProperties": {"$ref": "#/components/schemas/FigureSource"},
        },
        "fragility": {
            "type": "object",
            "description": "The 16 domains; index null means « non disponible ».",
            "additionalProperties": {
                "type": "object",
                "required": ["index", "indicators"],
                "properties": {
                    "index": {
                        "type": ["number", "null"],
                        "description": "100 = France; higher is more fragile.",
                    },
                    "indicators": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["key", "label", "value", "unit", "year", "source"],
                            "properties": {
                                "key": {"type": "string"},
                                "label": {"type": "string"},
                                "value": {"type": "number"},
                                "unit": {"type": "string"},
                                "year": {"type": "string"},
                                "source": {"type": "string"},
                                "in_index": {"type": "boolean"},
                                "ratio": {"type": ["number", "null"]},
                                "reference": {"type": ["object", "null"]},
                            },
                        },
                    },
                },
            },
        },
    },
}
RESULTS = {
    "type": "object",
    "required": ["id", "questionnaire", "version", "actor", "territory", "scores"],
    "properties": {
        "id": {"type": "string"},
        "questionnaire": {"type": "string"},
        "version": {"type": "integer"},
        "actor": {"type": ["string", "null"]},
        "territory": {"type": ["string", "null"]},
        "completed_at": {"type": ["string", "null"], "format": "date-time"},
        "scores": {"$ref": "#/components/schemas/Scores"},
        "benchmarks": {"$ref": "#/components/schemas/Benchmarks"},
    },
}
CREATED = {
    "type": "object",
    "required": ["id", "token", "results_url", "scores"],
    "properties": {
        "id": {"type": "string"},
        "token": {
            "type": "string",
            "description": "Private token (256 bits); keep it: it is the "
            "only way back to the results.",
        },
        "results_url": {"type": "string", "format": "uri"},
        "questionnaire": {"type": "string"},
        "version": {"type": "integer"},
        "actor": {"type": ["string", "null"]},
        "territory": {"type": "string"},
        "scores": {"$ref": "#/components/schemas/Scores"},
    },
}
TERRITORY_MATCH = {
    "type": "object",
    "required": ["key", "name"],
    "properties": {
        "key": {"type": "string", "examples": ["commune:69123"]},
        "name": {"type": "string"},
        "departement": {"type": ["string", "null"]},
        "departement_name": {"type": ["string", "null"]},
        "postal_codes": {"type": "array", "items": {"type": "string"}},
        "population": {"type": ["integer", "null"]},
    },
}


PROTECTED_CELL = {
    "oneOf": [
        {
            "type": "object",
            "required": ["n", "value"],
            "properties": {
                "n": {"type": "integer", "description": "Answers the figure rests on."},
                "value": {"type": ["number", "null"],
                          "description": "null when there is nothing to compute it from."},
            },
        },
        {
            "type": "object",
            "required": ["n", "suppressed"],
            "properties": {"n": {"type": "integer"}, "suppressed": {"const": True}},
            "description": "Rests on fewer than min_group_size answers, or could be worked out "
            "from the figures of a neighbouring territory: not shown.",
        },
    ]
}
PROTECTED_QUARTILES = {
    "oneOf": [
        {
            "type": "object",
            "required": ["n", "median", "q1", "q3"],
            "properties": {
                "n": {"type": "integer"},
                "median": {"type": ["number", "null"]},
                "q1": {"type": ["number", "null"]},
                "q3": {"type": ["number", "null"]},
            },
        },
        {
            "type": "object",
            "required": ["n", "suppressed"],
            "properties": {"n": {"type": "integer"}, "suppressed": {"const": True}},
        },
    ]
}
PUBLISHED_FIGURE = {
    "type": ["object", "null"],
    "description": "The Observatoire des partenariats' published national figure for the same "
    "question, with its study and source.",
    "properties": {
        "study": {"type": "string"},
        "fieldwork": {"type": "string"},
        "sample": {"type": ["string", "null"]},
        "value_pct": {"type": ["number", "null"]},
        "score_10": {"type": ["number", "null"]},
        "source": {"type": "string"},
    },
}
PERCEIVED = {
    "type": "object",
    "required": ["territory", "name", "min_group_size", "includes_demo", "responses",
                 "national_responses", "fragility", "actors"],
    "properties": {
        "territory": {"type": "string", "examples": ["departement:69"]},
        "name": {"type": "string"},
        "min_group_size": {"type": "integer"},
        "includes_demo": {
            "type": "boolean",
            "description": "Demonstration responses are counted in these figures.",
        },
        "responses": {
            "type": "object",
            "description": "Completed self-diagnoses per actor type in the territory.",
            "additionalProperties": {"type": "integer"},
        },
        "national_responses": {"type": "object", "additionalProperties": {"type": "integer"}},
        "fragility": {
            "type": "object",
            "description": "The objective fragility index of the 16 domains (100 = France).",
            "additionalProperties": {"type": ["number", "null"]},
        },
        "actors": {
            "type": "object",
            "description": "Per actor type (citoyen, entreprise, association, elu).",
            "additionalProperties": {
                "type": "object",
                "required": ["responses", "left_out", "domains", "impacts", "partnerships"],
                "properties": {
                    "responses": {"type": "integer"},
                    "left_out": {
                        "type": "boolean",
                        "description": "The territory's figures of this actor type are not "
                        "shown: a neighbouring territory has too few answers for its own to "
                        "stay hidden otherwise (its cells are then empty).",
                    },
                    "domains": {
                        "type": "object",
                        "description": "Per domain: mean rating out of 10, share naming it a "
                        "priority (0–1), « ne sait pas » share, the reading against the "
                        "fragility index (shared_priority, blind_spot, perceived_only, "
                        "not_priority, unknown, suppressed), and France's figures.",
                        "additionalProperties": {
                            "type": "object",
                            "properties": {
                                "mean": {"$ref": "#/components/schemas/ProtectedCell"},
                                "priority": {"$ref": "#/components/schemas/ProtectedCell"},
                                "dont_know": {"$ref": "#/components/schemas/ProtectedCell"},
                                "classification": {"type": "string"},
                                "national": {
                                    "type": "object",
                                    "properties": {
                                        "mean": {"$ref": "#/components/schemas/ProtectedCell"},
                                        "priority": {
                                            "$ref": "#/components/schemas/ProtectedCell"
                                        },
                                        "published": {
                                            "$ref": "#/components/schemas/PublishedFigure"
                                        },
                                    },
                                },
                            },
                        },
                    },
                    "impacts": {
                        "type": "object",
                        "description": "Per impact: median and quartiles of the scores "
                        "(0–100), in the territory and in France.",
                        "additionalProperties": {
                            "type": "object",
                            "properties": {
                                "territory": {"$ref": "#/components/schemas/ProtectedQuartiles"},
                                "national": {"$ref": "#/components/schemas/ProtectedQuartiles"},
                            },
                        },
                    },
                    "partnerships": {
                        "type": "object",
                        "description": "Shares (0–1) answering oui, non or nsp to the "
                        "partnerships question, in the territory and in France, and the "
                        "published national share.",
                        "properties": {
                            "territory": {
                                "type": "object",
                                "additionalProperties": {
                                    "$ref": "#/components/schemas/ProtectedCell"
                                },
                            },
                            "national": {
                                "type": "object",
                                "additionalProperties": {
                                    "$ref": "#/components/schemas/ProtectedCell"
                                },
                            },
                            "published": {"$ref": "#/components/schemas/PublishedFigure"},
                        },
                    },
                },
            },
        },
    },
}


def _json(schema_ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _json("Error")}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Diagnostic territorial — API",
            "version": "1.0.0",
            "description": "Questionnaires, responses and their impact scores (confiance, "
            "performance, innovation). Territories are written level:code "
            "(commune:69123, departement:69, region:84, pays:FR).",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/questionnaires": {
                "get": {
                    "summary": "The latest version of every questionnaire",
                    "operationId": "listQuestionnaires",
                    "responses": {
                        "200": {
                            "description": "Questionnaires",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {
                                            "$ref": "#/components/schemas/QuestionnaireSummary"
                                        },
                                    }
                                }
                            },
                        }
                    },
                }
            },
            "/questionnaires/{questionnaire_id}": {
                "get": {
                    "summary": "A whole questionnaire definition",
                    "operationId": "getQuestionnaire",
                    "parameters": [
                        {
                            "name": "questionnaire_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "version",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1},
                            "description": "A past version; the latest by default.",
                        },
                    ],
                    "responses": {
                        "200": {"description": "The definition", "content": _json("Questionnaire")},
                        "400": _error("Malformed version"),
                        "404": _error("Unknown questionnaire or version"),
                    },
                }
            },
            "/responses": {
                "post": {
                    "summary": "Submit and score a response",
                    "operationId": "createResponse",
                    "requestBody": {"required": True, "content": _json("NewResponse")},
                    "responses": {
                        "201": {"description": "Stored and scored", "content": _json("Created")},
                        "400": _error(
                            "Malformed JSON, unknown questionnaire, question or territory, "
                            "a value of the wrong type or outside the scale; nothing is "
                            "stored"
                        ),
                        "413": _error("Body larger than 1 MB"),
                        "415": _error("Body not sent as application/json"),
                    },
                }
            },
            "/results/{token}": {
                "get": {
                    "summary": "The scores of a response, by its private token",
                    "operationId": "getResults",
                    "parameters": [
                        {
                            "name": "token",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": {"description": "Scores", "content": _json("Results")},
                        "404": _error("Unknown token, or response not completed"),
                    },
                }
            },
            "/territories": {
                "get": {
                    "summary": "Find a commune by name or postal code",
                    "operationId": "searchTerritories",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "maxLength": 100},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "At most 20 communes, best first",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/TerritoryMatch"},
                                    }
                                }
                            },
                        },
                        "400": _error("Query too long"),
                    },
                }
            },
            "/territories/{key}": {
                "get": {
                    "summary": "A territory: parents, profile, fragility of the 16 domains",
                    "operationId": "getTerritory",
                    "parameters": [
                        {
                            "name": "key",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                            "examples": {"region": {"value": "region:76"}},
                        }
                    ],
                    "responses": {
                        "200": {"description": "The territory", "content": _json("Territory")},
                        "404": _error("Unknown territory"),
                    },
                }
            },
            "/territories/{key}/perceived": {
                "get": {
                    "summary": "What the application's respondents perceive in a region or a "
                    "department, per actor type, beside France",
                    "description": "From the completed self-diagnoses whose territory lies in "
                    "it. Every figure resting on fewer than min_group_size answers, or that "
                    "could be worked out from a neighbouring territory's, is "
                    '{"n": n, "suppressed": true}, as on the territory\'s page.',
                    "operationId": "getTerritoryPerceived",
                    "parameters": [
                        {
                            "name": "key",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string",
                                       "pattern": "^(region|departement):[0-9AB]{2,3}$"},
                            "examples": {"department": {"value": "departement:69"}},
                        }
                    ],
                    "responses": {
                        "200": {"description": "The perceived figures",
                                "content": _json("Perceived")},
                        "404": _error("Unknown territory, or not a region or a department"),
                    },
                }
            },
            "/maps/{level}.svg": {
                "get": {
                    "summary": "The map of France coloured by the fragility index, as SVG",
                    "description": "By region or department, for one of the 16 domains or "
                    "the mean over them (moyenne); each territory is a link to its profile "
                    "(/territoires/level:code) with a title giving its index. Words in the "
                    "visitor's language (cookie, else Accept-Language).",
                    "operationId": "getMap",
                    "parameters": [
                        {
                            "name": "level",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": ["regions", "departements"]},
                        },
                        {
                            "name": "domain",
                            "in": "query",
                            "required": False,
                            "schema": {
                                "type": "string",
                                "default": "moyenne",
                                "enum": [
                                    "education", "sante", "securite", "mobilite", "numerique",
                                    "culture", "developpement_economique", "emploi",
                                    "niveau_de_vie", "pauvrete", "logement", "isolement",
                                    "diversite", "vieillissement", "environnement",
                                    "transition_energetique", "moyenne",
                                ],
                            },
                        },
                        {
                            "name": "current",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string"},
                            "description": "The INSEE code of a territory of the level to "
                            "outline, such as 84 (regions) or 69 (departements).",
                        },
                    ],
                    "responses": {
                        "200": {"description": "The map",
                                "content": {"image/svg+xml": {"schema": {"type": "string"}}}},
                        "400": _error("Unknown domain, or current not on the map"),
                        "404": _error("Unknown level"),
                    },
                }
            },
            "/campaigns/{public_id}/summary": {
                "get": {
                    "summary": "A campaign's aggregates, as on its dashboard (organisers only)",
                    "operationId": "getCampaignSummary",
                    "security": [{"bearer": []}, {"session": []}],
                    "parameters": [
                        {
                            "name": "public_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "actor",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string"},
                            "description": "Only this actor type.",
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "Participation, regards croisés, impact profiles, "
                            "alliances; every figure resting on fewer than min_group_size "
                            'responses is {"suppressed": true}.',
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        "400": _error("Unknown actor type"),
                        "401": _error("Not logged in and no valid API token"),
                        "404": _error("Unknown campaign, or not one of the organiser's"),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "operationId": "getOpenApi",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1 document",
                            "content": {"application/json": {}},
                        }
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token, created in the account page.",
                },
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
            "schemas": {
                "Text": TEXT,
                "Error": ERROR,
                "AxisScore": AXIS_SCORE,
                "Scores": SCORES,
                "QuestionnaireSummary": SUMMARY,
                "Question": QUESTION,
                "Questionnaire": QUESTIONNAIRE,
                "NewResponse": NEW_RESPONSE,
                "Created": CREATED,
                "Results": RESULTS,
                "TerritoryMatch": TERRITORY_MATCH,
                "Group": GROUP,
                "Benchmarks": BENCHMARKS,
                "FigureSource": FIGURE_SOURCE,
                "Territory": TERRITORY,
                "ProtectedCell": PROTECTED_CELL,
                "ProtectedQuartiles": PROTECTED_QUARTILES,
                "PublishedFigure": PUBLISHED_FIGURE,
                "Perceived": PERCEIVED,
            },
        },
    }
