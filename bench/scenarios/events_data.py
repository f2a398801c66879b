"""The data of the events benchmark: N event rows, as the fan-out writes them, about alerts bulk-loaded
first (bench/loaders.py), written many at a time (COPY on PostgreSQL, INSERT on SQLite).

The rows follow a stream of changes, each one transaction writing one event per recipient agency, with
these weights: an alert created (20) or updated (48), withdrawn (2), a notice issued to its audience (2),
a contribution (8), a hit on it (10), a notice acknowledged (4), share and access requests opened or
changed (5), a deadline warning (1). Record events go to the alert's audience (app.demo's 22 agencies and
the two callers: 24 for all_members; distributions as in the records scenario: mostly all_members, some
groups, agencies and owner_only); the others to one or two agencies, as the services send them. Updates,
withdrawals and the rest concern one of the last ACTIVE_WINDOW alerts created. Their `data` is what the
services put there (outbox.record_summary for record events).

sealed_record: every record event carries the record as its recipient may read it, sealed under the
record's data key, as the fan-out writes it (about 1.4 kB a row): `record_payloads` and `seal_payload`
take the same three steps as the fan-out (disclose_to_audience, the kind's read model, Secrets.seal_text
bound to the event row), once per alert and recipient, then seal it per event;
tests/test_bench.py checks that they open like the service's. The other events carry none (NULL), as the
services write them.

txid: on SQLite 0, as the outbox writes there. On PostgreSQL each change gets its own transaction id, a
real one: ids are reserved in blocks by a transaction that burns them (one subtransaction each, a fraction
of a second for 50 000), so every change's id is distinct and rises with the stream, as committed
writers' would.
"""

import json
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, select, text
from sqlalchemy.orm import Session

from app.db import Database
from app.ids import uuid7
from app.models import Event, Record
from app.schemas.common import Scope
from app.schemas.events import EventType
from app.services.bulk_rows import write_rows
from app.services.events.outbox import record_summary
from app.services.records.disclosure import disclose_to_audience
from app.services.records.kinds import ALERTS, spec_of
from app.services.vault import Vault, secrets_for
from bench.data.bodies import COUNTRIES, BodyMaker, validated
from bench.harness.databases import is_postgres
from bench.loaders import BulkLoader
from bench.scenarios.records_scale import MODES

CHANGES = {
    EventType.RECORD_CREATED: 20,
    EventType.RECORD_UPDATED: 48,
    EventType.RECORD_WITHDRAWN: 2,
    EventType.NOTICE_ISSUED: 2,
    EventType.CONTRIBUTION_ADDED: 8,
    EventType.HIT_RECORDED: 10,
    EventType.NOTICE_ACKNOWLEDGED: 4,
    EventType.SHARE_REQUEST_OPENED: 2,
    EventType.SHARE_REQUEST_CHANGED: 2,
    EventType.ACCESS_REQUEST_OPENED: 1,
    EventType.DEADLINE_WARNING: 1,
}
# Events that carry the record as its recipient may read it.
WITH_RECORD = {EventType.RECORD_CREATED, EventType.RECORD_UPDATED, EventType.RECORD_WITHDRAWN}
ACTIVE_WINDOW = 300
HISTORY_DAYS = 180
RECORD_BATCH = 1000  # alerts bulk-loaded at a time, as the stream needs them
EVENT_COLUMNS = [c.key for c in Event.__table__.columns if c.key != "id"]  # id: the database's
TXID_BLOCK = 50_000


# ---------------------------------------------------------------- what the fan-out seals
def record_payloads(session: Session, vault: Vault, record: Record) -> dict[str, str]:
    """The record as each agency of its audience may read it now, as the JSON the fan-out seals."""
    spec = spec_of(record.kind)
    return {
        agency_id: json.dumps(spec.read.model_validate(view).model_dump(mode="json"), separators=(",", ":"))
        for agency_id, view in disclose_to_audience(session, vault, record).items()
    }


def seal_payload(vault: Vault, record: Record, event_id: str, payload: str) -> str:
    """A payload sealed for one event row, as the fan-out seals it."""
    secrets = secrets_for(vault, record.id, record.data_key)
    return secrets.seal_text(payload, table="events", row=event_id, field="record")


# ---------------------------------------------------------------- transaction ids
class Txids:
    """Each change's transaction id: 0 on SQLite; on PostgreSQL real ids, reserved TXID_BLOCK at a time."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.postgres = is_postgres(db)
        self.next_id = 0
        self.end = 0
        self.reserved = 0

    def _reserve(self) -> None:
        with self.db.engine.begin() as connection:
            connection.execute(
                text("CREATE TEMP TABLE IF NOT EXISTS bench_burn (i int) ON COMMIT DELETE ROWS")
            )
            first = int(connection.execute(text("SELECT pg_current_xact_id()::text::bigint")).scalar_one())
            burn = "BEGIN INSERT INTO bench_burn VALUES (i); EXCEPTION WHEN OTHERS THEN NULL; END;"
            connection.execute(text(f"DO $$ BEGIN FOR i IN 1..{TXID_BLOCK} LOOP {burn} END LOOP; END $$"))
        # The block's ids were given to its subtransactions (or to other sessions' transactions meanwhile):
        # all of them are taken, below the next one this server will give out.
        self.next_id, self.end = first + 1, first + TXID_BLOCK
        self.reserved += TXID_BLOCK

    def take(self) -> int:
        if not self.postgres:
            return 0
        if self.next_id >= self.end:
            self._reserve()
        self.next_id += 1
        return self.next_id - 1


# ---------------------------------------------------------------- the stream
@dataclass
class Subject:
    """An alert the stream is about: the record row, and what each agency of its audience may read."""

    record: Record
    payloads: dict[str, str]

    @property
    def audience(self) -> list[str]:
        return sorted(self.payloads)


@dataclass
class EventStats:
    backend: str
    rows: Counter[str] = field(default_factory=Counter)  # by event type
    changes: int = 0
    records: int = 0
    sealed_rows: int = 0
    sealed_chars: int = 0
    disclose_seconds: float = 0.0
    write_seconds: float = 0.0
    seconds: float = 0.0
    txids: int = 0

    def describe(self) -> str:
        total = sum(self.rows.values())
        mean = self.sealed_chars / self.sealed_rows if self.sealed_rows else 0
        method = "COPY" if self.backend == "PostgreSQL" else "INSERT"
        types = ", ".join(f"{kind} {count}" for kind, count in self.rows.most_common())
        return (
            f"loaded {total} events ({self.changes} changes, {total / max(1, self.changes):.1f} rows each; "
            f"about {self.records} alerts) in {self.seconds:.1f} s, of which {self.disclose_seconds:.1f} s "
            f"disclosure (views to seal) and {self.write_seconds:.1f} s {method}; "
            f"sealed_record on {self.sealed_rows} rows ({100 * self.sealed_rows / max(1, total):.0f}%, "
            f"mean {mean:.0f} chars), NULL on the rest; "
            + (f"{self.changes} distinct txids" if self.backend == "PostgreSQL" else "txid 0 (SQLite)")
            + f"\n  by type: {types}"
        )


class EventLoader:
    """Writes about `count` events (the last change completes: a few more), alerts loaded as needed."""

    def __init__(self, db: Database, vault: Vault, owners: list[str], seed: int, *, chunk: int = 20_000):
        self.db = db
        self.vault = vault
        self.owners = owners
        self.rng = random.Random(seed)
        self.maker = BodyMaker(self.rng)
        self.chunk = chunk
        self.txids = Txids(db)
        self.stats = EventStats("PostgreSQL" if is_postgres(db) else "SQLite")
        self.fresh: deque[Subject] = deque()  # loaded, not created in the stream yet
        self.active: deque[Subject] = deque(maxlen=ACTIVE_WINDOW)
        self.pending: list[dict[str, Any]] = []

    # ------------------------------------------------------------ alerts
    def _load_alerts(self, count: int, when: datetime) -> None:
        ids = []
        with BulkLoader(self.db, self.vault) as loader:
            for _ in range(count):
                owner = self.rng.choice(self.owners)
                rules = self.maker.rules(owner, self.maker.distribution(owner, MODES, self.owners))
                raw = self.maker.alert(when, self.rng.choice(COUNTRIES)) | {
                    "status": "active",
                    "rules": rules,
                }
                ids.append(loader.add(ALERTS, owner, validated(ALERTS.create, raw), created=when).record.id)
        started = time.perf_counter()
        with self.db.sessions() as session:
            records = {r.id: r for r in session.scalars(select(Record).where(Record.id.in_(ids)))}
            for record_id in ids:
                record = records[record_id]
                self.fresh.append(Subject(record, record_payloads(session, self.vault, record)))
        self.stats.disclose_seconds += time.perf_counter() - started
        self.stats.records += count

    def _created(self, target: int, written: int, when: datetime) -> Subject:
        if not self.fresh:
            # Enough for what is left (a change writes ~13 rows, one in five creates an alert), in batches.
            needed = max(10, (target - written) // 50)
            self._load_alerts(min(RECORD_BATCH, needed), when)
        subject = self.fresh.popleft()
        self.active.append(subject)
        return subject

    # ------------------------------------------------------------ events
    def _row(
        self,
        txid: int,
        agency_id: str,
        kind: EventType,
        when: datetime,
        data: dict[str, Any],
        subject: Subject | None,
        scope: str,
        sealed: bool,
    ) -> None:
        event_id = uuid7()
        sealed_record = None
        if sealed and subject is not None:
            sealed_record = seal_payload(self.vault, subject.record, event_id, subject.payloads[agency_id])
            self.stats.sealed_rows += 1
            self.stats.sealed_chars += len(sealed_record)
        self.pending.append(
            {
                "txid": txid,
                "event_id": event_id,
                "agency_id": agency_id,
                "type": kind.value,
                "record_id": subject.record.id if subject is not None else None,
                "scope": scope,
                "data": data,
                "sealed_record": sealed_record,
                "occurred_at": when,
            }
        )
        self.stats.rows[kind.value] += 1

    def _change(self, kind: EventType, subject: Subject, when: datetime) -> None:
        """One change's events (what the service that makes it emits), in one transaction."""
        rng, record, txid = self.rng, subject.record, self.txids.take()
        read_scope = spec_of(record.kind).read_scope.value
        owner = record.owner_id
        other = rng.choice([agency for agency in self.owners if agency != owner])
        if kind in WITH_RECORD:
            data = record_summary(record) | (
                {"status": "withdrawn"} if kind is EventType.RECORD_WITHDRAWN else {}
            )
            for agency_id in subject.audience:
                self._row(txid, agency_id, kind, when, data, subject, read_scope, sealed=True)
            return
        recipients: list[str]
        scope = Scope.REQUESTS_READ.value
        if kind is EventType.NOTICE_ISSUED:
            recipients = [agency for agency in subject.audience if agency != owner]
            data = {"notice_id": uuid7(), "kind": "correction", "version": record.version}
            scope = read_scope
        elif kind is EventType.CONTRIBUTION_ADDED:
            author = rng.choice(subject.audience)
            recipients = sorted({owner, author})
            data = {"contribution_id": uuid7(), "kind": "sighting", "author": author}
            scope = read_scope
        elif kind is EventType.HIT_RECORDED:
            recipients = [owner]
            strength = rng.choice(["exact", "strong", "possible"])
            data = {"hit_id": uuid7(), "querier": other, "strength": strength, "matched_on": ["name"]}
            data["querier_can_see"] = other in subject.payloads
        elif kind is EventType.NOTICE_ACKNOWLEDGED:
            recipients = [owner]
            data = {"notice_id": uuid7(), "agency": other, "acknowledged_at": when.isoformat()}
            scope = read_scope
        else:  # share and access requests, deadlines: both parties
            recipients = sorted({owner, other})
            due = (when + timedelta(days=14)).isoformat()
            data = {"request_id": uuid7(), "state": "open", "owner": owner, "requester": other, "due_at": due}
        named = None if kind in (EventType.ACCESS_REQUEST_OPENED, EventType.DEADLINE_WARNING) else subject
        for agency_id in recipients:
            self._row(txid, agency_id, kind, when, data, named, scope, sealed=False)

    def _flush(self) -> None:
        started = time.perf_counter()
        engine = self.db.engine.execution_options(sqlite_immediate=True)
        with engine.begin() as connection:
            write(connection, self.pending)
        self.pending = []
        self.stats.write_seconds += time.perf_counter() - started

    def load(self, count: int) -> EventStats:
        started = time.perf_counter()
        now = datetime.now(UTC)
        first = now - timedelta(days=HISTORY_DAYS)
        kinds, weights = list(CHANGES), list(CHANGES.values())
        written = 0
        while written < count:
            when = first + (now - first) * (written / count)
            kind = self.rng.choices(kinds, weights=weights)[0]
            if kind is EventType.RECORD_CREATED or not self.active:
                kind, subject = EventType.RECORD_CREATED, self._created(count, written, when)
            else:
                subject = self.rng.choice(self.active)
            before = len(self.pending)
            self._change(kind, subject, when)
            written += len(self.pending) - before
            self.stats.changes += 1
            if kind is EventType.RECORD_WITHDRAWN:
                self.active.remove(subject)
            if len(self.pending) >= self.chunk:
                self._flush()
        self._flush()
        self.stats.seconds = time.perf_counter() - started
        self.stats.txids = self.stats.changes if self.txids.postgres else 0
        return self.stats


def write(connection: Connection, rows: list[dict[str, Any]]) -> None:
    table = Event.__table__
    assert isinstance(table, Table)  # noqa: S101 - a declarative model's table
    write_rows(connection, table, rows, EVENT_COLUMNS)
