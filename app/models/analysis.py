"""Joint analysis: joint cases (participants, the records linked into them), the trends rollup and the facts
it is built from, and the library of proven practices."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class JointCase(Base):
    """A case agencies work on together. Its title and summary are sealed under its own data key."""

    __tablename__ = "joint_cases"
    __table_args__ = (Index("ix_joint_cases_owner_id", "owner_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    status: Mapped[str] = mapped_column(String(16))  # open, closed
    title: Mapped[str] = mapped_column(Text)  # sealed
    summary: Mapped[str] = mapped_column(Text)  # sealed
    data_key: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]


class CaseParticipant(Base):
    """An agency invited into a case: invited, then accepted or declined; later it may leave or be removed.
    Only accepted participants read the case."""

    __tablename__ = "case_participants"
    __table_args__ = (Index("ix_case_participants_agency_id", "agency_id", "status"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("joint_cases.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    invited_by: Mapped[str] = mapped_column(String(128))
    invited_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[str | None] = mapped_column(String(128))


class CaseRecord(Base):
    """A record linked into a case. Linking never widens who sees the record: only its owner's consent,
    recorded here (when and by whom), lets the case's participants see it."""

    __tablename__ = "case_records"
    __table_args__ = (Index("ix_case_records_record_id", "record_id"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("joint_cases.id", ondelete="CASCADE"), primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    added_by: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    actor: Mapped[str] = mapped_column(String(128))
    added_at: Mapped[datetime]
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    consented_by: Mapped[str | None] = mapped_column(String(128))
    consented_at: Mapped[datetime | None]


class CaseReference(Base):
    """A cooperation request or a crisis room linked into a case. It stays readable only by its own parties
    (a request's) or members (a room's): the case shows it to them and to no one else."""

    __tablename__ = "case_references"

    case_id: Mapped[str] = mapped_column(ForeignKey("joint_cases.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # request, crisis
    ref_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    added_by: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    actor: Mapped[str] = mapped_column(String(128))
    added_at: Mapped[datetime]


class TrendFact(Base):
    """One thing a record counts for in the trends (an alert, its outcome, a ransom paid, a suspect charged,
    an asset frozen...), with the cell it falls in. Rebuilt for a record at each change to it, so the rollup
    can be corrected by the difference."""

    __tablename__ = "trend_facts"
    __table_args__ = (Index("ix_trend_facts_record_id", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    measure: Mapped[str] = mapped_column(String(32))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(32))
    band: Mapped[str] = mapped_column(String(16))


class TrendCount(Base):
    """The rollup trends are answered from: a count per measure, grain and cell. Each fact counts once in
    every grain, a grain keeping some dimensions (e.g. "country,category") and blanking the others, so a
    question reads exactly the rows of the one grain that answers it, a few thousand at most."""

    __tablename__ = "trend_counts"

    measure: Mapped[str] = mapped_column(String(32), primary_key=True)
    grain: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    region: Mapped[str] = mapped_column(String(100), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    band: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class Practice(Base):
    """A proven or promising practice an agency publishes for every member: no person fields, by design."""

    __tablename__ = "practices"
    __table_args__ = (Index("ix_practices_published_on", "published_on", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    actor: Mapped[str] = mapped_column(String(128))
    country: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(200))
    themes: Mapped[list[str]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text)
    lessons: Mapped[str] = mapped_column(Text)
    published_on: Mapped[date]
    cases: Mapped[list[str]] = mapped_column(JSON)  # closed joint cases it draws on
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PracticeComment(Base):
    __tablename__ = "practice_comments"
    __table_args__ = (Index("ix_practice_comments_practice_id", "practice_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    practice_id: Mapped[str] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    author_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    actor: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
