"""The audit log: one entry per authenticated request, a Merkle tree over the entries (RFC 9162) and the
server's signed tree heads. Entries hold ids and digests only, never personal data."""

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import JSON, BigInteger, Index, Integer, LargeBinary, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base

EntryId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntry(Base):
    """One authenticated request. Written in the request's own transaction when it changed something
    (so a change and its entry commit together), else just before the answer leaves. The sequencer then
    numbers entries gap-free in commit order (`seq`) and hashes each into the tree (`leaf`)."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        # Only entries waiting for their number: the sequencer's scan stays short however long the log.
        Index(
            "ix_audit_entries_pending",
            "txid",
            "id",
            postgresql_where=text("seq IS NULL"),
            sqlite_where=text("seq IS NULL"),
        ),
        Index("ix_audit_entries_seq", "seq", unique=True),
        Index("ix_audit_entries_agency", "agency_id", "at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(EntryId, primary_key=True, autoincrement=True)
    # The writing transaction's id on PostgreSQL (0 on SQLite): the sequencer numbers only entries below
    # the oldest transaction still running, as the event fan-out does, so numbers follow commit order.
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    seq: Mapped[int | None] = mapped_column(BigInteger)
    leaf: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    at: Mapped[datetime]
    agency_id: Mapped[str] = mapped_column(String(64))
    kid: Mapped[str] = mapped_column(String(128))
    actor: Mapped[str] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(8))
    route: Mapped[str] = mapped_column(String(200))
    status: Mapped[int] = mapped_column(SmallInteger)
    records: Mapped[list[str]] = mapped_column(JSON)
    request_id: Mapped[str] = mapped_column(String(64))
    signature_sha256: Mapped[str] = mapped_column(String(64))


class AuditEntryRecord(Base):
    """Which records an entry touched, for owners' access logs (an index of `AuditEntry.records`)."""

    __tablename__ = "audit_entry_records"

    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    entry_id: Mapped[int] = mapped_column(EntryId, primary_key=True)


class AuditNode(Base):
    """The hash of a complete subtree: leaves [index * 2^level, (index + 1) * 2^level). Every proof and
    root is computed from O(log n) of these, never by rehashing the log."""

    __tablename__ = "audit_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditTreeHead(Base):
    """A tree head the server signed: the log's first `size` entries have this root."""

    __tablename__ = "audit_tree_heads"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    signed_at: Mapped[datetime]
    kid: Mapped[str] = mapped_column(String(128))
    signature: Mapped[str] = mapped_column(String(200))


class EntryLike(Protocol):
    """An AuditEntry, or a row of its columns."""

    at: datetime
    agency_id: str
    kid: str
    actor: str
    method: str
    route: str
    status: int
    records: list[str]
    request_id: str
    signature_sha256: str


def entry_fields(entry: EntryLike, seq: int) -> dict[str, Any]:
    """What an entry's leaf commits to: its fields and its number (so moving an entry changes its leaf)."""
    return {
        "seq": seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "agency": entry.agency_id,
        "kid": entry.kid,
        "actor": entry.actor,
        "method": entry.method,
        "route": entry.route,
        "status": entry.status,
        "records": sorted(entry.records),
        "request_id": entry.request_id,
        "signature_sha256": entry.signature_sha256,
    }
