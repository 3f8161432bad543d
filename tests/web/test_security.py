"""Limits and failures: what is too large or has too many fields is refused with 413 and changes
nothing; an unexpected error shows the error page with no trace, SQL or internal detail; HTTPS
and a reverse proxy's X-Forwarded-* headers (trusted only when PROXY_FIX says so); the pool and
proxy settings."""

from __future__ import annotations

import json

import pytest
from flask import request
from sqlalchemy import func, select, text
from werkzeug.test import encode_multipart

from diagnostic import config
from diagnostic.extensions import db
from diagnostic.models import LoginAttempt
from tests.conftest import csrf_token, make_app

EN = {"Accept-Language": "en"}
TWO_MB = 2 * 1024 * 1024
#: What an error page must never show.
LEAKS = (
    "Traceback",
    'File "',
    "sqlalchemy",
    "OperationalError",
    "ProgrammingError",
    "SELECT",
    "no_such_table",
    "secret_column",
    "hunter2",
)


def many_fields(count: int, **fields: str) -> str:
    """A urlencoded body with `fields` and `count` more."""
    pairs = [f"{name}={value}" for name, value in fields.items()]
    pairs += [f"item_f{number}=1" for number in range(count)]
    return "&".join(pairs)


def login_attempts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LoginAttempt))


# --------------------------------------------------------------------------- too much


def test_a_two_megabyte_answer_is_refused_and_nothing_is_stored(respondent, db_counts):
    respondent.start("entreprise")
    before = db_counts()
    token = csrf_token(respondent.page(7).get_data(as_text=True))
    refused = respondent.client.post(
        respondent.section_url(7),
        data={"csrf_token": token, "action": "next", "item_commentaire": "x" * TWO_MB},
        headers=EN,
    )
    assert refused.status_code == 413
    assert refused.mimetype == "text/html"
    assert "larger than the 1 MB accepted" in refused.get_data(as_text=True)
    assert db_counts() == before


def test_a_form_of_ten_thousand_fields_is_refused_and_nothing_is_stored(respondent, db_counts):
    respondent.start("entreprise")
    before = db_counts()
    token = csrf_token(respondent.page(1).get_data(as_text=True))
    refused = respondent.client.post(
        respondent.section_url(1),
        data=many_fields(10_000, csrf_token=token, action="next"),
        content_type="application/x-www-form-urlencoded",
    )
    assert refused.status_code == 413
    assert db_counts() == before
    # The same as multipart/form-data.
    boundary, body = encode_multipart(
        {"csrf_token": token, "action": "next", **{f"item_f{n}": "1" for n in range(10_000)}}
    )
    refused = respondent.client.post(
        respondent.section_url(1),
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert refused.status_code == 413
    assert db_counts() == before


def test_a_form_under_the_field_limit_goes_through(respondent):
    """Hundreds of fields, far more than any section has, are read (and unknown ones ignored)."""
    respondent.start("entreprise")
    token = csrf_token(respondent.page(1).get_data(as_text=True))
    answer = respondent.client.post(
        respondent.section_url(1),
        data=many_fields(400, csrf_token=token, action="pause"),
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code != 413


def test_a_large_multipart_text_field_is_refused(respondent, db_counts):
    respondent.start("entreprise")
    before = db_counts()
    token = csrf_token(respondent.page(7).get_data(as_text=True))
    refused = respondent.client.post(
        respondent.section_url(7),
        data={"csrf_token": token, "action": "next", "item_commentaire": "x" * 200_000},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 413
    assert db_counts() == before


def test_the_login_form_refuses_ten_thousand_fields_without_counting_an_attempt(app, client):
    before = login_attempts(app)
    token = csrf_token(client.get("/connexion").get_data(as_text=True))
    refused = client.post(
        "/connexion",
        data=many_fields(10_000, csrf_token=token, email="x%40example.org", password="x"),
        content_type="application/x-www-form-urlencoded",
    )
    assert refused.status_code == 413
    assert login_attempts(app) == before


def test_the_api_refuses_two_megabytes_with_a_json_error(client, db_counts):
    before = db_counts()
    body = json.dumps(
        {"questionnaire": "elu", "territory": "commune:69123", "answers": {"x": "x" * TWO_MB}}
    )
    refused = client.post("/api/v1/responses", data=body, content_type="application/json")
    assert refused.status_code == 413
    assert set(refused.get_json()) == {"error", "details"}
    assert db_counts() == before


# --------------------------------------------------------------------------- failures


@pytest.fixture(scope="module")
def extra(app, tmp_path_factory):
    """A second application on the same database, behind one trusted proxy (PROXY_FIX=1), with
    test-only routes: one that fails with an SQL error, one that tells what it sees of the
    request."""
    application = make_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path_factory.mktemp("extra") / "instance",
        PROPAGATE_EXCEPTIONS=False,
        PROXY_FIX=1,
    )

    def fail():
        db.session.execute(text("SELECT secret_column FROM no_such_table WHERE p = 'hunter2'"))
        return "unreachable"

    def seen():
        return {"address": request.remote_addr, "scheme": request.scheme, "host": request.host}

    application.add_url_rule("/essai/erreur", "fail", fail)
    application.add_url_rule("/api/v1/essai/erreur", "api_fail", fail)
    application.add_url_rule("/essai/requete", "seen", seen)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_an_unexpected_error_shows_the_error_page_and_nothing_else(extra):
    client = extra.test_client()
    failed = client.get("/essai/erreur", headers=EN)
    assert failed.status_code == 500
    assert failed.mimetype == "text/html"
    body = failed.get_data(as_text=True)
    assert "Something went wrong on our side" in body
    assert "Your answers already saved are kept" in body
    for leak in LEAKS:
        assert leak not in body, leak
    assert failed.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self';" in failed.headers["Content-Security-Policy"]


def test_an_unexpected_api_error_is_a_json_error_and_nothing_else(extra):
    failed = extra.test_client().get("/api/v1/essai/erreur")
    assert failed.status_code == 500
    assert set(failed.get_json()) == {"error", "details"}
    for leak in LEAKS:
        assert leak not in failed.get_data(as_text=True), leak


# --------------------------------------------------------------------------- HTTPS and proxies


def session_cookie(answer) -> str:
    cookies = [
        value for value in answer.headers.getlist("Set-Cookie") if value.startswith("session=")
    ]
    assert cookies, answer.headers
    return cookies[0]


def test_strict_transport_security_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://diagnostic.test")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_forwarded_headers_are_ignored_without_proxy_fix(client):
    answer = client.get(
        "/connexion", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    )
    assert "Strict-Transport-Security" not in answer.headers
    assert "secure" not in session_cookie(answer).lower()


def test_behind_a_trusted_proxy_the_client_and_https_come_from_its_headers(extra):
    client = extra.test_client()
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Host": "diagnostic.example.org",
    }
    seen = client.get("/essai/requete", headers=forwarded).get_json()
    assert seen == {"address": "203.0.113.9", "scheme": "https", "host": "diagnostic.example.org"}
    answer = client.get("/connexion", headers=forwarded)
    assert answer.status_code == 200
    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "; secure" in session_cookie(answer).lower()
    # Only the last proxy's word counts: a client cannot pass itself off as another.
    spoofed = {**forwarded, "X-Forwarded-For": "198.51.100.1, 203.0.113.9"}
    assert client.get("/essai/requete", headers=spoofed).get_json()["address"] == "203.0.113.9"


# --------------------------------------------------------------------------- settings


def test_pool_size_and_overflow_from_the_environment(monkeypatch):
    monkeypatch.delenv("DB_POOL_SIZE", raising=False)
    monkeypatch.delenv("DB_MAX_OVERFLOW", raising=False)
    options = config.engine_options("postgresql+psycopg://u@h/db")
    assert (options["pool_size"], options["max_overflow"]) == (5, 10)
    assert options["pool_pre_ping"] is True
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "0")
    options = config.engine_options("postgresql+psycopg://u@h/db")
    assert (options["pool_size"], options["max_overflow"]) == (3, 0)
    assert "pool_size" not in config.engine_options("sqlite:///x.sqlite3")
    for name, bad in (("DB_POOL_SIZE", "0"), ("DB_MAX_OVERFLOW", "-1"), ("DB_POOL_SIZE", "x")):
        monkeypatch.setenv(name, bad)
        with pytest.raises(RuntimeError, match=name):
            config.engine_options("postgresql+psycopg://u@h/db")
        monkeypatch.setenv(name, "1")


def test_proxy_fix_is_off_unless_set(app, monkeypatch):
    monkeypatch.delenv("PROXY_FIX", raising=False)
    assert config.whole_number("PROXY_FIX", 0) == 0
    monkeypatch.setenv("PROXY_FIX", "2")
    assert config.whole_number("PROXY_FIX", 0) == 2
    monkeypatch.setenv("PROXY_FIX", "yes")
    with pytest.raises(RuntimeError, match="PROXY_FIX"):
        config.whole_number("PROXY_FIX", 0)
    assert app.config["PROXY_FIX"] == 0
    assert app.config["MAX_FORM_PARTS"] == 500
