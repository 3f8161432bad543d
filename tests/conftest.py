"""Shared fixtures: an application on SQLite (always) and PostgreSQL (when TEST_DATABASE_URL is
set), with the schema created by the migrations and a small extract of the territories."""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TERRITORY_FIXTURES = FIXTURES / "territories"
INDICATOR_FIXTURES = FIXTURES / "reference" / "indicators.csv"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _hypothesis_profiles() -> None:
    """Property-based tests: about a hundred generated cases each for `make test`, a thousand
    with HYPOTHESIS_PROFILE=full. Examples share the test's function-scoped fixtures (the client,
    one started response); no deadline, a request may meet a slow moment of the machine."""
    from hypothesis import HealthCheck, settings

    quick = settings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large],
        print_blob=True,
    )
    settings.register_profile("quick", quick)
    settings.register_profile("full", quick, max_examples=1000)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))


_hypothesis_profiles()


def pytest_sessionstart(session) -> None:
    """Compile the message catalogs when a .po is newer than its .mo (make does it too)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "diagnostic" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalog)


def postgres_url(schema: str) -> str:
    """TEST_DATABASE_URL for psycopg 3, working in its own schema."""
    base = os.environ["TEST_DATABASE_URL"]
    base = re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql+psycopg://", base)
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


@contextlib.contextmanager
def fresh_database(backend: str, directory: Path) -> Iterator[str]:
    """An empty database of `backend`: a new SQLite file or a new PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'{uuid.uuid4().hex}.sqlite3'}"
        return
    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    plain = re.sub(
        r"^postgres(ql)?(\+psycopg)?://", "postgresql://", os.environ["TEST_DATABASE_URL"]
    )
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield postgres_url(schema)
    finally:
        from sqlalchemy.orm import close_all_sessions

        close_all_sessions()
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def make_app(database_url: str, instance: Path, **config):
    from diagnostic import create_app

    settings = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "INSTANCE_PATH": str(instance),
        "SERVER_NAME": "diagnostic.test",
        **config,
    }
    return create_app(settings)


def load_fixture_reference() -> None:
    """The small territory extract with its indicators, and the shipped survey figures."""
    from diagnostic.registry import catalog
    from diagnostic.services.reference import (
        load_definitions,
        load_indicators,
        load_survey_figures,
    )
    from diagnostic.services.territories import load_territories

    load_territories(TERRITORY_FIXTURES)
    load_definitions(catalog())
    load_indicators(catalog(), INDICATOR_FIXTURES)
    load_survey_figures(catalog())


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def app(backend, tmp_path_factory):
    """One application per backend for the session; tables are emptied after each test."""
    from diagnostic.database import migrate_schema
    from diagnostic.extensions import db

    directory = tmp_path_factory.mktemp(f"app-{backend}")
    with fresh_database(backend, directory) as url:
        application = make_app(url, directory / "instance")
        with application.app_context():
            migrate_schema()
            load_fixture_reference()
        yield application
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(autouse=True)
def _empty_responses(request):
    """After each test that used the app, forget its responses (territories stay)."""
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    from diagnostic.extensions import db
    from diagnostic.models import (
        Answer,
        BenchmarkGroup,
        Response,
        ResponseScore,
        ScoreDistribution,
    )

    with application.app_context():
        db.session.rollback()
        for model in (Answer, ResponseScore, ScoreDistribution, BenchmarkGroup, Response):
            db.session.query(model).delete()
        db.session.commit()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db_counts(app):
    """A function giving the number of rows of the response tables, to check nothing changed."""
    from diagnostic.extensions import db
    from diagnostic.models import Answer, Response, ResponseScore

    def counts() -> dict[str, int]:
        with app.app_context():
            db.session.expire_all()
            return {
                model.__tablename__: db.session.query(model).count()
                for model in (Response, Answer, ResponseScore)
            }

    return counts


CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class Respondent:
    """Drives the respondent pages through the test client, like a browser would."""

    def __init__(self, client) -> None:
        self.client = client
        self.token: str | None = None

    def start(self, questionnaire_id: str) -> str:
        page = self.client.get(f"/diagnostic/{questionnaire_id}")
        assert page.status_code == 200
        started = self.client.post(
            f"/diagnostic/{questionnaire_id}",
            data={"csrf_token": csrf_token(page.get_data(as_text=True))},
        )
        assert started.status_code == 302, started.get_data(as_text=True)
        match = re.search(r"/r/([^/]+)/etape/1$", started.location)
        assert match, started.location
        self.token = match.group(1)
        return self.token

    def section_url(self, number: int) -> str:
        return f"/r/{self.token}/etape/{number}"

    def page(self, number: int):
        return self.client.get(self.section_url(number))

    def submit(self, number: int, answers: dict, action: str = "next", csrf: bool = True):
        """Post a section: `answers` maps question ids to values (lists for several boxes)."""
        page = self.page(number)
        assert page.status_code == 200, page.status_code
        data: dict = {"action": action}
        if csrf:
            data["csrf_token"] = csrf_token(page.get_data(as_text=True))
        for key, value in answers.items():
            name = key if key.startswith("item_") else f"item_{key}"
            data[name] = [str(v) for v in value] if isinstance(value, list) else str(value)
        return self.client.post(self.section_url(number), data=data)


@pytest.fixture
def respondent(client):
    return Respondent(client)


def sign_in(client, email: str, password: str) -> None:
    """Log an organiser in through the login form, as a browser does."""
    page = client.get("/connexion")
    done = client.post("/connexion", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "email": email,
        "password": password})
    assert done.status_code == 302, done.get_data(as_text=True)


def forget_organisers(app, owner_ids) -> None:
    """Delete what these organisers own: their workshops first (they point at users and
    campaigns), then their campaigns with their links and counts; responses stay, detached."""
    from sqlalchemy import delete, select, update

    from diagnostic.extensions import db
    from diagnostic.models import (
        Campaign,
        CampaignLink,
        CampaignScore,
        CampaignStat,
        Response,
        Workshop,
    )

    with app.app_context():
        db.session.rollback()
        workshop_ids = select(Workshop.id).where(Workshop.owner_id.in_(owner_ids))
        campaign_ids = select(Campaign.id).where(Campaign.owner_id.in_(owner_ids))
        db.session.execute(update(Response).where(Response.workshop_id.in_(workshop_ids))
                           .values(workshop_id=None))
        db.session.execute(update(Response).where(Response.campaign_id.in_(campaign_ids))
                           .values(campaign_id=None))
        db.session.execute(delete(Workshop).where(Workshop.owner_id.in_(owner_ids)))
        for model in (CampaignStat, CampaignScore, CampaignLink):
            db.session.execute(delete(model).where(model.campaign_id.in_(campaign_ids)))
        db.session.execute(delete(Campaign).where(Campaign.owner_id.in_(owner_ids)))
        db.session.commit()
