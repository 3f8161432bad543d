"""The Flask application of the territorial self-diagnosis."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

PROJECT_DIR = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the application; `config` overrides settings (tests pass DATABASE_URL, TESTING…)."""
    app = Flask(
        __name__,
        instance_path=str((config or {}).get("INSTANCE_PATH") or PROJECT_DIR / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_DIR / "templates"),
        static_folder=str(PROJECT_DIR / "static"),
    )
    from . import (
        api,
        auth,
        campaigns,
        cli,
        database,
        errors,
        explorer,
        i18n,
        registry,
        respondent,
        security,
        templating,
        workshops,
    )
    from . import config as settings
    from .extensions import csrf

    settings.configure(app, config)
    app.json.sort_keys = False  # keep documented field order in API answers
    registry.init_app(app)
    database.init_app(app)
    i18n.init_app(app)
    templating.init_app(app)
    csrf.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    respondent.init_app(app)
    campaigns.init_app(app)
    workshops.init_app(app)
    explorer.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    return app
