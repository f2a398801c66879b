"""Shared records (alerts, suspects, leads) and what hangs off them: grants, revisions, links, views."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow
from app.models.workflows import WorkflowItem


class Record(Base):
    """One record of any kind. Columns hold what lists filter and sort on; `body` holds the rest."""

    __tablename__ = "records"
    __table_args__ = (
        Index("ix_records_kind_created", "kind", "created_at", "id"),
        Index("ix_records_kind_urgency", "kind", "urgency_rank", "created_at", "id"),
        Index("ix_records_kind_updated", "kind", "updated_at"),
        Index("ix_records_owner_id", "owner_id"),
        Index("ix_records_kind_status", "kind", "status", "created_at", "id"),
        Index("ix_records_kind_country", "kind", "country", "status", "created_at", "id"),
        Index("ix_records_kind_category", "kind", "category"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    status: Mapped[str] = mapped_column(String(24))
    category: Mapped[str | None] = mapped_column(String(32))  # alert category, lead asset kind
    urgency_rank: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(2))  # alert place, lead jurisdiction
    occurred_at: Mapped[datetime | None]
    handling: Mapped[str] = mapped_column(String(16))
    distribution: Mapped[str] = mapped_column(String(16))
    discoverable: Mapped[bool] = mapped_column(Boolean)
    review_by: Mapped[date]
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)  # sealed
    # The record's data key, wrapped by the master key. NULL once purged: every ciphertext of the
    # record (body, revisions, texts) is then unreadable for good.
    data_key: Mapped[str | None] = mapped_column(String(200))
    # Set when purged: the body and every copy are gone; only this metadata stays (for the audit).
    purged_at: Mapped[datetime | None]
    # Retention: past review_by and the grace period the record is hidden from every agency but its owner
    # (then purged); `retention_warned` is the last warning its owner had (days ahead: 30, then 7).
    retention_hidden_at: Mapped[datetime | None]
    retention_warned: Mapped[int | None] = mapped_column(Integer)


class RecordGrant(Base):
    """Who a record is distributed to: an agency, or a group (whose members see it)."""

    __tablename__ = "record_grants"
    __table_args__ = (Index("ix_record_grants_grantee", "grantee_type", "grantee_id"),)

    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    grantee_type: Mapped[str] = mapped_column(String(8), primary_key=True)  # "agency" or "group"
    grantee_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordRevision(Base):
    """Every version of a record as it was written, for the owner's history and recipients' corrections."""

    __tablename__ = "record_revisions"

    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(24))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(128))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordLink(Base):
    """A typed link between two records, made by one agency (the author) and removable only by it or
    by the owner of both records. It reads the same from either end."""

    __tablename__ = "record_links"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id", "type", name="source_target_type"),
        Index("ix_record_links_target_id", "target_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    target_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    author_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # How sure the author is (confirmed, probable, possible), and the joint case it was made in, if any.
    confidence: Mapped[str | None] = mapped_column(String(16))
    case_id: Mapped[str | None] = mapped_column(String(36))


class RecordView(Base):
    """Which agencies other than the owner have seen a record: they receive its withdrawal and corrections."""

    __tablename__ = "record_views"
    __table_args__ = (Index("ix_record_views_agency_id", "agency_id"),)

    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Contribution(Base):
    """A recipient's note, sighting or hit report on another's record; its author and the owner see it."""

    __tablename__ = "contributions"
    __table_args__ = (Index("ix_contributions_record_id", "record_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    author_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    actor: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)  # sealed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShareRequest(WorkflowItem, Base):
    """A recipient asks the owner's consent to pass a record on to a third agency (Egmont third-party
    rule). Its reason and decision are the notes of its workflow transitions."""

    __tablename__ = "share_requests"
    __table_args__ = (Index("ix_share_requests_record_id", "record_id"),)

    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    owner_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    requester_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    target_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))


class Notice(Base):
    """A withdrawal or correction of a record, to be acknowledged by every agency that saw it."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_record_id", "record_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # "withdrawal" or "correction"
    version: Mapped[int] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)  # sealed; NULL once the record is purged
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NoticeReceipt(Base):
    __tablename__ = "notice_receipts"
    __table_args__ = (Index("ix_notice_receipts_agency_id", "agency_id", "acknowledged_at"),)

    notice_id: Mapped[str] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))


class IdempotencyKey(Base):
    """The first answer to a POST with an Idempotency-Key, replayed to retries of the same request until
    it expires (then swept). Deleted with the record it returned when that record is purged."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        Index("ix_idempotency_keys_expires_at", "expires_at"),
        Index("ix_idempotency_keys_resource_id", "resource_id"),
    )

    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)  # sealed under data_key: it holds the record as returned
    data_key: Mapped[str] = mapped_column(String(200))
    resource_id: Mapped[str | None] = mapped_column(String(36))  # the record the answer holds
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class RetentionExtension(Base):
    """An owner kept a record past its review date: when, by whom, to when, and why (sealed under the
    record's key, so a purge takes the reason with it)."""

    __tablename__ = "retention_extensions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    previous: Mapped[date]
    review_by: Mapped[date]
    reason: Mapped[str | None] = mapped_column(Text)  # sealed
    agency_id: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime]
