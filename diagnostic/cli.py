"""Command line: `flask --app diagnostic <command>`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from .database import migrate_schema
from .services.territories import TERRITORIES_DIR, ReferenceFileError, load_territories


def init_db() -> dict[str, int]:
    """Migrate the schema to the latest version and load the reference data."""
    migrate_schema()
    return load_territories()


def _report(counts: dict[str, int]) -> None:
    if not counts:
        click.echo("Territories already loaded from these files: nothing to do.")
        return
    click.echo(
        "Territories loaded: " + ", ".join(f"{level} {count}" for level, count in counts.items())
    )


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema and load the territories."""
    try:
        counts = init_db()
    except ReferenceFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo("Database schema up to date.")
    _report(counts)


@click.command("load-reference")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Load even if the files have not changed.")
@with_appcontext
def load_reference_command(directory: Path | None, force: bool) -> None:
    """Load the official territories (from DIRECTORY, default: the files shipped with the app)."""
    try:
        counts = load_territories(directory or TERRITORIES_DIR, force=force)
    except ReferenceFileError as error:
        raise click.ClickException(str(error)) from None
    _report(counts)


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db_command)
    app.cli.add_command(load_reference_command)
