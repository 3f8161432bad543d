"""Command line: `flask --app diagnostic <command>`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from .database import migrate_schema
from .registry import catalog
from .services.reference import load_indicators, load_reference
from .services.territories import ReferenceFileError, load_territories


def init_db() -> dict[str, int]:
    """Migrate the schema to the latest version and load the reference data."""
    migrate_schema()
    return load_reference(catalog())


def _report(counts: dict[str, int]) -> None:
    if not counts:
        click.echo("Reference data already loaded from these files: nothing to do.")
        return
    for name, count in counts.items():
        click.echo(f"Loaded {count} {name}.")


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema and load the reference data."""
    try:
        counts = init_db()
    except ReferenceFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo("Database schema up to date.")
    _report(counts)


@click.command("load-reference")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Load even if the files have not changed.")
@with_appcontext
def load_reference_command(path: Path | None, force: bool) -> None:
    """Load the reference data shipped with the application, or PATH: a CSV file of indicators
    (see diagnostic/data/reference/README.md) or a folder of territory files."""
    try:
        if path is None:
            counts = load_reference(catalog(), force=force)
        elif path.is_dir():
            counts = {
                f"territories ({level})": n
                for level, n in load_territories(path, force=force).items()
            }
        elif path.suffix.lower() == ".csv":
            counts = {
                f"indicator values from {path.name}": load_indicators(catalog(), path, force=force)
            }
            counts = {name: n for name, n in counts.items() if n}
        else:
            raise click.ClickException(
                f"{path}: expected a .csv file of indicators or a folder of territory files"
            )
    except ReferenceFileError as error:
        raise click.ClickException(str(error)) from None
    _report(counts)


@click.command("seed-demo")
@click.option(
    "--responses",
    "count",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="How many synthetic completed responses to add.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Random seed: the same seed gives the same answers.",
)
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=20_000,
    show_default=True,
    help="Responses written per transaction.",
)
@click.option(
    "--top-up",
    is_flag=True,
    help="Only add what is missing to have that many demo responses in all.",
)
@with_appcontext
def seed_demo_command(count: int, seed: int, batch: int, top_up: bool) -> None:
    """Add plausible synthetic responses of the four questionnaires, flagged as demo data, so
    that benchmarks show (remove them with purge-demo)."""
    from .services.demo import demo_count, seed_demo

    if top_up:
        existing = demo_count()
        seed, count = seed + existing, count - existing
        if count <= 0:
            click.echo(f"{existing} demo responses already: nothing to add.")
            return
    try:
        with click.progressbar(length=count, label="Demo responses") as bar:
            created = seed_demo(count, seed=seed, progress=bar.update, batch=batch)
    except RuntimeError as error:  # no commune loaded, no questionnaire
        raise click.ClickException(str(error)) from None
    click.echo(f"Added {created} demo responses; reference groups recounted.")


@click.command("purge-demo")
@with_appcontext
def purge_demo_command() -> None:
    """Delete every demo response (and nothing else)."""
    from .services.demo import purge_demo

    click.echo(f"Removed {purge_demo()} demo responses; reference groups recounted.")


@click.command("purge-expired")
@click.option("--dry-run", is_flag=True, help="Only say how many responses would be deleted.")
@with_appcontext
def purge_expired_command(dry_run: bool) -> None:
    """Delete the responses completed, or last saved, more than RETENTION_DAYS days ago (demo
    ones too), then recount the reference groups and the campaigns concerned."""
    from flask import current_app

    from .services.privacy import purge_expired

    days = current_app.config.get("RETENTION_DAYS")
    if not days:
        click.echo("RETENTION_DAYS is not set: responses are kept, nothing to do.")
        return
    found = purge_expired(days, catalog(), dry_run=dry_run)
    details = (f"{found.completed} completed, {found.unfinished} unfinished, "
               f"{found.demo} of them demo")
    if dry_run:
        click.echo(f"{found.total} responses older than {days} days would be removed "
                   f"({details}); nothing was deleted.")
    else:
        click.echo(f"Removed {found.total} responses older than {days} days ({details}).")


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(["organiser", "admin"]), default="organiser",
              show_default=True)
@click.option("--name", default=None, help="The person's or the council's name.")
@click.option("--generate", is_flag=True,
              help="Generate a password and print it, instead of asking for one.")
@with_appcontext
def create_user_command(email: str, role: str, name: str | None, generate: bool) -> None:
    """Create an organiser (or administrator) account."""
    from .services import accounts

    if generate:
        password = accounts.generate_password()
    else:
        password = click.prompt("Password (12 characters at least)", hide_input=True,
                                confirmation_prompt=True)
    try:
        user = accounts.create_user(email, password, role, name)
    except accounts.AccountError as error:
        raise click.ClickException({
            "bad_email": "not a valid email address",
            "email_taken": "an account already exists with this email address",
            "password_too_short": f"the password needs at least {accounts.MIN_PASSWORD_LENGTH} "
                                  "characters",
        }.get(error.code, error.code)) from None
    click.echo(f"Created {user.role} account {user.email}.")
    if generate:
        click.echo(f"Password: {password}")


def init_app(app: Flask) -> None:
    for command in (init_db_command, load_reference_command, seed_demo_command,
                    purge_demo_command, purge_expired_command, create_user_command):
        app.cli.add_command(command)
