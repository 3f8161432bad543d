"""The official territories and the record of reference files loaded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


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
