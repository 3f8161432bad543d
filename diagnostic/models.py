"""Database models: territories, responses and their answers and scores."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


#: JSON on SQLite, JSONB on PostgreSQL; a Python None is stored as JSON null (« ne sait pas »).
JSONValue = JSON(none_as_null=False).with_variant(JSONB(none_as_null=False), "postgresql")


class Territory(db.Model):
    """A territory of the official map: the country, a region, department, EPCI or commune."""

    __tablename__ = "territory"
    __table_args__ = (UniqueConstraint("level", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: pays | region | departement | epci | commune
    level: Mapped[str] = mapped_column(String(16))
    #: Official code: INSEE code (SIREN for an EPCI, FR for France).
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    #: Name in lower case without accents or punctuation, for search.
    search_name: Mapped[str] = mapped_column(String(200), index=True)
    #: Légal municipal population.
    population: Mapped[int | None]
    #: Codes of the enclosing territories (None where it does not apply).
    region_code: Mapped[str | None] = mapped_column(String(8))
    departement_code: Mapped[str | None] = mapped_column(String(8))
    epci_code: Mapped[str | None] = mapped_column(String(16))
    #: metro | drom | com
    zone: Mapped[str | None] = mapped_column(String(8))

    postal_codes: Mapped[list[PostalCode]] = relationship(
        back_populates="territory", cascade="all, delete-orphan", order_by="PostalCode.code"
    )

    @property
    def key(self) -> str:
        """The territory written `level:code`, as everywhere in URLs, API and exports."""
        return f"{self.level}:{self.code}"


class PostalCode(db.Model):
    """A postal code of a commune (a commune may have several, and a code several communes)."""

    __tablename__ = "postal_code"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    territory_id: Mapped[int] = mapped_column(
        ForeignKey("territory.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    territory: Mapped[Territory] = relationship(back_populates="postal_codes")


class ReferenceImport(db.Model):
    """A reference file loaded into the database, so that loading it again is skipped."""

    __tablename__ = "reference_import"

    #: What was loaded, e.g. "territories".
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: SHA-256 of the files loaded.
    checksum: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Response(db.Model):
    """One respondent's answers to one questionnaire version."""

    __tablename__ = "response"
    __table_args__ = (
        Index("ix_response_group", "questionnaire_id", "actor", "status", "region_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random identifier shown in the API (never the sequential id).
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    #: SHA-256 (hex) of the private token of the resume and results link; the token is not kept.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    #: The definition version the response was answered with, and is always scored with.
    questionnaire_version: Mapped[int]
    #: citoyen | entreprise | association | elu (None until a workshop participant says).
    actor: Mapped[str | None] = mapped_column(String(32))
    #: The respondent's territory, `level:code` (e.g. commune:69123).
    territory: Mapped[str | None] = mapped_column(String(40))
    #: Region of the territory, for regional reference groups.
    region_code: Mapped[str | None] = mapped_column(String(8))
    #: Language the respondent answered in (fr | en).
    language: Mapped[str] = mapped_column(String(5), default="fr")
    #: in_progress | completed
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    #: Index of the section to resume at (0-based).
    current_section: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )
    scores: Mapped[list[ResponseScore]] = relationship(
        back_populates="response",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ResponseScore.axis",
    )

    @property
    def completed(self) -> bool:
        return self.status == "completed"

    def answer_map(self) -> dict:
        """Answers as `question id → value` (None for « ne sait pas »)."""
        return {answer.question_id: answer.value for answer in self.answers}


class Answer(db.Model):
    """The answer to one question; a row whose value is JSON null means « ne sait pas »."""

    __tablename__ = "answer"

    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The scale or option value, number, text, territory key or list of option values.
    value: Mapped[object] = mapped_column(JSONValue, nullable=True)

    response: Mapped[Response] = relationship(back_populates="answers")


class ResponseScore(db.Model):
    """The score of a completed response on one impact, computed with its questionnaire version."""

    __tablename__ = "response_score"

    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), primary_key=True
    )
    #: confiance | performance | innovation
    axis: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: 0–100, None when coverage is below 50 % (« données insuffisantes »).
    score: Mapped[float | None]
    #: Answered weight / applicable weight, 0–1.
    coverage: Mapped[float]
    #: Weight answered « ne sait pas » / applicable weight, 0–1.
    dont_know_share: Mapped[float]
    #: Items of the axis that applied, that were answered, that were answered « ne sait pas ».
    applicable_items: Mapped[int]
    answered_items: Mapped[int]
    dont_know_items: Mapped[int]

    response: Mapped[Response] = relationship(back_populates="scores")
