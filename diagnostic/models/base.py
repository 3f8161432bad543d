"""Helpers shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored time as an aware UTC time (SQLite gives it back without its time zone)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


#: JSON on SQLite, JSONB on PostgreSQL; a Python None is stored as JSON null (« ne sait pas »).
JSONValue = JSON(none_as_null=False).with_variant(JSONB(none_as_null=False), "postgresql")
