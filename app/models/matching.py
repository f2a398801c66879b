"""Blind indexes, match queries (for budgets), hits reported to owners, and access requests on hits."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow
from app.models.workflows import WorkflowItem


class BlindIndex(Base):
    __tablename__ = "blind_indexes"
    # record_id too: a lookup by value reads the index alone (migration 20261130_0013).
    __table_args__ = (Index("ix_blind_indexes_lookup", "term", "digest", "record_id"),)

    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    term: Mapped[str] = mapped_column(String(16), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)


class MatchQuery(Base):
    """One hit/no-hit query: counted against the caller's budget, kept for accountability."""

    __tablename__ = "match_queries"
    __table_args__ = (Index("ix_match_queries_agency_at", "agency_id", "asked_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    actor: Mapped[str] = mapped_column(String(128))
    criteria: Mapped[int]
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)


class Hit(Base):
    """A query of another agency matched one of the owner's records: the owner is told, whatever the
    querying agency could see."""

    __tablename__ = "hits"
    __table_args__ = (Index("ix_hits_record_id", "record_id"), Index("ix_hits_querier", "querier_id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    query_id: Mapped[str] = mapped_column(ForeignKey("match_queries.id"))
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    owner_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    querier_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    strength: Mapped[str] = mapped_column(String(16))
    matched_on: Mapped[str] = mapped_column(String(200))
    visible: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccessRequest(WorkflowItem, Base):
    """After a hit on a record it can not see, the querying agency asks the owner for access. Its reason
    and decision are the notes of its workflow transitions."""

    __tablename__ = "access_requests"
    __table_args__ = (Index("ix_access_requests_owner", "owner_id", "state"),)

    hit_id: Mapped[str] = mapped_column(ForeignKey("hits.id"), unique=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    owner_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    requester_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
