"""Agencies, their credentials (public keys) and sharing groups."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="active")
    scopes: Mapped[list[str]] = mapped_column(JSON)
    contact: Mapped[dict[str, str]] = mapped_column(JSON)
    jurisdictions: Mapped[list[str]] = mapped_column(JSON)
    designated_fiu: Mapped[str | None] = mapped_column(String(64))  # private partners: the FIU they report to
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Credential(Base):
    """One registered key of an agency: public keys only; the private halves never leave the agency."""

    __tablename__ = "credentials"
    __table_args__ = (Index("ix_credentials_agency_id", "agency_id"),)

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    sign_public: Mapped[str] = mapped_column(String(64))
    encrypt_public: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    not_before: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Group(Base):
    """A named set of agencies that records can be distributed to."""

    __tablename__ = "groups"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class GroupMember(Base):
    __tablename__ = "group_members"
    __table_args__ = (Index("ix_group_members_agency_id", "agency_id"),)

    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
