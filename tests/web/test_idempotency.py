"""A submission sent twice (double tap, back button, a client's retry) creates one thing: the
idempotency key created with the form (or sent by an API client) gives the same private token,
and the token's hash is unique."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from diagnostic.extensions import db
from diagnostic.models import Response
from tests.conftest import csrf_token

KEY = re.compile(r'name="submission" type="hidden" value="([A-Za-z0-9_-]+)"')
BODY = {
    "questionnaire": "elu",
    "territory": "departement:69",
    "answers": {"conf_interlocuteurs": 4, "inno_source": 3},
}


def responses_stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response))


def test_starting_twice_with_the_same_form_gives_one_response(app, client):
    page = client.get("/diagnostic/citoyen").get_data(as_text=True)
    key = KEY.search(page).group(1)
    form = {"csrf_token": csrf_token(page), "submission": key}
    first = client.post("/diagnostic/citoyen", data=form)
    second = client.post("/diagnostic/citoyen", data=form)
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    assert re.search(r"/r/[A-Za-z0-9_-]{43}/etape/1$", first.location)
    assert responses_stored(app) == 1
    # A new page is a new form: a new key, a new response.
    again = client.get("/diagnostic/citoyen").get_data(as_text=True)
    other = KEY.search(again).group(1)
    assert other != key
    third = client.post("/diagnostic/citoyen",
                        data={"csrf_token": csrf_token(again), "submission": other})
    assert third.location != first.location
    assert responses_stored(app) == 2


def test_the_same_key_for_another_questionnaire_is_another_response(app, client):
    page = client.get("/diagnostic/citoyen").get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), "submission": KEY.search(page).group(1)}
    first = client.post("/diagnostic/citoyen", data=form)
    second = client.post("/diagnostic/elu", data=form)
    assert first.location != second.location
    assert responses_stored(app) == 2


def test_a_tampered_key_still_starts_one_response(app, client):
    page = client.get("/diagnostic/citoyen").get_data(as_text=True)
    for key in ("", "short", "x" * 500, "<script>alert(1)</script>aaaaaaaaaaaa"):
        started = client.post("/diagnostic/citoyen",
                              data={"csrf_token": csrf_token(page), "submission": key})
        assert started.status_code == 302
    assert responses_stored(app) == 4


def test_an_api_retry_with_the_same_idempotency_key_stores_one_response(app, client):
    headers = {"Idempotency-Key": "retry-after-timeout-0001"}
    first = client.post("/api/v1/responses", json=BODY, headers=headers)
    second = client.post("/api/v1/responses", json=BODY, headers=headers)
    assert first.status_code == 201 and second.status_code == 200
    one, two = first.get_json(), second.get_json()
    assert one["id"] == two["id"] and one["token"] == two["token"]
    assert one["scores"] == two["scores"]
    assert one["scores"]["innovation"]["dont_know_share"] == 0.0
    assert responses_stored(app) == 1
    # Another key, or none: another response.
    assert client.post("/api/v1/responses", json=BODY,
                       headers={"Idempotency-Key": "another-submission-02"}).status_code == 201
    assert client.post("/api/v1/responses", json=BODY).status_code == 201
    assert responses_stored(app) == 3


def test_a_malformed_idempotency_key_is_refused_and_nothing_is_stored(app, client):
    for key in ("short", "with spaces in the key!", "é" * 20, "x" * 200):
        refused = client.post("/api/v1/responses", json=BODY, headers={"Idempotency-Key": key})
        assert refused.status_code == 400
        assert refused.get_json()["error"] == "Invalid Idempotency-Key"
    assert responses_stored(app) == 0
