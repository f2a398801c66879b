"""The change feed: an agency's events in a stable order with no gaps and no duplicates, across pages,
restarts and concurrent writers. Events become visible in (txid, id) order (fanout.py says why), so a
position in that order is all a reader needs to continue.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import literal, or_, select, tuple_
from sqlalchemy.orm import Session

from app.models import Event, Record
from app.schemas.events import EventRead, EventType
from app.services.audit.context import note_records
from app.services.records.disclosure import narrow_json_to_key
from app.services.vault import RecordSecrets, Vault, secrets_for

Position = tuple[int, int]  # (txid, event row id)
START: Position = (0, 0)


@dataclass(frozen=True)
class FeedItem:
    row: int
    txid: int
    event_id: str
    type: str
    occurred_at: datetime
    record_id: str | None
    data: dict[str, Any]
    record_json: str | None  # the record view as it was sealed (and narrowed to the key): JSON text

    @property
    def position(self) -> Position:
        return (self.txid, self.row)

    @property
    def record(self) -> dict[str, Any] | None:
        return None if self.record_json is None else json.loads(self.record_json)

    def document(self) -> dict[str, Any]:
        """The event as a reader gets it, in the feed and in a webhook delivery."""
        return {
            "event_id": self.event_id,
            "type": self.type,
            "occurred_at": self.occurred_at,
            "record_id": self.record_id,
            "data": self.data,
            "record": self.record,
        }

    def json_text(self) -> str:
        """document() as EventRead encodes it, with the record view spliced in as the JSON text it was
        sealed as. The view was validated against its kind's read model before it was sealed, and the
        seal authenticates it, so a page of a hundred events is not parsed, validated and encoded again
        (a third of a page's time)."""
        envelope = EventRead(
            event_id=self.event_id,
            type=EventType(self.type),
            occurred_at=self.occurred_at,
            record_id=self.record_id,
            data=self.data,
        ).model_dump_json()
        if not envelope.endswith(_NO_RECORD):  # `record` is EventRead's last field
            raise RuntimeError("EventRead no longer ends with its record")
        return envelope[: -len(_NO_RECORD)] + f'"record":{self.record_json or "null"}}}'


_NO_RECORD = '"record":null}'


# Columns, not ORM objects: a page is read often and in full, and identity tracking buys nothing here.
EVENT_COLUMNS = (
    Event.id,
    Event.txid,
    Event.event_id,
    Event.type,
    Event.occurred_at,
    Event.record_id,
    Event.data,
    Event.sealed_record,
)


class RecordOpener:
    """Opens the record views events carry, as a key with `scopes` may read them; one data key per
    record, unwrapped once."""

    def __init__(self, session: Session, vault: Vault, scopes: frozenset[str], record_ids: Iterable[str]):
        self.vault = vault
        self.scopes = scopes
        wanted = set(record_ids)
        rows = session.execute(
            select(Record.id, Record.kind, Record.data_key).where(Record.id.in_(wanted))
        ).all()
        self.keys = {row.id: (row.kind, row.data_key) for row in rows if row.data_key is not None}
        self.secrets: dict[str, RecordSecrets] = {}

    def open(self, event_id: str, record_id: str | None, sealed: str | None) -> str | None:
        """The view as JSON text, or None when the event carries none or the record is purged."""
        if sealed is None or record_id is None or record_id not in self.keys:
            return None
        kind, data_key = self.keys[record_id]
        secrets = self.secrets.get(record_id)
        if secrets is None:
            secrets = self.secrets[record_id] = secrets_for(self.vault, record_id, data_key)
        view_json = secrets.open_text(sealed, table="events", row=event_id, field="record")
        return narrow_json_to_key(view_json, kind, self.scopes)


def items_of(session: Session, vault: Vault, scopes: frozenset[str], rows: Sequence[Any]) -> list[FeedItem]:
    """Feed items from rows of EVENT_COLUMNS."""
    note_records(row.record_id for row in rows)
    opener = RecordOpener(session, vault, scopes, {row.record_id for row in rows if row.sealed_record})
    return [
        FeedItem(
            row=row.id,
            txid=row.txid,
            event_id=row.event_id,
            type=row.type,
            occurred_at=row.occurred_at,
            record_id=row.record_id,
            data=row.data,
            record_json=opener.open(row.event_id, row.record_id, row.sealed_record),
        )
        for row in rows
    ]


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
    continue from (past the last event returned). Run fanout.fan_out first to include the latest
    changes."""
    query = (
        select(*EVENT_COLUMNS)
        .where(
            Event.agency_id == agency_id,
            tuple_(Event.txid, Event.id) > tuple_(literal(after[0]), literal(after[1])),
            or_(Event.scope.is_(None), Event.scope.in_(scopes)),
        )
        .order_by(Event.txid, Event.id)
        .limit(limit)
    )
    if types:
        query = query.where(Event.type.in_(types))
    items = items_of(session, vault, scopes, session.execute(query).all())
    return items, (items[-1].position if items else after)
