"""Writing events: in the same transaction as the change they report (a transactional outbox), one row
per recipient agency, each carrying only what that agency may read, computed when the change happens
through the one disclosure rule. An agency that loses sight of a record gets no further events about it.
"""

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.orm import Session

from app.ids import uuid7
from app.models import Event, Record
from app.schemas.events import EventType
from app.services.records.disclosure import disclose_to_audience
from app.services.records.kinds import spec_of
from app.services.records.visibility import audience
from app.services.vault import Vault, secrets_for

NOTIFY_CHANNEL = "kix_events"
# Set on a session whose transaction wrote events: the Database wakes waiting feed readers on commit.
EMITTED = "kix.events_emitted"


def _txid(session: Session) -> int:
    """The writing transaction's id on PostgreSQL (see Event.txid); 0 on SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    return int(session.scalar(text("SELECT pg_current_xact_id()::text::bigint")) or 0)


def _announce(session: Session) -> None:
    if not session.info.get(EMITTED):
        session.info[EMITTED] = True
        if session.get_bind().dialect.name == "postgresql":  # delivered at commit, to every node
            session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})


def emit(
    session: Session,
    agencies: Iterable[str],
    event_type: EventType,
    *,
    now: datetime,
    data: Mapping[str, Any] | None = None,
    record_id: str | None = None,
    scope: str | None = None,
    sealed: Mapping[str, tuple[str, str]] | None = None,
) -> list[Event]:
    """One event row per agency. `sealed` maps an agency to (event id, its sealed record view)."""
    txid = _txid(session)
    rows = []
    for agency_id in sorted(set(agencies)):
        event_id, sealed_record = (sealed or {}).get(agency_id, (uuid7(), None))
        rows.append(
            Event(
                event_id=event_id,
                txid=txid,
                agency_id=agency_id,
                type=event_type.value,
                record_id=record_id,
                scope=scope,
                data=dict(data or {}),
                sealed_record=sealed_record,
                occurred_at=now,
            )
        )
    session.add_all(rows)
    _announce(session)
    return rows


def record_summary(record: Record) -> dict[str, Any]:
    return {"kind": record.kind, "owner": record.owner_id, "version": record.version, "status": record.status}


def emit_record_event(
    session: Session,
    vault: Vault,
    record: Record,
    event_type: EventType,
    *,
    now: datetime,
    only: Iterable[str] | None = None,
) -> list[Event]:
    """Tell the record's audience (or those of it in `only`) of a change, each with the record as it may
    read it now."""
    session.flush()
    spec = spec_of(record.kind)
    secrets = secrets_for(vault, record.id, record.data_key)
    wanted = None if only is None else set(only)
    sealed: dict[str, tuple[str, str]] = {}
    for agency_id, view in disclose_to_audience(session, vault, record).items():
        if wanted is not None and agency_id not in wanted:
            continue
        event_id = uuid7()
        payload = json.dumps(spec.read.model_validate(view).model_dump(mode="json"), separators=(",", ":"))
        sealed[agency_id] = (
            event_id,
            secrets.seal_text(payload, table="events", row=event_id, field="record"),
        )
    return emit(
        session,
        sealed,
        event_type,
        now=now,
        data=record_summary(record),
        record_id=record.id,
        scope=spec.read_scope.value,
        sealed=sealed,
    )


def emit_purge(session: Session, record: Record, *, now: datetime) -> list[Event]:
    """Tell the record's former audience that it is gone, and drop the record from earlier events."""
    session.execute(update(Event).where(Event.record_id == record.id).values(sealed_record=None))
    former = [agency_id for agency_id, _scopes in session.execute(audience(record.id))]
    scope = spec_of(record.kind).read_scope.value
    summary = {"kind": record.kind, "owner": record.owner_id}
    return emit(
        session, former, EventType.RECORD_PURGED, now=now, data=summary, record_id=record.id, scope=scope
    )
