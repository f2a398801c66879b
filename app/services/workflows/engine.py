"""A small workflow engine: items that move through states by named transitions, each allowed from some
states to some parties, every move recorded (who, when, from which state to which, a sealed note), with a
deadline while someone is expected to act.

Its users declare a `Workflow` and keep their items in a table with the `WorkflowItem` columns: share
requests and access requests today, cooperation requests next. The engine knows nothing of records.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.errors import Forbidden, InvalidTransition
from app.ids import uuid7
from app.models.workflows import WorkflowItem, WorkflowTransition


class Party(StrEnum):
    """Who acts on an item, relative to it."""

    REQUESTER = "requester"  # who opened it
    OWNER = "owner"  # who is asked to decide (a record's owner, a request's addressee)
    OBSERVER = "observer"  # may read the item, never act on it (an agency copied on a request)
    SYSTEM = "system"  # KIX itself: a rule applied, a deadline passed


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    parties: frozenset[Party]


def transition(sources: str, target: str, *parties: Party) -> Transition:
    return Transition(frozenset(sources.split()), target, frozenset(parties))


@dataclass(frozen=True)
class Workflow:
    table: str  # the items' table: names the workflow in the log and binds its sealed notes
    initial: str
    transitions: Mapping[str, Transition]
    waiting: frozenset[str]  # states in which someone must act, so the deadline runs

    def allowed(self, state: str, party: Party) -> list[str]:
        return sorted(
            name for name, move in self.transitions.items() if state in move.sources and party in move.parties
        )


class Sealer(Protocol):
    """Seals and opens the notes of an item's transitions (a record's data key, say)."""

    def seal_text(self, text: str, *, table: str, row: str, field: str) -> str: ...

    def open_text(self, token: str, *, table: str, row: str, field: str) -> str: ...


@dataclass(frozen=True)
class Mover:
    party: Party
    agency_id: str | None
    actor: str


SYSTEM = Mover(Party.SYSTEM, None, "kix")


def note_field(seq: int) -> str:
    """The field a note is sealed under. The opening and the first decision keep the names their texts
    had before the engine (reason, decision), so notes written then still open."""
    return {1: "reason", 2: "decision"}.get(seq, f"note{seq}")


def _log(
    session: Session,
    workflow: Workflow,
    item: Any,
    seq: int,
    name: str,
    source: str | None,
    mover: Mover,
    note: str | None,
    sealer: Sealer,
    now: datetime,
) -> WorkflowTransition:
    sealed = None
    if note is not None:
        sealed = sealer.seal_text(note, table=workflow.table, row=item.id, field=note_field(seq))
    entry = WorkflowTransition(
        id=uuid7(),
        workflow=workflow.table,
        item_id=item.id,
        seq=seq,
        name=name,
        from_state=source,
        to_state=item.state,
        party=mover.party.value,
        agency_id=mover.agency_id,
        actor=mover.actor,
        note=sealed,
        at=now,
    )
    session.add(entry)
    return entry


def open_item(
    session: Session,
    workflow: Workflow,
    item: WorkflowItem,
    mover: Mover,
    note: str,
    sealer: Sealer,
    *,
    now: datetime,
    due_at: datetime | None,
) -> WorkflowTransition:
    """Put a new item in the workflow's initial state and record its opening."""
    item.state = workflow.initial
    item.created_at = item.updated_at = now
    item.due_at = due_at if workflow.initial in workflow.waiting else None
    session.add(item)
    session.flush()
    return _log(session, workflow, item, 1, "open", None, mover, note, sealer, now)


def apply(
    session: Session,
    workflow: Workflow,
    item: WorkflowItem,
    name: str,
    mover: Mover,
    note: str | None,
    sealer: Sealer,
    *,
    now: datetime,
    due_at: datetime | None = None,
) -> WorkflowTransition:
    """Move `item` by the transition `name`: 403 when `mover` may never make it, 409 (naming what is
    allowed now) when the item's state does not allow it. `due_at` is the new deadline when the item
    waits on someone in its new state. The caller holds the item's row lock."""
    move = workflow.transitions[name]
    if mover.party not in move.parties:
        raise Forbidden(f"the {mover.party.value} may not {name} this {workflow.table.removesuffix('s')}")
    if item.state not in move.sources:
        allowed = workflow.allowed(item.state, mover.party)
        raise InvalidTransition(
            f"it is {item.state}: you may not {name} it now"
            + (f" (allowed: {', '.join(allowed)})" if allowed else " (nothing is allowed now)")
        )
    source = item.state
    seq = 1 + (
        session.scalar(
            select(func.max(WorkflowTransition.seq)).where(
                WorkflowTransition.workflow == workflow.table, WorkflowTransition.item_id == item.id
            )
        )
        or 0
    )
    item.state = move.target
    item.updated_at = now
    item.warned_at = item.overdue_at = None
    item.due_at = due_at if move.target in workflow.waiting else None
    return _log(session, workflow, item, seq, name, source, mover, note, sealer, now)


def history(
    session: Session, workflow: Workflow, item_ids: Iterable[str]
) -> dict[str, list[WorkflowTransition]]:
    """Every item's transitions, oldest first, in one query."""
    ids = list(item_ids)
    found: dict[str, list[WorkflowTransition]] = {item_id: [] for item_id in ids}
    rows = session.scalars(
        select(WorkflowTransition)
        .where(WorkflowTransition.workflow == workflow.table, WorkflowTransition.item_id.in_(ids))
        .order_by(WorkflowTransition.item_id, WorkflowTransition.seq)
    )
    for row in rows:
        found[row.item_id].append(row)
    return found


def open_note(workflow: Workflow, entry: WorkflowTransition, sealer: Sealer) -> str | None:
    if entry.note is None:
        return None
    return sealer.open_text(entry.note, table=workflow.table, row=entry.item_id, field=note_field(entry.seq))


def overdue(workflow: Workflow, item: WorkflowItem, now: datetime) -> bool:
    return item.state in workflow.waiting and item.due_at is not None and item.due_at < now


Item = TypeVar("Item", bound=WorkflowItem)


def mark_due_soon(
    session: Session,
    workflow: Workflow,
    model: type[Item],
    now: datetime,
    warn_before: Callable[[Item], timedelta],
) -> list[Item]:
    """Stamp the waiting items whose deadline is `warn_before(item)` away or less (once each) and return
    them, to be warned about."""
    waiting = session.scalars(
        select(model)
        .where(model.state.in_(workflow.waiting), model.due_at >= now, model.warned_at.is_(None))
        .with_for_update()
    )
    soon = [item for item in waiting if item.due_at is not None and item.due_at - now <= warn_before(item)]
    for item in soon:
        item.warned_at = now
    session.flush()
    return soon


def mark_overdue(session: Session, workflow: Workflow, model: type[Item], now: datetime) -> list[Item]:
    """Stamp the items found past their deadline (once each) and return them, to be warned about."""
    late = list(
        session.scalars(
            select(model)
            .where(model.state.in_(workflow.waiting), model.due_at < now, model.overdue_at.is_(None))
            .with_for_update()
        )
    )
    for item in late:
        item.overdue_at = now
    session.flush()
    return late


def forget_notes(session: Session, workflow: Workflow, item_ids: Sequence[str]) -> None:
    """Drop the sealed notes of these items (their record was purged); who did what, when, stays."""
    if item_ids:
        session.execute(
            update(WorkflowTransition)
            .where(WorkflowTransition.workflow == workflow.table, WorkflowTransition.item_id.in_(item_ids))
            .values(note=None)
        )
