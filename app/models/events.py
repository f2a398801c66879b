"""The event stream. A change writes one small `Change` row in its own transaction (the transactional
outbox); the fan-out turns each, in commit order, into one `Event` row per recipient agency, carrying
what that agency may read. The change feed reads events and webhooks deliver them."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow

# SQLite needs AUTOINCREMENT so an id is never reused after a delete (a purge deletes events); a reused
# id behind a reader's cursor would be an event it never sees.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class Change(Base):
    """A change to report, written in the changing transaction and deleted once fanned out."""

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_order", "txid", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    # The writing transaction's id on PostgreSQL (0 on SQLite, where writers commit one at a time): the
    # fan-out takes only changes below the oldest transaction still running, so it never passes one whose
    # transaction commits later.
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str | None] = mapped_column(String(36))
    scope: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Who is told, each with the event id it will get; null: the record's audience at fan-out, or, in a
    # change that carries no record, the agencies each of its notices names (outbox.emit_each, data.each).
    recipients: Mapped[dict[str, str] | None] = mapped_column(JSON)
    # Whether each recipient's event carries the record as that recipient may read it.
    carries_record: Mapped[bool] = mapped_column(default=False)
    occurred_at: Mapped[datetime]


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_feed", "agency_id", "txid", "id"),
        Index("ix_events_record_id", "record_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    # The change's txid. Fan-outs run one at a time in change order, so (txid, id) is the order events
    # became visible in, and no later-visible event sorts before one a reader has passed.
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)  # what receivers deduplicate on
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str | None] = mapped_column(String(36))
    # The scope a key needs to see the event (the record kind's read scope), or none.
    scope: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # ids, states, times: nothing sensitive
    # The record as this agency could read it then, sealed under the record's data key (so a purge
    # shreds it with the rest of the record).
    sealed_record: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookEndpoint(Base):
    """An agency's HTTPS endpoint, to which its events are delivered, signed and encrypted."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_agency_id", "agency_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    url: Mapped[str] = mapped_column(String(2000))
    types: Mapped[list[str]] = mapped_column(JSON)  # event types delivered; empty: all
    encrypt_kid: Mapped[str] = mapped_column(ForeignKey("credentials.kid"))  # deliveries are encrypted to it
    status: Mapped[str] = mapped_column(
        String(16), default="active"
    )  # active, paused (a delivery died), removed
    # The last event queued for delivery: the endpoint's own position in its agency's feed.
    cursor_txid: Mapped[int] = mapped_column(BigInteger, default=0)
    cursor_id: Mapped[int] = mapped_column(EventId, default=0)
    lease_holder: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128))


class WebhookDelivery(Base):
    """One event to one endpoint: attempted in the endpoint's feed order until delivered or dead."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "state", "event_row"),
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_row: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending, delivered, dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_status: Mapped[int | None] = mapped_column(Integer)  # the receiver's HTTP status, if it answered
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
