"""Reference data: objective indicators per territory and the Observatoire's survey figures."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import JSONValue


class Indicator(db.Model):
    """What an objective indicator measures, and how it counts in the fragility index."""

    __tablename__ = "indicator"

    #: Identifier used in the files, e.g. taux_pauvrete_60.
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    #: One of the 16 fragility domains, or "structure" for the structural profile.
    domain: Mapped[str] = mapped_column(String(32), index=True)
    label_fr: Mapped[str] = mapped_column(String(300))
    label_en: Mapped[str] = mapped_column(String(300))
    #: True for the rate of a problem (poverty), False for a resource (physicians per inhabitant).
    higher_is_fragile: Mapped[bool]
    #: Whether it counts in its domain's fragility index (else it is shown as context only).
    in_index: Mapped[bool]
    #: Why it is (not) in the index, caveats on its source.
    note_fr: Mapped[str | None] = mapped_column(Text)
    note_en: Mapped[str | None] = mapped_column(Text)
    #: The original publisher and table, as shown beside a figure (the full source stays with
    #: each value).
    publisher: Mapped[str | None] = mapped_column(String(300))


class IndicatorValue(db.Model):
    """The value of an indicator for one territory and one year, with its source."""

    __tablename__ = "indicator_value"
    __table_args__ = (
        UniqueConstraint("level", "code", "indicator_key", "year"),
        Index("ix_indicator_value_territory", "level", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: pays | region | departement (pays:FR is France, pays:FRM France métropolitaine).
    level: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(16))
    indicator_key: Mapped[str] = mapped_column(
        ForeignKey("indicator.key", ondelete="CASCADE"), index=True
    )
    #: As published: 2019, 2024-T3, « non documentée (~2024) »… Only equal years are compared.
    year: Mapped[str] = mapped_column(String(40))
    value: Mapped[float]
    unit: Mapped[str] = mapped_column(String(80))
    #: Publisher, table and copy the figure was read from.
    source: Mapped[str] = mapped_column(Text)
    #: The territory as the file names it (its scope: « France hors Mayotte »…).
    scope: Mapped[str] = mapped_column(String(200))
    #: The file it was loaded from (loading a file again replaces its rows).
    origin: Mapped[str] = mapped_column(String(120), index=True)


class SurveyFigure(db.Model):
    """A published national figure of the Observatoire des partenariats, and the question whose
    answers it can be compared with."""

    __tablename__ = "survey_figure"
    __table_args__ = (UniqueConstraint("study", "fieldwork", "actor", "metric"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study: Mapped[str] = mapped_column(String(120))
    #: When the survey was in the field, as published (2019-10, 2020-05-05/07…).
    fieldwork: Mapped[str] = mapped_column(String(40))
    #: citoyen | entreprise | association | elu
    actor: Mapped[str] = mapped_column(String(32), index=True)
    sample: Mapped[str | None] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(80))
    label_fr: Mapped[str] = mapped_column(Text)
    label_en: Mapped[str | None] = mapped_column(Text)
    #: A share of the population, in % (or None).
    value_pct: Mapped[float | None]
    #: A mean score out of 10 (or None).
    score_10: Mapped[float | None]
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    #: The question it compares with, and the answers that count (e.g. agree: [3, 4]).
    question_id: Mapped[str | None] = mapped_column(String(64))
    answer_values: Mapped[object | None] = mapped_column(JSONValue, nullable=True)
