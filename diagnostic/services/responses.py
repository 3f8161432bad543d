"""Responses: start, save section by section, complete and score, read back by private token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from questionnaires import (
    AnswerValue,
    Question,
    Questionnaire,
    Section,
    applicable_answers,
    applicable_questions,
    check_answers,
)
from scoring import AXES, AxisScore, score_axes
from scoring.benchmarks import score_key

from ..database import retrying
from ..extensions import db
from ..models import Answer, Response, ResponseScore, Territory, utcnow
from . import benchmarks, rows, territories

#: Bytes of randomness in a private token (256 bits; at least 128 are required).
TOKEN_BYTES = 32
#: What a stored score keeps of an AxisScore, besides its axis.
SCORE_FIELDS = tuple(f.name for f in fields(AxisScore) if f.name != "axis")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


#: An idempotency key: created when a form is rendered (or by an API client), sent with it.
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{16,128}")


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(24)


def valid_idempotency_key(key: object) -> str | None:
    return key if isinstance(key, str) and IDEMPOTENCY_KEY.fullmatch(key) else None


def token_for(secret: str, scope: str, key: str) -> str:
    """The private token of the response a submission with idempotency key `key` creates: the
    same key always gives the same token, so a resubmission finds the response it created
    (by the token's hash, which is unique) instead of creating another; without the secret, a
    key tells nothing of the token."""
    digest = hmac.new(secret.encode("utf-8"), f"{scope}:{key}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")


def find_response(token: str) -> Response | None:
    """The response of a private token; None for an unknown or malformed token.

    The lookup is by hash of the token, so its timing tells nothing about stored tokens.
    """
    if not token or len(token) > 128:
        return None
    return db.session.scalar(select(Response).where(Response.token_hash == hash_token(token)))


def status_of(token: str) -> str | None:
    """The status of the response of a private token (None: no such response): one indexed
    lookup, no ORM object, for the check every API submission with an Idempotency-Key makes."""
    if not token or len(token) > 128:
        return None
    return rows.scalar("SELECT status FROM response WHERE token_hash = ?", hash_token(token))


def _new_response(questionnaire: Questionnaire, language: str,
                  campaign_id: int | None = None, token: str | None = None
                  ) -> tuple[Response, str]:
    token = token or secrets.token_urlsafe(TOKEN_BYTES)
    response = Response(
        public_id=secrets.token_hex(16),
        token_hash=hash_token(token),
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        actor=questionnaire.actor_of({}),
        language=language,
        campaign_id=campaign_id,
    )
    db.session.add(response)
    return response, token


@retrying
def start_response(questionnaire: Questionnaire, language: str, campaign_id: int | None = None,
                   territory: Territory | None = None, token: str | None = None,
                   workshop_id: int | None = None) -> tuple[Response, str]:
    """Create a response (through a campaign's link, with its commune already answered when the
    campaign is about one; or a workshop's participant); return it with its private token (shown
    once, never stored). With `token` (from `token_for`), a second call with the same token
    returns the response the first created, even when both run at once."""
    if token is not None:
        existing = find_response(token)
        if existing is not None:
            return existing, token
    response, token = _new_response(questionnaire, language, campaign_id, token)
    response.workshop_id = workshop_id
    question = questionnaire.territory_question
    if territory is not None:
        if question is not None:
            response.answers.append(Answer(question_id=question.id, value=territory.key))
        _apply_profile(response, questionnaire,
                       {question.id: territory.key} if question is not None else {}, territory)
    try:
        db.session.commit()
    except IntegrityError:
        # The same submission, committed meanwhile by another request: that response.
        db.session.rollback()
        existing = find_response(token)
        if existing is None:
            raise
        return existing, token
    return response, token


def _apply_profile(
    response: Response,
    questionnaire: Questionnaire,
    answers: Mapping[str, AnswerValue],
    territory: Territory | None,
) -> None:
    """Copy onto the response what groups it: territory, region, actor type."""
    if territory is not None:
        response.territory = territory.key
        response.region_code = territories.region_code_of(territory)
    actor = questionnaire.actor_of(answers)
    if actor is not None:
        response.actor = actor


@retrying
def save_section(
    response: Response,
    questionnaire: Questionnaire,
    section: Section,
    answers: Mapping[str, AnswerValue],
    territory: Territory | None,
    resume_at: int,
    limit: int | None = None,
) -> None:
    """Replace the answers to the questions of `section` with `answers` (already checked).

    `territory` is the territory answered in this section, if any; `resume_at` the index of the
    section the respondent goes to next, where the private link will reopen the questionnaire;
    `limit`: submissions a token may send in a minute (`count_submission`, in the same
    transaction: a locked database is retried for both).
    """
    if limit is not None:
        count_submission(response, limit)
    asked = {question.id for question in section.questions}
    existing = {answer.question_id: answer for answer in response.answers}
    for question_id in asked:
        if question_id in answers:
            if question_id in existing:
                existing[question_id].value = answers[question_id]
            else:
                response.answers.append(Answer(question_id=question_id, value=answers[question_id]))
        elif question_id in existing:
            response.answers.remove(existing[question_id])
    _apply_profile(response, questionnaire, answers, territory)
    response.current_section = resume_at
    response.updated_at = utcnow()
    db.session.commit()


class TooManySubmissions(RuntimeError):
    """More submissions with one private token than the limit allows in a minute."""


def count_submission(response: Response, limit: int, now: float | None = None) -> None:
    """Count a submission with this response's token in the current minute (saved with the
    submission itself); raise TooManySubmissions beyond `limit` (nothing is then saved). The
    count lives in the database, so every worker sees it; it is per token, not per address (a
    workshop puts hundreds of phones behind one address)."""
    minute = int((time.time() if now is None else now) // 60)
    if response.rate_window != minute:
        response.rate_window, response.rate_count = minute, 0
    if response.rate_count >= limit:
        db.session.rollback()
        raise TooManySubmissions(response.public_id)
    response.rate_count += 1


def first_missing_required(
    questionnaire: Questionnaire, answers: Mapping[str, AnswerValue]
) -> Question | None:
    """The first required question that applies and has no answer."""
    applicable = applicable_questions(questionnaire, answers)
    for question in questionnaire.questions:
        if question.required and question.id in applicable and answers.get(question.id) is None:
            return question
    return None


def complete_response(response: Response, questionnaire: Questionnaire) -> dict[str, AxisScore]:
    """Score a response, keep only the answers to questions that apply, and mark it completed."""
    answers = response.answer_map()
    kept = applicable_answers(questionnaire, answers)
    for answer in list(response.answers):
        if answer.question_id not in kept:
            response.answers.remove(answer)
    scores = score_axes(questionnaire, kept)
    response.scores = [
        ResponseScore(
            axis=axis,
            score_key=None if result.score is None else score_key(result.score),
            **{name: getattr(result, name) for name in SCORE_FIELDS},
        )
        for axis, result in scores.items()
    ]
    response.status = "completed"
    response.completed_at = utcnow()
    response.actor = questionnaire.actor_of(kept)
    db.session.flush()
    benchmarks.record_completion(response)
    if response.campaign_id is not None:
        from . import campaigns

        campaigns.record_completion(response, questionnaire)
    db.session.commit()
    return scores


@dataclass(frozen=True)
class StoredResponse:
    """What a whole response stored at once is known by (`create_completed_response`)."""

    id: int
    public_id: str
    questionnaire_id: str
    questionnaire_version: int
    actor: str | None
    territory: str | None
    region_code: str | None
    completed: bool = True


@retrying
def create_completed_response(
    questionnaire: Questionnaire,
    territory: Territory | territories.Place,
    answers: Mapping[str, AnswerValue],
    language: str,
    token: str | None = None,
) -> tuple[StoredResponse, str, dict[str, AxisScore]]:
    """Store a whole response at once (the API) and score it, in one transaction.

    `answers` are already checked; `token`: see `start_response` (the caller looks for the
    response of that token first; a concurrent twin makes this raise IntegrityError).
    The rows are those `start_response`, `save_section` and `complete_response` would leave,
    written by plain SQL (`rows`): this is the path a busy server takes most.
    """
    token = token or secrets.token_urlsafe(TOKEN_BYTES)
    answers = dict(answers)
    question = questionnaire.territory_question
    if question is not None:
        answers[question.id] = territory.key
    kept = applicable_answers(questionnaire, answers)
    scores = score_axes(questionnaire, kept)
    now = utcnow()
    stored = StoredResponse(
        id=0,
        public_id=secrets.token_hex(16),
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        actor=questionnaire.actor_of(kept),
        territory=territory.key,
        region_code=territories.region_code_of(territory),
    )
    values = {
        "public_id": stored.public_id, "token_hash": hash_token(token),
        "questionnaire_id": stored.questionnaire_id,
        "questionnaire_version": stored.questionnaire_version, "actor": stored.actor,
        "territory": stored.territory, "region_code": stored.region_code, "language": language,
        "status": "completed", "current_section": len(questionnaire.sections) - 1,
        "created_at": now, "updated_at": now, "completed_at": now, "is_demo": False,
        "rate_count": 0,
    }
    keys = {axis: None if result.score is None else score_key(result.score)
            for axis, result in scores.items()}
    response_id = rows.insert_together(
        rows.Insert(Response.__table__, tuple(values), [tuple(values.values())],
                    returning="id"),
        [rows.JsonObjectRows(Answer.__table__, "response_id", "question_id", "value", kept),
         rows.Insert(ResponseScore.__table__, ("axis", "score_key", *SCORE_FIELDS),
                     [(axis, keys[axis], *(getattr(result, name) for name in SCORE_FIELDS))
                      for axis, result in scores.items()], owner="response_id"),
         *benchmarks.completion_counts(stored.questionnaire_id, stored.actor,
                                       stored.region_code, now, keys)])
    db.session.commit()
    return replace(stored, id=response_id), token, scores


def stored_scores(response: Response) -> dict[str, AxisScore]:
    """The scores computed when the response was completed, by axis."""
    rows = {row.axis: row for row in response.scores}
    return {
        axis: AxisScore(axis=axis, **{name: getattr(rows[axis], name) for name in SCORE_FIELDS})
        for axis in AXES
        if axis in rows
    }


def redo_response(
    previous: Response, questionnaire: Questionnaire, language: str
) -> tuple[Response, str]:
    """A new response to the latest version, linked to `previous`, with its profile answers
    (the first section) copied when they are still valid answers."""
    response, token = _new_response(questionnaire, language)
    response.previous_id = previous.id
    profile = questionnaire.sections[0]
    kept, _errors = check_answers(
        questionnaire,
        {
            question.id: value
            for question_id, value in previous.answer_map().items()
            if (question := questionnaire.question(question_id)) is not None
            and question.section == profile.id
        },
    )
    for question_id, value in kept.items():
        response.answers.append(Answer(question_id=question_id, value=value))
    territory = None
    if (
        previous.territory
        and questionnaire.territory_question is not None
        and questionnaire.territory_question.id in kept
    ):
        territory = territories.get_territory(previous.territory)
    _apply_profile(response, questionnaire, kept, territory)
    db.session.commit()
    return response, token
