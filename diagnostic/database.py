"""Database set-up: SQLAlchemy, migrations, and SQLite in WAL mode with foreign keys on."""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import InternalServerError, ServiceUnavailable

from .extensions import db, migrate

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


#: How long a SQLite write waits for another one's lock before failing (milliseconds); with the
#: retries below, a request gives up after ~21 s, within gunicorn's 30 s worker timeout.
BUSY_TIMEOUT_MS = 5000
#: Waits between the attempts of a write that met a locked or conflicting database (seconds).
RETRY_DELAYS = (0.05, 0.2, 0.5)
#: PostgreSQL errors worth retrying: serialization failure, deadlock, lock not available.
TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03"}


def _sqlite_pragmas(busy_timeout_ms: int, synchronous: str = "NORMAL"):
    if synchronous not in ("NORMAL", "FULL"):
        raise ValueError(f"unknown SQLite synchronous setting {synchronous!r}")

    def set_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers work while a respondent's answers are written.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # NORMAL: no wait for the disk at each commit (see config.sqlite_synchronous).
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    return set_pragmas


class DatabaseBusy(RuntimeError):
    """A write still met a locked database after its retries: the visitor is asked to try again
    (HTTP 503), with what they sent kept."""


def is_transient(error: Exception) -> bool:
    """A locked SQLite database, or a PostgreSQL conflict that a new attempt can get past."""
    if not isinstance(error, OperationalError | DBAPIError):
        return False
    original = getattr(error, "orig", None)
    if getattr(original, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    text = str(original or error).lower()
    return "database is locked" in text or "database is busy" in text


def retrying(function):
    """Run a write again, after a rollback and a short wait, when it meets a locked database;
    raise `DatabaseBusy` when every attempt did."""

    @functools.wraps(function)
    def attempt(*args, **kwargs):
        for delay in (*RETRY_DELAYS, None):
            try:
                return function(*args, **kwargs)
            except DBAPIError as error:
                if not is_transient(error):
                    raise
                db.session.rollback()
                if delay is None:
                    raise DatabaseBusy(str(error.orig or error)[:200]) from error
                time.sleep(delay)
        raise AssertionError("unreachable")

    return attempt


def _busy(_error: DatabaseBusy):
    """Anything that did not catch DatabaseBusy itself: the 503 page (or JSON on the API)."""
    response = current_app.handle_http_exception(ServiceUnavailable())
    response.headers["Retry-After"] = "2"
    return response


def _database_error(error: DBAPIError):
    """A read or write outside `retrying` that met a lock: 503, try again; any other database
    error: the 500 page (logged; never its SQL)."""
    db.session.rollback()
    if is_transient(error):
        return _busy(DatabaseBusy(str(error.orig or error)[:200]))
    current_app.log_exception(sys.exc_info())
    return current_app.handle_http_exception(InternalServerError(original_exception=error))


def _postgresql_lock_timeout(lock_timeout_ms: int):
    def set_lock_timeout(dbapi_connection, _record) -> None:
        # A write waiting for a lock gives up (SQLSTATE 55P03): it is then retried, and the
        # visitor told to try again, never left hanging.
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {int(lock_timeout_ms)}")
        dbapi_connection.commit()

    return set_lock_timeout


def init_app(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    app.register_error_handler(DatabaseBusy, _busy)
    app.register_error_handler(DBAPIError, _database_error)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        with app.app_context():
            timeout = app.config.get("LOCK_TIMEOUT_MS", BUSY_TIMEOUT_MS)
            event.listen(db.engine, "connect", _postgresql_lock_timeout(timeout))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            engine: Engine = db.engine
            timeout = app.config.get("SQLITE_BUSY_TIMEOUT_MS") or app.config.get(
                "LOCK_TIMEOUT_MS", BUSY_TIMEOUT_MS)
            event.listen(engine, "connect", _sqlite_pragmas(
                timeout, app.config.get("SQLITE_SYNCHRONOUS", "NORMAL")))


def migrate_schema() -> None:
    """Bring the schema to the latest migration (creates it on an empty database)."""
    upgrade(directory=str(MIGRATIONS_DIR))
