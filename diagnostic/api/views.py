"""JSON API v1: questionnaires, responses with their scores, territory search."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from questionnaires import Question, Questionnaire, applicable_answers, check_answers
from scoring import AXES

from ..extensions import db
from ..models import as_utc
from ..registry import catalog
from ..services import accounts, benchmarks, campaigns, explorer, reference, responses, territories
from ..templating import territory_label
from .openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")

RESPONSE_KEYS = {"questionnaire", "territory", "answers", "language"}


class InvalidRequest(BadRequest):
    """A 400 whose `details` say what is wrong, field by field."""

    def __init__(self, description: str, details: Any = None) -> None:
        super().__init__(description)
        self.details = details if details is not None else {}


def _question_json(question: Question) -> dict[str, Any]:
    return {
        "id": question.id,
        "type": question.type,
        "label": question.label.as_dict(),
        "help": question.help.as_dict() if question.help else None,
        "required": question.required,
        "scale": question.scale.id if question.scale else None,
        "axis": question.axis,
        "domain": question.domain,
        "weight": question.weight,
        "reversed": question.reversed,
        "dont_know": question.offers_dont_know,
        "options": [{"value": o.value, "label": o.label.as_dict()} for o in question.options],
        "max_choices": question.max_choices,
        "min": question.minimum,
        "max": question.maximum,
        "integer": question.integer if question.type == "number" else None,
        "max_length": question.max_length if question.type == "text" else None,
        "show_if": question.show_if.as_dict() if question.show_if else None,
    }


def _summary_json(questionnaire: Questionnaire) -> dict[str, Any]:
    return {
        "id": questionnaire.id,
        "actor": questionnaire.actor,
        "kind": questionnaire.kind,
        "version": questionnaire.version,
        "title": questionnaire.title.as_dict(),
    }


def _scores_json(scores) -> dict[str, Any]:
    return {axis: scores[axis].as_dict() for axis in AXES if axis in scores}


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document of this API."""
    return jsonify(openapi_document())


@bp.get("/questionnaires")
def list_questionnaires():
    """The latest version of every questionnaire."""
    return jsonify([_summary_json(q) for q in catalog().latest()])


@bp.get("/questionnaires/<questionnaire_id>")
def get_questionnaire(questionnaire_id: str):
    """A whole questionnaire definition (latest version, or `?version=`)."""
    version = request.args.get("version")
    if version is not None and not version.isdigit():
        raise InvalidRequest("version must be a whole number", {"version": version[:20]})
    questionnaire = catalog().get(questionnaire_id, int(version) if version else None)
    if questionnaire is None:
        abort(404, description="Unknown questionnaire (or version)")
    return jsonify(
        {
            **_summary_json(questionnaire),
            "description": questionnaire.description.as_dict(),
            "duration_minutes": questionnaire.duration_minutes,
            "scales": {
                scale_id: {
                    "values": [
                        {"value": v.value, "score": v.score, "label": v.label.as_dict()}
                        for v in scale.values
                    ],
                    "dont_know": scale.dont_know,
                }
                for scale_id, scale in questionnaire.scales.items()
            },
            "sections": [
                {
                    "id": section.id,
                    "title": section.title.as_dict(),
                    "questions": [_question_json(q) for q in section.questions],
                }
                for section in questionnaire.sections
            ],
        }
    )


def _json_body() -> dict[str, Any]:
    if not request.is_json:
        raise UnsupportedMediaType("Send the body as JSON with Content-Type: application/json")
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        # Nested deeper than the JSON reader goes (a body of « [[[[… »): not readable either.
        body = None
    if body is None:
        raise InvalidRequest("The body is not valid JSON")
    if not isinstance(body, dict):
        raise InvalidRequest("The body must be a JSON object")
    return body


@bp.post("/responses")
def create_response():
    """Submit a whole response; it is scored at once. Nothing is stored if anything is wrong."""
    token = None
    if "Idempotency-Key" in request.headers:
        key = responses.valid_idempotency_key(request.headers["Idempotency-Key"])
        if key is None:
            raise InvalidRequest(
                "Invalid Idempotency-Key",
                {"Idempotency-Key": "expected 16 to 128 letters, digits, '-' or '_'"},
            )
        token = responses.token_for(current_app.secret_key, "api", key)
        if responses.status_of(token) == "completed":
            # A retry of a submission already stored: the same answer, nothing stored again.
            existing = responses.find_response(token)
            return jsonify(_created_body(existing, token, responses.stored_scores(existing))), 200
    body = _json_body()
    unknown = sorted(set(body) - RESPONSE_KEYS)
    if unknown:
        raise InvalidRequest("Unknown fields", {key[:64]: "unknown field" for key in unknown})
    questionnaire_id = body.get("questionnaire")
    if not isinstance(questionnaire_id, str):
        raise InvalidRequest(
            "questionnaire is required", {"questionnaire": "expected a questionnaire id (a string)"}
        )
    questionnaire = catalog().get(questionnaire_id)
    if questionnaire is None:
        raise InvalidRequest(
            "Unknown questionnaire",
            {"questionnaire": f"unknown questionnaire {questionnaire_id[:64]!r}"},
        )
    key = body.get("territory")
    if not isinstance(key, str) or territories.parse_key(key) is None:
        raise InvalidRequest(
            "territory is required",
            {"territory": "expected a territory written level:code, such as commune:69123"},
        )
    territory = territories.place(key)
    if territory is None:
        raise InvalidRequest("Unknown territory", {"territory": f"unknown territory {key!r}"})
    language = body.get("language", "fr")
    if language not in ("fr", "en"):
        raise InvalidRequest("Unknown language", {"language": "expected fr or en"})
    answers = body.get("answers", {})
    if not isinstance(answers, dict):
        raise InvalidRequest(
            "answers must be an object", {"answers": "expected an object {question id: value}"}
        )
    accepted, errors = check_answers(questionnaire, answers)
    territory_question = questionnaire.territory_question
    if (
        territory_question is not None
        and territory_question.id in accepted
        and accepted[territory_question.id] != territory.key
    ):
        errors[territory_question.id] = "must be the same as territory (or left out)"
    if errors:
        raise InvalidRequest(
            "Some answers are not valid", {key[:64]: str(error) for key, error in errors.items()}
        )
    try:
        response, token, scores = responses.create_completed_response(
            questionnaire, territory, applicable_answers(questionnaire, accepted), language, token
        )
    except IntegrityError:
        # The same Idempotency-Key, stored meanwhile by a concurrent request.
        db.session.rollback()
        existing = responses.find_response(token) if token else None
        if existing is None or not existing.completed:
            raise
        return jsonify(_created_body(existing, token, responses.stored_scores(existing))), 200
    body = _created_body(response, token, scores)
    return jsonify(body), 201, {"Location": url_for(".get_results", token=token)}


def _created_body(response, token: str, scores) -> dict:
    return {
        "id": response.public_id,
        "token": token,
        "results_url": url_for("respondent.results_page", token=token, _external=True),
        "questionnaire": response.questionnaire_id,
        "version": response.questionnaire_version,
        "actor": response.actor,
        "territory": response.territory,
        "scores": _scores_json(scores),
    }


@bp.get("/results/<token>")
def get_results(token: str):
    """The scores of a completed response, by its private token, with where they stand."""
    response = responses.find_response(token)
    if response is None:
        abort(404, description="Unknown token")
    if not response.completed:
        abort(404, description="This response is not completed yet")
    scores = responses.stored_scores(response)
    axis_benchmarks, _groups = benchmarks.benchmarks_for(
        response,
        {axis: result.score for axis, result in scores.items()},
        list(AXES),
        current_app.config["MIN_GROUP_SIZE"],
    )
    return jsonify(
        {
            "id": response.public_id,
            "questionnaire": response.questionnaire_id,
            "version": response.questionnaire_version,
            "actor": response.actor,
            "territory": response.territory,
            "completed_at": as_utc(response.completed_at).isoformat()
            if response.completed_at
            else None,
            "scores": _scores_json(scores),
            "benchmarks": {axis: bench.as_dict() for axis, bench in axis_benchmarks.items()},
        }
    )


def _indicator_json(item, labels) -> dict[str, Any]:
    definition = labels.get(item.figure.indicator)
    return {
        "key": item.figure.indicator,
        "label": definition.label_fr if definition else item.figure.indicator,
        "value": item.figure.value,
        "unit": item.figure.unit,
        "year": item.figure.year,
        "source": item.figure.source,
        "in_index": item.counted,
        "ratio": None if item.ratio is None else round(item.ratio, 1),
        "reference": None
        if item.reference is None
        else {
            "value": item.reference.value,
            "year": item.reference.year,
            "scope": item.reference.scope,
        },
    }


@bp.get("/territories/<key>")
def get_territory(key: str):
    """A territory: its parents, structural profile and the fragility index of the 16 domains."""
    territory = territories.get_territory(key)
    if territory is None:
        abort(404, description="Unknown territory (write it level:code, such as region:84)")
    labels = reference.indicator_labels()
    fragility = reference.territory_fragility(territory, list(catalog().vocabulary.domains))
    profile = reference.territory_profile(territory)
    return jsonify(
        {
            "code": territory.code,
            "level": territory.level,
            "name": territory.name,
            "parents": [
                {"key": p.key, "level": p.level, "code": p.code, "name": p.name}
                for p in territories.parents(territory)
            ],
            "profile": {
                name: {
                    "value": figure.value,
                    "unit": figure.unit,
                    "year": figure.year,
                    "source": figure.source,
                    "derived": figure.derived,
                }
                for name, figure in profile.items()
            },
            "fragility": {
                domain: {
                    "index": None if result.index is None else round(result.index, 1),
                    "indicators": [_indicator_json(item, labels) for item in result.indicators],
                }
                for domain, result in fragility.items()
            },
        }
    )


@bp.get("/territories")
def search_territories():
    """Territories whose name or postal code starts with `q` (at most 20): communes, or the
    `levels` asked for (comma-separated), only those inside `within` (a territory key) if given."""
    query = request.args.get("q", "")
    if len(query) > 100:
        raise InvalidRequest("q is too long", {"q": "at most 100 characters"})
    levels = tuple(request.args.get("levels", "commune").split(","))
    if not levels or any(level not in territories.LEVELS for level in levels):
        raise InvalidRequest("Unknown level", {"levels": "a comma-separated list of pays, "
                                                         "region, departement, epci, commune"})
    within = None
    if request.args.get("within"):
        within = territories.get_territory(request.args["within"])
        if within is None:
            raise InvalidRequest("Unknown territory", {"within": "a territory key, such as "
                                                                 "epci:200046977"})
    return jsonify(
        [
            {
                "key": match.key,
                "name": match.name,
                "label": territory_label(match),
                "departement": match.departement_code,
                "departement_name": match.departement_name,
                "postal_codes": list(match.postal_codes),
                "population": match.population,
            }
            for match in territories.search_territories(query, levels, within=within)
        ]
    )


def _api_user():
    """The organiser of the session, or of a personal API token (Authorization: Bearer …)."""
    from flask_login import current_user

    header = request.headers.get("Authorization", "")
    if header:
        scheme, _space, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            abort(401, description="Send a personal API token as Authorization: Bearer <token>")
        user = accounts.user_for_api_token(token.strip())
        if user is None:
            abort(401, description="Unknown or revoked API token")
        return user
    if current_user.is_authenticated:
        return current_user
    abort(401, description="Log in, or send a personal API token as Authorization: Bearer "
                           "<token>")


@bp.get("/campaigns/<public_id>/summary")
def campaign_summary(public_id: str):
    """The dashboard's aggregates of a campaign, with the same small-group protection."""
    user = _api_user()
    campaign = campaigns.campaign_for(user, public_id)
    if campaign is None:
        abort(404, description="Unknown campaign")
    filters = campaigns.Filters(actor=request.args.get("actor") or None)
    if filters.actor is not None and filters.actor not in {link.actor for link in campaign.links}:
        raise InvalidRequest("Unknown actor type", {"actor": "an actor type of the campaign"})
    summary = campaigns.summary(campaign, filters, catalog(), current_app.config["MIN_GROUP_SIZE"])
    return jsonify(campaigns.summary_json(summary))


@bp.get("/territories/<key>/perceived")
def territory_perceived(key: str):
    """What the application's respondents perceive in a region or a department, per actor type,
    beside France: the same figures, with the same small-group protection, as its page."""
    territory = territories.get_territory(key)
    if territory is None:
        abort(404, description="Unknown territory (write it level:code, such as region:84)")
    if territory.level not in explorer.PERCEIVED_LEVELS:
        abort(404, description="Perceived figures are published for regions and departments "
                               "only (region:84, departement:69)")
    try:
        view = explorer.perceived(territory, catalog(), current_app.config["MIN_GROUP_SIZE"])
    except explorer.CountsNotReady:
        answer = jsonify(error="The perceived figures are being counted: try again in a minute",
                         details={})
        return answer, 503, {"Retry-After": "30"}
    return jsonify(explorer.perceived_json(view))
