"""Signature nonces already claimed, per key, until they fall out of the acceptance window."""

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class ClaimedNonce(Base):
    __tablename__ = "claimed_nonces"
    __table_args__ = (Index("ix_claimed_nonces_forget_after", "forget_after"),)

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(256), primary_key=True)
    # After this instant the signature carrying the nonce is too old to be accepted anyway.
    forget_after: Mapped[datetime]


class StorageKeyCheck(Base):
    """A value wrapped under each master key version, so a node started with the wrong master key
    refuses to serve instead of failing on every record."""

    __tablename__ = "storage_key_checks"

    version: Mapped[int] = mapped_column(primary_key=True)
    sample: Mapped[str] = mapped_column(String(200))
