"""Configuration from the environment, with defaults that work on a fresh machine."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

#: Largest request body accepted, in bytes.
MAX_CONTENT_LENGTH = 1024 * 1024
#: Largest text field of a multipart form, in bytes (a free-text answer is at most 10,000
#: characters, 40 kB in UTF-8).
MAX_FORM_MEMORY_SIZE = 128 * 1024
#: Most fields a form may send (the longest questionnaire section sends about 60); more is 413.
MAX_FORM_PARTS = 500


def database_url(url: str | None, instance_path: str) -> str:
    """The SQLAlchemy URL: SQLite in the instance folder by default, psycopg 3 for PostgreSQL."""
    if not url:
        return f"sqlite:///{Path(instance_path) / 'diagnostic.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else from `instance/secret_key`, created once."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    path = Path(instance_path) / "secret_key"
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = secrets.token_hex(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Exclusive creation: two workers starting together end up with the same key.
        try:
            with open(path, "x", encoding="ascii") as stream:
                stream.write(key)
            os.chmod(path, 0o600)
        except FileExistsError:
            return path.read_text(encoding="ascii").strip()
        return key


def _int_setting(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        least = "at least 1" if minimum == 1 else f"{minimum} or more"
        raise RuntimeError(f"{name} must be {least}, not {value}")
    return value


def positive_int(name: str, default: int) -> int:
    return _int_setting(name, default, 1)


def whole_number(name: str, default: int) -> int:
    """A setting that may be 0 (DB_MAX_OVERFLOW, PROXY_FIX)."""
    return _int_setting(name, default, 0)


#: SQLite's `synchronous` settings an operator may choose (SQLITE_SYNCHRONOUS).
SQLITE_SYNCHRONOUS = ("NORMAL", "FULL")


def sqlite_synchronous() -> str:
    """NORMAL (default): in WAL mode, a commit survives the server process being killed and the
    file stays sound whatever happens, but the last commits before a power cut or a crash of
    the operating system may be lost; FULL also survives those, at the cost of waiting for the
    disk at every commit, with the write lock held."""
    value = (os.environ.get("SQLITE_SYNCHRONOUS") or "NORMAL").strip().upper()
    if value not in SQLITE_SYNCHRONOUS:
        raise RuntimeError(f"SQLITE_SYNCHRONOUS must be NORMAL or FULL, not {value!r}")
    return value


def configure(app: Flask, overrides: dict | None = None) -> None:
    overrides = overrides or {}
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    url = database_url(
        overrides.get("DATABASE_URL") or os.environ.get("DATABASE_URL"), app.instance_path
    )
    app.config.update(
        SECRET_KEY=overrides.get("SECRET_KEY") or secret_key(app.instance_path),
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(url),
        LOCK_TIMEOUT_MS=positive_int("LOCK_TIMEOUT_MS", 5000),
        SQLITE_SYNCHRONOUS=sqlite_synchronous(),
        MIN_GROUP_SIZE=positive_int("MIN_GROUP_SIZE", 5),
        SUBMISSIONS_PER_MINUTE=positive_int("SUBMISSIONS_PER_MINUTE", 60),
        # The explorer recounts its perceived figures at most this often per worker (0: whenever
        # responses changed).
        EXPLORER_REFRESH_SECONDS=whole_number("EXPLORER_REFRESH_SECONDS", 60),
        EXPLORER_SYNC_COUNT=whole_number("EXPLORER_SYNC_COUNT", 20_000),
        RETENTION_DAYS=positive_int("RETENTION_DAYS", 0) or None,  # None: responses are kept
        MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH,
        MAX_FORM_MEMORY_SIZE=MAX_FORM_MEMORY_SIZE,
        MAX_FORM_PARTS=MAX_FORM_PARTS,
        # Number of reverse proxies in front whose X-Forwarded-* headers are trusted; 0: none.
        PROXY_FIX=whole_number("PROXY_FIX", 0),
        BABEL_DEFAULT_LOCALE="fr",
        BABEL_DEFAULT_TIMEZONE="Europe/Paris",
        LANGUAGES=("fr", "en"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update({k: v for k, v in overrides.items() if k != "DATABASE_URL"})


def engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        # sqlite3's timeout is SQLite's busy timeout, in seconds (diagnostic.database sets it
        # again on each connection).
        return {"connect_args": {"timeout": 5}}
    # Each process has its own pool: at most DB_POOL_SIZE + DB_MAX_OVERFLOW connections per
    # gunicorn worker (a sync worker uses one at a time).
    return {
        "pool_pre_ping": True,
        "pool_size": positive_int("DB_POOL_SIZE", 5),
        "max_overflow": whole_number("DB_MAX_OVERFLOW", 10),
    }
