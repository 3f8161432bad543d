"""Configuration from the environment and the instance folder."""

from __future__ import annotations

import pytest

from diagnostic import config, create_app


def test_database_url_defaults_to_sqlite_in_the_instance_folder(tmp_path):
    assert config.database_url(None, str(tmp_path)) == f"sqlite:///{tmp_path}/diagnostic.sqlite3"
    assert config.database_url("", str(tmp_path)).startswith("sqlite:///")


@pytest.mark.parametrize("url", ["postgresql://u@h/db", "postgres://u@h/db"])
def test_postgresql_urls_use_psycopg_3(url):
    assert config.database_url(url, "/x") == "postgresql+psycopg://u@h/db"


def test_secret_key_is_generated_once_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = config.secret_key(str(tmp_path))
    assert len(first) == 64
    assert (tmp_path / "secret_key").read_text() == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert config.secret_key(str(tmp_path)) == first
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert config.secret_key(str(tmp_path)) == "from-the-environment"


def test_min_group_size_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("MIN_GROUP_SIZE", raising=False)
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "x",
            "DATABASE_URL": f"sqlite:///{tmp_path}/a.sqlite3",
        }
    )
    assert app.config["MIN_GROUP_SIZE"] == 5
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    monkeypatch.setenv("MIN_GROUP_SIZE", "8")
    assert config.positive_int("MIN_GROUP_SIZE", 5) == 8
    for bad in ("zero", "0", "-3"):
        monkeypatch.setenv("MIN_GROUP_SIZE", bad)
        with pytest.raises(RuntimeError, match="MIN_GROUP_SIZE"):
            config.positive_int("MIN_GROUP_SIZE", 5)


def test_a_bad_questionnaire_stops_the_application_from_starting(tmp_path):
    from questionnaires import DefinitionError

    (tmp_path / "broken-v1.yaml").write_text("id: broken\nversion: 1\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"broken-v1\.yaml: schema_version: must be 1"):
        create_app(
            {
                "INSTANCE_PATH": str(tmp_path / "instance"),
                "SECRET_KEY": "x",
                "DATABASE_URL": f"sqlite:///{tmp_path}/a.sqlite3",
                "QUESTIONNAIRES_DIR": str(tmp_path),
            }
        )
