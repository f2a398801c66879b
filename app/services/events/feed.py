"""The change feed: an agency's events in a stable order with no gaps and no duplicates, across pages,
restarts and concurrent writers.

On PostgreSQL, transactions commit in another order than they start, so an event numbered later can
become visible earlier. The feed therefore reads only events of transactions older than the oldest one
still running (the snapshot's xmin, a safe visibility horizon), in (transaction id, event id) order: no
event can appear later behind a position a reader has passed. On SQLite writers commit one at a time and
event ids follow commit order.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import literal, or_, select, text, tuple_
from sqlalchemy.orm import Session

from app.models import Event, Record
from app.services.records.disclosure import narrow_to_key
from app.services.vault import Vault, secrets_for

Position = tuple[int, int]  # (txid, event row id)
START: Position = (0, 0)


@dataclass(frozen=True)
class FeedItem:
    event: Event
    record: dict[str, Any] | None


def _horizon(session: Session) -> int | None:
    """The oldest transaction still running, below which every event is committed or never will be."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return int(session.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")) or 0)


def open_record(
    vault: Vault, event: Event, record: Record | None, scopes: frozenset[str]
) -> dict[str, Any] | None:
    """The record view an event carries, as a key with `scopes` may read it; None once purged."""
    if event.sealed_record is None or record is None or record.data_key is None:
        return None
    secrets = secrets_for(vault, record.id, record.data_key)
    view = json.loads(
        secrets.open_text(event.sealed_record, table="events", row=event.event_id, field="record")
    )
    return narrow_to_key(view, record.kind, scopes)


def read(
    session: Session,
    vault: Vault,
    agency_id: str,
    scopes: frozenset[str],
    after: Position,
    *,
    types: Sequence[str] = (),
    limit: int = 100,
) -> tuple[list[FeedItem], Position]:
    """The agency's next events after `after` that a key with `scopes` may see, and the position to
    continue from (past the last event returned)."""
    query = (
        select(Event)
        .where(
            Event.agency_id == agency_id,
            tuple_(Event.txid, Event.id) > tuple_(literal(after[0]), literal(after[1])),
            or_(Event.scope.is_(None), Event.scope.in_(scopes)),
        )
        .order_by(Event.txid, Event.id)
        .limit(limit)
    )
    horizon = _horizon(session)
    if horizon is not None:
        query = query.where(Event.txid < horizon)
    if types:
        query = query.where(Event.type.in_(types))
    events = list(session.scalars(query))
    record_ids = {event.record_id for event in events if event.sealed_record is not None}
    records = {
        record.id: record for record in session.scalars(select(Record).where(Record.id.in_(record_ids)))
    }
    items = [
        FeedItem(event, open_record(vault, event, records.get(event.record_id or ""), scopes))
        for event in events
    ]
    position = (events[-1].txid, events[-1].id) if events else after
    return items, position
