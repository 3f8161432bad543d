"""Responses, their answers and their scores."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import JSONValue, utcnow

if TYPE_CHECKING:
    from .campaigns import Campaign


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
    #: Synthetic response created by `seed-demo` (removed by `purge-demo`).
    is_demo: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)
    #: The campaign whose public link the response came through, if any.
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign.id", ondelete="SET NULL"), index=True)
    #: Submissions rate limit, kept with the response (no extra write): the minute (since the
    #: epoch) of the current window and the submissions counted in it.
    rate_window: Mapped[int | None]
    rate_count: Mapped[int] = mapped_column(default=0, server_default="0")
    #: The live workshop this participant answered in.
    workshop_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshop.id", ondelete="SET NULL"), index=True)
    #: The earlier response this one redoes (« refaire mon diagnostic »).
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("response.id", ondelete="SET NULL"), index=True
    )

    campaign: Mapped[Campaign | None] = relationship()
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
    #: The score in tenths, as benchmarks compare scores (None with the score).
    score_key: Mapped[int | None]
    #: Answered weight / applicable weight, 0–1.
    coverage: Mapped[float]
    #: Weight answered « ne sait pas » / applicable weight, 0–1.
    dont_know_share: Mapped[float]
    #: Items of the axis that applied, that were answered, that were answered « ne sait pas ».
    applicable_items: Mapped[int]
    answered_items: Mapped[int]
    dont_know_items: Mapped[int]

    response: Mapped[Response] = relationship(back_populates="scores")


class ScoreDistribution(db.Model):
    """How many completed responses of a group have each score (in tenths) on an axis.

    Kept up to date when a response is completed, so that a results page reads a group's
    distribution (at most 1,001 rows) instead of scanning the responses.
    """

    __tablename__ = "score_distribution"

    questionnaire_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    actor: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: The region, or "" for the whole country.
    region_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    axis: Mapped[str] = mapped_column(String(16), primary_key=True)
    score_key: Mapped[int] = mapped_column(primary_key=True)
    count: Mapped[int]


class BenchmarkGroup(db.Model):
    """A reference group: completed responses of one questionnaire and actor type in a region
    (or "" for the country), with the period they were given in."""

    __tablename__ = "benchmark_group"

    questionnaire_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    actor: Mapped[str] = mapped_column(String(32), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    responses: Mapped[int]
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
