"""What every workflow item shares (share and access requests now, cooperation requests next), and the
one log of their transitions: who moved which item from which state to which, when, with what note."""

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class WorkflowItem:
    """Columns of any item a workflow moves through its states."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    state: Mapped[str] = mapped_column(String(24))
    # When the party expected to act next must have acted; NULL once no one is expected to.
    due_at: Mapped[datetime | None]
    # When the scheduler warned that the deadline approaches, and when it found it passed (once each).
    warned_at: Mapped[datetime | None]
    overdue_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkflowTransition(Base):
    __tablename__ = "workflow_transitions"
    __table_args__ = (
        UniqueConstraint("workflow", "item_id", "seq", name="workflow_item_seq"),
        Index("ix_workflow_transitions_item", "workflow", "item_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    workflow: Mapped[str] = mapped_column(String(32))  # the item's table, e.g. "share_requests"
    item_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int]  # 1 for the opening, then 2, 3... per item
    name: Mapped[str] = mapped_column(String(32))  # "open", "grant", "refuse", "revoke"...
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    party: Mapped[str] = mapped_column(String(16))  # requester, owner, system
    agency_id: Mapped[str | None] = mapped_column(String(64))  # NULL when the system acted
    actor: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)  # sealed; NULL once purged
    at: Mapped[datetime] = mapped_column(default=utcnow)
