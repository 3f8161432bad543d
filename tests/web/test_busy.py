"""A write that meets a database locked by another connection for longer than the busy timeout
is retried with backoff; if it still fails, the respondent sees their answers again with a
« réessayer » message (HTTP 503; 503 JSON on the API), never a 500, and the retry succeeds once
the lock is gone."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select

from diagnostic.extensions import db
from diagnostic.models import Answer, Response
from tests.conftest import Respondent, load_fixture_reference, make_app


@pytest.fixture
def locked_app(tmp_path, monkeypatch):
    """An application on its own SQLite file, waiting 50 ms for a lock, retrying quickly."""
    from diagnostic import database
    from diagnostic.database import migrate_schema

    monkeypatch.setattr(database, "RETRY_DELAYS", (0.01, 0.02))
    path = tmp_path / "busy.sqlite3"
    app = make_app(f"sqlite:///{path}", tmp_path / "instance", SQLITE_BUSY_TIMEOUT_MS=50)
    with app.app_context():
        migrate_schema()
        load_fixture_reference()
    yield app, path
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class WriteLock:
    """Another connection holding the database's write lock."""

    def __init__(self, path) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None, timeout=0.05)

    def __enter__(self):
        self.connection.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc) -> None:
        self.connection.execute("ROLLBACK")
        self.connection.close()


def stored(app) -> dict[str, object]:
    with app.app_context():
        return dict(db.session.execute(select(Answer.question_id, Answer.value)).all())


def test_a_section_sent_while_the_database_is_locked_is_shown_again_then_saved(locked_app):
    app, path = locked_app
    respondent = Respondent(app.test_client())
    respondent.start("citoyen")
    answers = {"territoire": "commune:69123"}
    with WriteLock(path):
        refused = respondent.submit(1, answers)
        assert refused.status_code == 503
        page = refused.get_data(as_text=True)
        assert "Vos réponses n'ont pas encore pu être enregistrées" in page
        # The answer sent is in the form again.
        assert 'value="commune:69123" checked' in page
    assert stored(app) == {}
    saved = respondent.submit(1, answers)
    assert saved.status_code == 302 and saved.location.endswith("/etape/2")
    assert stored(app) == {"territoire": "commune:69123"}


def test_the_api_answers_503_while_locked_and_stores_on_retry(locked_app):
    app, path = locked_app
    client = app.test_client()
    body = {"questionnaire": "elu", "territory": "departement:69",
            "answers": {"conf_interlocuteurs": 4}}
    headers = {"Idempotency-Key": "locked-database-retry-1"}
    with WriteLock(path):
        busy = client.post("/api/v1/responses", json=body, headers=headers)
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "2"
        assert busy.get_json()["error"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    created = client.post("/api/v1/responses", json=body, headers=headers)
    assert created.status_code == 201
    again = client.post("/api/v1/responses", json=body, headers=headers)
    assert again.status_code == 200 and again.get_json()["id"] == created.get_json()["id"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_a_write_that_meets_a_lock_once_is_retried_and_gets_through(app, monkeypatch):
    """The lock is gone by the second attempt: the write is done, after a rollback, without
    the visitor noticing; a lock still there after every attempt is DatabaseBusy (above)."""
    from sqlalchemy.exc import OperationalError

    from diagnostic import database

    monkeypatch.setattr(database, "RETRY_DELAYS", (0, 0))
    attempts = []
    rollbacks = []
    monkeypatch.setattr(db.session, "rollback", lambda: rollbacks.append(1))

    @database.retrying
    def write():
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return "stored"

    with app.app_context():
        assert write() == "stored"
    assert (len(attempts), len(rollbacks)) == (2, 1)


def test_a_conflict_that_is_not_a_lock_is_not_retried(app, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from diagnostic import database

    monkeypatch.setattr(database, "RETRY_DELAYS", (0, 0))
    attempts = []

    @database.retrying
    def write():
        attempts.append(1)
        raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))

    with app.app_context(), pytest.raises(IntegrityError):
        write()
    assert len(attempts) == 1
