"""The schema comes from the migrations, on an empty SQLite and an empty PostgreSQL database."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade
from sqlalchemy import inspect

from diagnostic.database import MIGRATIONS_DIR, migrate_schema
from diagnostic.extensions import db
from tests.conftest import fresh_database, make_app

TABLES = {
    "alembic_version",
    "territory",
    "postal_code",
    "reference_import",
    "response",
    "answer",
    "response_score",
    "score_distribution",
    "benchmark_group",
    "indicator",
    "indicator_value",
    "survey_figure",
    "user_account",
    "login_attempt",
    "campaign",
    "campaign_link",
    "campaign_stat",
    "campaign_score",
    "workshop",
}


def test_migrations_create_the_schema_the_models_describe(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        app = make_app(url, tmp_path / "instance")
        with app.app_context():
            assert set(inspect(db.engine).get_table_names()) == set()
            migrate_schema()
            assert set(inspect(db.engine).get_table_names()) == TABLES
            with db.engine.connect() as connection:
                context = MigrationContext.configure(connection)
                assert context.get_current_revision() == "0008"
                # Models and migrations agree: nothing left for autogenerate to add.
                assert compare_metadata(context, db.metadata) == []
            downgrade(directory=str(MIGRATIONS_DIR), revision="base")
            assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
            migrate_schema()
            assert set(inspect(db.engine).get_table_names()) == TABLES
            db.session.remove()
            db.engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    with fresh_database("sqlite", tmp_path) as url:
        app = make_app(url, tmp_path / "instance")
        with app.app_context(), db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            # 1: NORMAL, no wait for the disk at each commit in WAL mode.
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1


def test_sqlite_synchronous_full_on_request(tmp_path, monkeypatch):
    monkeypatch.setenv("SQLITE_SYNCHRONOUS", "full")
    with fresh_database("sqlite", tmp_path) as url:
        app = make_app(url, tmp_path / "instance")
        with app.app_context(), db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    monkeypatch.setenv("SQLITE_SYNCHRONOUS", "OFF")
    with pytest.raises(RuntimeError, match="SQLITE_SYNCHRONOUS must be NORMAL or FULL"):
        make_app(url, tmp_path / "instance")
