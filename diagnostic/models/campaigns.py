"""Territorial diagnosis campaigns: their public links and their running counts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class Campaign(db.Model):
    """A council's diagnosis of its territory: one public link per actor type it addresses."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random identifier used in URLs and the API (never the sequential id).
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    #: The territory diagnosed, `level:code` (commune, epci, departement or region).
    territory: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    #: open | closed
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Bumped whenever the running counts change: the dashboard's figures are cached under it.
    revision: Mapped[int] = mapped_column(default=0, server_default="0")

    links: Mapped[list[CampaignLink]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="CampaignLink.id")

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class CampaignLink(db.Model):
    """The public link through which one actor type answers one questionnaire of a campaign."""

    __tablename__ = "campaign_link"
    __table_args__ = (UniqueConstraint("campaign_id", "actor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    #: citoyen | entreprise | association | elu
    actor: Mapped[str] = mapped_column(String(32))
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    #: The random part of the public address /c/<slug>.
    slug: Mapped[str] = mapped_column(String(24), unique=True)

    campaign: Mapped[Campaign] = relationship(back_populates="links")


class CampaignStat(db.Model):
    """A running count over a campaign's completed responses, by actor type and commune.

    `commune_code` "" is the whole campaign. Metrics: `n` (responses), `day:<date>`,
    `q:<question>` (answered), `q:<question>=<value>` (chosen; `nsp` for « ne sait pas »),
    `rating:<domain>` (rated; `total` is the sum of the ratings), `rating_nsp:<domain>`.
    """

    __tablename__ = "campaign_stat"
    #: The primary key leads with the commune ("" first), so that the whole campaign's counts and
    #: a commune's are each one range of it; the responses by commune (metric `n`) are read for
    #: every sub-territory filter.
    __table_args__ = (Index("ix_campaign_stat_metric", "campaign_id", "metric"),)

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    actor: Mapped[str] = mapped_column(String(32), primary_key=True)
    metric: Mapped[str] = mapped_column(String(120), primary_key=True)
    count: Mapped[int]
    total: Mapped[float] = mapped_column(Float, default=0.0)


class CampaignScore(db.Model):
    """How many of a campaign's responses have each impact score (in tenths), by actor and
    commune (`commune_code` "" for the whole campaign)."""

    __tablename__ = "campaign_score"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    actor: Mapped[str] = mapped_column(String(32), primary_key=True)
    axis: Mapped[str] = mapped_column(String(16), primary_key=True)
    score_key: Mapped[int] = mapped_column(primary_key=True)
    count: Mapped[int]
