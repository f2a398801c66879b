"""The change feed: an agency's events in a stable order with no gaps and no duplicates, across pages,
restarts and concurrent writers.

On PostgreSQL, transactions commit in another order than they start, so an event numbered later can
become visible earlier. The feed therefore reads only events of transactions older than the oldest
writing transaction still running in this database (a safe visibility horizon), in (transaction id,
event id) order: no event can appear later behind a position a reader has passed. On SQLite writers
commit one at a time and event ids follow commit order.
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


_RUNNING = text(
    "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint, "
    "(SELECT array_agg(backend_xid::text::bigint) FROM pg_stat_activity "
    " WHERE datname = current_database() AND backend_xid IS NOT NULL)"
)
_WRAP = 1 << 32


def horizon(session: Session) -> int | None:
    """A transaction id below which every event of this database is committed or never will be: the
    next id to be assigned when the statement began, or the oldest writing transaction of this database
    still running, whichever is lower. (The snapshot's own xmin would do, but counts every database of
    the server: a long transaction elsewhere would hold this feed back.) None on SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    xmax, running = session.execute(_RUNNING).one()
    lowest = int(xmax)
    for xid in running or ():
        # pg_stat_activity shows 32-bit ids: widen each to the 64-bit id it stands for, which is less
        # than 2^31 behind the next one; an id assigned after the snapshot (ahead of it) does not count.
        behind = (int(xmax) - int(xid)) % _WRAP
        if behind < _WRAP // 2:
            lowest = min(lowest, int(xmax) - behind)
    return lowest


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
    below = horizon(session)
    if below is not None:
        query = query.where(Event.txid < below)
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
