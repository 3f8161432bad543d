"""Submissions are limited per private token (not per address: a workshop puts hundreds of
phones behind one address), with the count kept in the database for every worker."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from diagnostic.extensions import db
from diagnostic.models import Answer, Response
from diagnostic.services import responses
from tests.conftest import Respondent


@pytest.fixture
def limit(app):
    saved = app.config["SUBMISSIONS_PER_MINUTE"]
    app.config["SUBMISSIONS_PER_MINUTE"] = 3
    yield 3
    app.config["SUBMISSIONS_PER_MINUTE"] = saved


def answer_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Answer))


def test_a_token_beyond_its_submissions_per_minute_gets_429_and_nothing_stored(
        app, client, limit):
    respondent = Respondent(client)
    respondent.start("citoyen")
    for _ in range(limit):
        assert respondent.submit(1, {"territoire": "commune:69123"}).status_code == 302
    before = answer_rows(app)
    refused = respondent.submit(1, {"territoire": "commune:69266"})
    assert refused.status_code == 429
    assert answer_rows(app) == before
    with app.app_context():
        value = db.session.scalar(select(Answer.value).where(Answer.question_id == "territoire"))
    assert value == "commune:69123"
    # Another respondent behind the same address is not held back.
    other = Respondent(app.test_client())
    other.start("citoyen")
    assert other.submit(1, {"territoire": "commune:69266"}).status_code == 302


def test_the_window_is_a_minute(app, limit):
    with app.app_context():
        response = Response(public_id="r" * 32, token_hash="h" * 64, questionnaire_id="citoyen",
                            questionnaire_version=1)
        db.session.add(response)
        db.session.commit()
        for _ in range(limit):
            responses.count_submission(response, limit, now=600.0)
        with pytest.raises(responses.TooManySubmissions):
            responses.count_submission(response, limit, now=659.0)
        response = db.session.get(Response, response.id)
        responses.count_submission(response, limit, now=660.0)
        assert (response.rate_window, response.rate_count) == (11, 1)
