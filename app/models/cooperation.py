"""Cooperation requests between agencies (the workflow engine's third user), the directory of competent
authorities with victim assistance services, and crisis rooms."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow
from app.models.workflows import WorkflowItem


class CooperationRequest(WorkflowItem, Base):
    """A request from one agency to another. Its texts (summary, kind-specific details, attachments,
    transition notes) are sealed under its own data key; the columns hold what lists filter on."""

    __tablename__ = "cooperation_requests"
    __table_args__ = (
        Index("ix_cooperation_requests_requester", "requester_id", "created_at"),
        Index("ix_cooperation_requests_addressee", "addressee_id", "created_at"),
        Index("ix_cooperation_requests_crisis", "crisis_id"),
    )

    kind: Mapped[str] = mapped_column(String(32))
    requester_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    addressee_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    copied: Mapped[list[str]] = mapped_column(JSON)
    urgency: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[date | None]
    legal_basis: Mapped[dict[str, Any]] = mapped_column(JSON)
    linked_records: Mapped[list[str]] = mapped_column(JSON)
    refusal_grounds: Mapped[list[str]] = mapped_column(JSON, default=list)
    crisis_id: Mapped[str | None] = mapped_column(String(36))
    content: Mapped[str] = mapped_column(Text)  # sealed JSON: summary, details, attachments
    data_key: Mapped[str] = mapped_column(String(200))


class DirectoryEntry(Base):
    """What an agency tells others about itself as a competent authority."""

    __tablename__ = "directory_entries"

    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    accepts: Mapped[list[str]] = mapped_column(JSON)  # request kinds
    languages: Mapped[list[str]] = mapped_column(JSON)  # ISO 639-1
    legal_bases: Mapped[list[str]] = mapped_column(JSON)
    central_authority_for: Mapped[list[str]] = mapped_column(JSON)  # "mutual_legal_assistance", "extradition"
    contact: Mapped[dict[str, Any]] = mapped_column(JSON)  # 24/7: phone, secure e-mail, hours, languages
    notes: Mapped[str] = mapped_column(String(2000), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(128))


class VictimService(Base):
    """Help for victims and their families in a country: psychological, legal, financial, repatriation,
    family liaison."""

    __tablename__ = "victim_services"
    __table_args__ = (Index("ix_victim_services_country", "country"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(200))
    kinds: Mapped[list[str]] = mapped_column(JSON)
    contact: Mapped[dict[str, Any]] = mapped_column(JSON)
    languages: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CrisisRoom(Base):
    """A live kidnapping handled together: opened on an active alert by its owner, with invited agencies."""

    __tablename__ = "crisis_rooms"
    __table_args__ = (Index("ix_crisis_rooms_alert", "alert_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("records.id"))
    owner_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    members: Mapped[list[str]] = mapped_column(JSON)  # invited agencies (the owner is always in)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, closed
    outcome: Mapped[str | None] = mapped_column(String(16))
    concessions: Mapped[str | None] = mapped_column(Text)  # sealed JSON: ransom paid or not, amount
    ransom_paid: Mapped[bool | None]  # plain, for trends to count
    data_key: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]


class CrisisEntry(Base):
    """One entry of a crisis room's timeline, sealed under the room's data key."""

    __tablename__ = "crisis_entries"
    __table_args__ = (Index("ix_crisis_entries_room", "room_id", "at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("crisis_rooms.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    author_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    actor: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)  # sealed
    at: Mapped[datetime] = mapped_column(default=utcnow)


class LeadIntake(Base):
    """A private partner's lead, as its FIU handles it: received, under analysis, closed."""

    __tablename__ = "lead_intakes"

    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"), primary_key=True)
    fiu_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    status: Mapped[str] = mapped_column(String(16), default="received")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LapseWarning(Base):
    """A warning sent to a lead's owner that its freezing order lapses soon: once per order expiry and
    threshold (14 days, 48 hours)."""

    __tablename__ = "lapse_warnings"

    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    expires_on: Mapped[date] = mapped_column(primary_key=True)
    threshold: Mapped[str] = mapped_column(String(8), primary_key=True)  # "14d", "48h"
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
