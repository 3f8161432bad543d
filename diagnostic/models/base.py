"""Helpers shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB


def utcnow() -> datetime:
    return datetime.now(UTC)


#: JSON on SQLite, JSONB on PostgreSQL; a Python None is stored as JSON null (« ne sait pas »).
JSONValue = JSON(none_as_null=False).with_variant(JSONB(none_as_null=False), "postgresql")
