"""The fan-out: each committed change, in commit order, becomes one event per recipient agency, carrying
the record as that agency may read it then, sealed under the record's data key; and the trends rollup
is corrected for the records the changes name.

Whoever needs events runs it first (a feed read, the webhook deliverer), so no separate process is needed
and no reader waits for one. Fan-outs run one at a time (an advisory lock on PostgreSQL, the single writer
on SQLite) and each takes changes in (txid, id) order, so events get ids in the order they become
visible: a reader that has passed an event never finds a new one behind it.

On PostgreSQL, transactions commit in another order than they start, so a change numbered later can become
visible earlier. The fan-out therefore takes only changes of transactions older than the oldest writing
transaction still running in this database (a safe visibility horizon). On SQLite writers commit one at a
time and change ids follow commit order.
"""

import json
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from app.db import Database
from app.ids import uuid7
from app.models import Change, Event, Record
from app.services.analysis.facts import refresh_facts
from app.services.bulk_rows import write_rows
from app.services.events.outbox import each_of
from app.services.records.disclosure import disclose_to_audiences
from app.services.records.kinds import spec_of
from app.services.sequencing import horizon, take_turn
from app.services.vault import Vault, secrets_for

BATCH = 500
# What a request fans out before it reads (a feed page, trends): a backlog's first batches only, so a read
# after a backfill of 100,000 records does not wait for all of it (the deliverer loop drains the rest).
REQUEST_ROUNDS = 2
FAN_OUT_LOCK = 4801237015  # any constant: the advisory lock every node's fan-out takes
_EVENTS = cast(Table, Event.__table__)
_EVENT_COLUMNS = [column.key for column in _EVENTS.columns if column.key != "id"]  # id: the database's


def pending(db: Database) -> bool:
    """Whether any committed change waits (one indexed probe, outside any transaction)."""
    with db.autocommit.connect() as connection:
        return connection.execute(select(Change.id).limit(1)).first() is not None


def fan_out(db: Database, vault: Vault, *, batch: int = BATCH, rounds: int = 20) -> int:
    """Fan out what waits, up to `rounds` batches; how many events were written."""
    written = 0
    for _ in range(rounds):
        if not pending(db):
            break
        with db.transaction() as session:
            count, more = fan_out_batch(session, vault, batch)
        written += count
        if not more:
            break
    return written


def fan_out_batch(session: Session, vault: Vault, batch: int = BATCH) -> tuple[int, bool]:
    """Turn up to `batch` changes into events, in this transaction; (events written, more may wait)."""
    take_turn(session, FAN_OUT_LOCK)
    query = select(Change).order_by(Change.txid, Change.id).limit(batch)
    below = horizon(session)
    if below is not None:
        query = query.where(Change.txid < below)
    changes = list(session.scalars(query))
    if not changes:
        return 0, False
    payloads = _Payloads(
        session, vault, {change.record_id for change in changes if change.carries_record and change.record_id}
    )
    rows = [row for change in changes for row in _events_of(payloads, vault, change)]
    # As one COPY on PostgreSQL (bulk_rows): thousands of rows when a batch create is fanned out. Their
    # ids are given in row order, which is change order.
    write_rows(session.connection(), _EVENTS, rows, _EVENT_COLUMNS)
    # The trends rollup follows the same stream, in the same order, in the same transaction.
    refresh_facts(session, vault, {change.record_id for change in changes if change.record_id})
    session.execute(delete(Change).where(Change.id.in_([change.id for change in changes])))
    return len(rows), len(changes) == batch


class _Payloads:
    """Each record as each agency may read it now, as the JSON an event seals: the records of a batch
    disclosed together (disclose_to_audiences: a few statements for all of them, where one record at a
    time cost four each), then encoded once per record and audience (a batch often holds several changes
    to one record)."""

    def __init__(self, session: Session, vault: Vault, record_ids: set[str]):
        query = select(Record).where(Record.id.in_(record_ids))
        records = list(session.scalars(query)) if record_ids else []
        self.records = {record.id: record for record in records}
        live = [record for record in records if record.data_key is not None]
        self.views = disclose_to_audiences(session, vault, live)
        self.known: dict[tuple[str, frozenset[str] | None], dict[str, str]] = {}

    def of(self, record_id: str | None, only: frozenset[str] | None) -> tuple[Record, dict[str, str]] | None:
        """The record and its payloads by agency; None when it is gone or purged."""
        record = self.records.get(record_id) if record_id else None
        if record is None or record.data_key is None:
            return None
        key = (record.id, only)
        if key not in self.known:
            self.known[key] = self._encode(record, only)
        return record, self.known[key]

    def _encode(self, record: Record, only: frozenset[str] | None) -> dict[str, str]:
        # Most of an audience reads the same view (all but the owner and those named for a restricted
        # block): each distinct view is validated and encoded once.
        read = spec_of(record.kind).read
        distinct: list[tuple[dict[str, Any], str]] = []
        payloads = {}
        for agency_id, view in self.views[record.id].items():
            if only is not None and agency_id not in only:
                continue
            payload = next((text for seen, text in distinct if seen == view), None)
            if payload is None:
                payload = json.dumps(read.model_validate(view).model_dump(mode="json"), separators=(",", ":"))
                distinct.append((view, payload))
            payloads[agency_id] = payload
        return payloads


def _events_of(payloads: _Payloads, vault: Vault, change: Change) -> list[dict[str, Any]]:
    base = {
        "txid": change.txid,
        "type": change.type,
        "record_id": change.record_id,
        "scope": change.scope,
        "data": change.data,
        "occurred_at": change.occurred_at,
    }
    notices = each_of(change)
    if notices is not None:  # several events of one type in one change (outbox.emit_each)
        return [
            base
            | {
                "record_id": notice["record_id"],
                "scope": notice["scope"],
                "data": notice["data"],
                "event_id": uuid7(),
                "agency_id": agency_id,
                "sealed_record": None,
            }
            for notice in notices
            for agency_id in notice["agencies"]
        ]
    wanted = change.recipients
    if not change.carries_record:
        return [
            base | {"event_id": event_id, "agency_id": agency_id, "sealed_record": None}
            for agency_id, event_id in (wanted or {}).items()
        ]
    found = payloads.of(change.record_id, None if wanted is None else frozenset(wanted))
    if found is None:  # purged since: its former audience is told so by record.purged
        return []
    record, by_agency = found
    secrets = secrets_for(vault, record.id, record.data_key)
    rows = []
    for agency_id in sorted(by_agency):
        event_id = uuid7() if wanted is None else wanted[agency_id]
        sealed = secrets.seal_text(by_agency[agency_id], table="events", row=event_id, field="record")
        rows.append(base | {"event_id": event_id, "agency_id": agency_id, "sealed_record": sealed})
    return rows
