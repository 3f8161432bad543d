"""Live workshops: a facilitator's session that participants join with a short code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class Workshop(db.Model):
    """A workshop: its join code, its questionnaire (or chosen sections of one) and the state the
    facilitator sets (answering open or paused, results revealed, the question of the room).

    Everything the projector and the phones show is read from here and from the participants'
    answers: no state is kept in a worker's memory.
    """

    __tablename__ = "workshop"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random identifier used in the facilitator's URLs (never the sequential id).
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    #: The join code typed by participants; unique for ever, so never reused.
    code: Mapped[str] = mapped_column(String(6), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    #: The territory discussed, `level:code`.
    territory: Mapped[str] = mapped_column(String(40))
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    questionnaire_version: Mapped[int]
    #: Ids of the sections asked, in questionnaire order; None: all of them.
    sections: Mapped[list[str] | None] = mapped_column(JSON)
    #: open | paused | closed
    status: Mapped[str] = mapped_column(String(16), default="open")
    revealed: Mapped[bool] = mapped_column(default=False)
    #: Step by step: phones show only `current_question`, which the facilitator moves on.
    step_mode: Mapped[bool] = mapped_column(default=False)
    #: The question of the room (step by step), and the one whose histogram the projector shows.
    current_question: Mapped[str | None] = mapped_column(String(64))
    #: Several participants may answer one after the other on the same phone.
    shared_devices: Mapped[bool] = mapped_column(default=False)
    #: The campaign the answers were attached to, once.
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"
