"""Writing events: one small `changes` row in the same transaction as the change it reports (a
transactional outbox), so a change costs its writer one insert whatever its audience. The fan-out
(fanout.py) turns it into one event per recipient agency after commit, each carrying only what that agency
may read then, through the one disclosure rule. An agency that loses sight of a record gets no further
events about it.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from app import write_behind
from app.ids import uuid7
from app.models import Change, Event, Record
from app.schemas.events import EventType
from app.services.bulk_rows import write_rows
from app.services.records.kinds import spec_of
from app.services.records.visibility import audience
from app.services.sequencing import CURRENT_TXID, is_postgres

# On PostgreSQL, a trigger on `changes` notifies this channel as the rows are inserted (delivered at
# commit, to every node; migration 20261130_0014): no statement of the writer's own.
NOTIFY_CHANNEL = "kix_events"
# Set on a session whose transaction wrote events: the Database wakes this process's readers on commit.
EMITTED = "kix.events_emitted"
# The key of a change's data under which emit_each keeps its notices (each_of).
EACH = "each"


_CHANGES = cast(Table, Change.__table__)
# Built once, Core not ORM (as the audit entry): every write that emits pays for this statement, and an
# ORM-enabled insert costs several times the round trip. The transaction id is computed in the statement,
# the same for every row (sequencing.CURRENT_TXID). Inline: nothing reads the new row's id back, so a
# one-row insert asks for no RETURNING (on PostgreSQL SQLAlchemy would add one, and its result to fetch).
_INSERT_CHANGES = {
    True: insert(_CHANGES).values(txid=CURRENT_TXID).inline(),
    False: insert(_CHANGES).values(txid=0).inline(),
}


_CURRENT_TXID = select(CURRENT_TXID)
_CHANGE_COLUMNS = [column.key for column in _CHANGES.columns if column.key != "id"]


def _insert_changes(session: Session, rows: list[dict[str, Any]]) -> None:
    postgres = is_postgres(session)
    connection = session.connection()
    if len(rows) == 1:
        write_behind.write(connection, _INSERT_CHANGES[postgres], rows[0])
    else:
        # Several (a batch's creates) are written as one COPY on PostgreSQL: their transaction id is read
        # once, since COPY computes nothing.
        txid = connection.execute(_CURRENT_TXID).scalar_one() if postgres else 0
        write_rows(connection, _CHANGES, [row | {"txid": txid} for row in rows], _CHANGE_COLUMNS)
    session.info[EMITTED] = True


def _write(
    session: Session,
    event_type: EventType,
    *,
    now: datetime,
    data: Mapping[str, Any],
    record_id: str | None,
    scope: str | None,
    recipients: dict[str, str] | None,
    carries_record: bool,
) -> None:
    row = {
        "type": event_type.value,
        "record_id": record_id,
        "scope": scope,
        "data": dict(data),
        "recipients": recipients,
        "carries_record": carries_record,
        "occurred_at": now,
    }
    _insert_changes(session, [row])


def emit(
    session: Session,
    agencies: Iterable[str],
    event_type: EventType,
    *,
    now: datetime,
    data: Mapping[str, Any] | None = None,
    record_id: str | None = None,
    scope: str | None = None,
) -> dict[str, str]:
    """An event to each of `agencies`; the event id each will get."""
    recipients = {agency_id: uuid7() for agency_id in sorted(set(agencies))}
    if recipients:
        _write(
            session,
            event_type,
            now=now,
            data=data or {},
            record_id=record_id,
            scope=scope,
            recipients=recipients,
            carries_record=False,
        )
    return recipients


@dataclass(frozen=True)
class Notice:
    """One event to one set of agencies, for emit_each."""

    agencies: Iterable[str]
    data: Mapping[str, Any]
    record_id: str | None = None
    scope: str | None = None


def emit_each(session: Session, event_type: EventType, notices: list[Notice], *, now: datetime) -> None:
    """Many events of one type, each to its own agencies, as one change row (the fan-out makes one event
    of each notice for each of its agencies): a hit/no-hit query that hits a hundred records tells a
    hundred owners, and costs its writer one insert however many they are."""
    items = [
        {
            "record_id": notice.record_id,
            "scope": notice.scope,
            "data": dict(notice.data),
            "agencies": sorted(set(notice.agencies)),
        }
        for notice in notices
        if notice.agencies
    ]
    if items:
        _write(
            session,
            event_type,
            now=now,
            data={EACH: items},
            record_id=None,
            scope=None,
            recipients=None,
            carries_record=False,
        )


def each_of(change: Change) -> list[dict[str, Any]] | None:
    """The notices of a change emit_each wrote (each: record_id, scope, data, agencies); None for any
    other change. Only such a change names no recipient and carries no record."""
    if change.recipients is None and not change.carries_record:
        # .get: a malformed row must not stop every later change from being fanned out.
        return cast(list[dict[str, Any]], change.data.get(EACH, []))
    return None


def record_summary(record: Record) -> dict[str, Any]:
    return {"kind": record.kind, "owner": record.owner_id, "version": record.version, "status": record.status}


def emit_record_event(
    session: Session,
    record: Record,
    event_type: EventType,
    *,
    now: datetime,
    only: Iterable[str] | None = None,
) -> None:
    """Tell the record's audience (or those of it in `only`) of a change, each with the record as it may
    read it when the change is fanned out."""
    _write(
        session,
        event_type,
        now=now,
        data=record_summary(record),
        record_id=record.id,
        scope=spec_of(record.kind).read_scope.value,
        recipients=None if only is None else {agency_id: uuid7() for agency_id in sorted(set(only))},
        carries_record=True,
    )


def emit_records_created(session: Session, records: list[Record], *, now: datetime) -> None:
    """record.created for each of `records` (as emit_record_event does), in one statement."""
    if not records:
        return
    rows = [
        {
            "type": EventType.RECORD_CREATED.value,
            "record_id": record.id,
            "scope": spec_of(record.kind).read_scope.value,
            "data": record_summary(record),
            "recipients": None,
            "carries_record": True,
            "occurred_at": now,
        }
        for record in records
    ]
    _insert_changes(session, rows)


def emit_purge(session: Session, record: Record, *, now: datetime) -> None:
    """Tell the record's former audience that it is gone, and drop the record from earlier events."""
    session.execute(update(Event).where(Event.record_id == record.id).values(sealed_record=None))
    former = [agency_id for agency_id, _scopes in audience(session, record.id)]
    scope = spec_of(record.kind).read_scope.value
    summary = {"kind": record.kind, "owner": record.owner_id}
    emit(session, former, EventType.RECORD_PURGED, now=now, data=summary, record_id=record.id, scope=scope)
