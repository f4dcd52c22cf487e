"""SQLAlchemy tables of the code store (all names start with ``cs_``).

Every fact row points at the release (one load of one file) it came from; lookups pick the newest
release in force on the date of service. Dates of the NCCI PTP table are stored as integers
``YYYYMMDD`` (fast bulk loads, identical comparisons on SQLite and PostgreSQL).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from consultant.db.base import Base

# BIGINT ids on PostgreSQL; INTEGER PRIMARY KEY (the rowid) on SQLite.
_BigId = BigInteger().with_variant(Integer(), "sqlite")


class CodeRelease(Base):
    __tablename__ = "cs_release"
    __table_args__ = (UniqueConstraint("system", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    system: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[str] = mapped_column(String(40))
    effective_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    source_file: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class CodeEntry(Base):
    """One code of ICD-10-CM, ICD-10-PCS, HCPCS Level II, or a licensed CPT descriptor row."""

    __tablename__ = "cs_code"
    __table_args__ = (Index("ix_cs_code_release_system_code", "release_id", "system", "code"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("cs_release.id", ondelete="CASCADE"))
    system: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(10))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    short_description: Mapped[str | None] = mapped_column(String(255), nullable=True)
    billable: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    effective_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    termination_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    indicators: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON object of str -> str
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON object of str -> list[str]


class HcpcsModifier(Base):
    """HCPCS Level II modifiers (RECID 7 of the quarterly file)."""

    __tablename__ = "cs_hcpcs_modifier"
    __table_args__ = (Index("ix_cs_hcpcs_modifier_release_modifier", "release_id", "modifier"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("cs_release.id", ondelete="CASCADE"))
    modifier: Mapped[str] = mapped_column(String(2))
    description: Mapped[str] = mapped_column(Text)
    short_description: Mapped[str | None] = mapped_column(String(255), nullable=True)
    effective_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    termination_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    action_code: Mapped[str | None] = mapped_column(String(1), nullable=True)


class PfsIndicator(Base):
    """One PPRRVU row (code + modifier): CMS payment policy indicators; no descriptor text."""

    __tablename__ = "cs_pfs"
    __table_args__ = (Index("ix_cs_pfs_release_code", "release_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("cs_release.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(5))
    modifier: Mapped[str] = mapped_column(String(2), default="")
    status: Mapped[str] = mapped_column(String(1))
    global_days: Mapped[str | None] = mapped_column(String(3), nullable=True)
    indicators: Mapped[str] = mapped_column(Text)  # JSON object of str -> str


class PtpRow(Base):
    __tablename__ = "cs_ptp"
    __table_args__ = (Index("ix_cs_ptp_release_c1_c2", "release_id", "column1", "column2"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("cs_release.id", ondelete="CASCADE"))
    column1: Mapped[str] = mapped_column(String(5))
    column2: Mapped[str] = mapped_column(String(5))
    prior_1996: Mapped[bool] = mapped_column(Boolean, default=False)
    effective_ymd: Mapped[int | None] = mapped_column(Integer, nullable=True)
    deletion_ymd: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: still in force
    modifier_indicator: Mapped[int] = mapped_column(SmallInteger)
    rationale: Mapped[str] = mapped_column(String(120))


class MueRow(Base):
    __tablename__ = "cs_mue"
    __table_args__ = (Index("ix_cs_mue_release_code", "release_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("cs_release.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(5))
    value: Mapped[int] = mapped_column(Integer)
    adjudication_indicator: Mapped[int] = mapped_column(SmallInteger)
    adjudication_text: Mapped[str] = mapped_column(String(80))
    rationale: Mapped[str] = mapped_column(String(120))


class AocRow(Base):
    __tablename__ = "cs_aoc"
    __table_args__ = (Index("ix_cs_aoc_release_addon", "release_id", "add_on_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("cs_release.id", ondelete="CASCADE"))
    add_on_code: Mapped[str] = mapped_column(String(5))
    primary_code: Mapped[str] = mapped_column(String(5))
    edit_type: Mapped[int] = mapped_column(SmallInteger)
    effective_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    deletion_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
