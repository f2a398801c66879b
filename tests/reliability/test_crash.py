"""`kix serve` (two workers) killed with SIGKILL in the middle of a write load: after a restart, every
write a client saw acknowledged is there and complete (record, revision, event, audit entry), nothing is
half-written, and creates sent again with their Idempotency-Key are made once."""

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.client import KixClient, KixProblem
from app.config import Settings
from app.crypto.keystore import load_server_keys
from app.db import Database
from app.models import AuditEntry, AuditEntryRecord, Change, Event, Record, RecordRevision
from app.schemas.events import EventType
from tests.conftest import POSTGRES_URL, Member, truncate_all
from tests.live import kix_server
from tests.records_data import alert

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(POSTGRES_URL is None, reason="needs KIX_TEST_POSTGRES_URL"),
]
WRITERS = 6
ACKNOWLEDGED_BEFORE_KILL = 40  # the kill comes once this many writes were acknowledged
LOAD_SECONDS = 30  # at most
SETTLE_SECONDS = 0.2  # for the clients to read what a frozen server had already sent


@dataclass
class Ledger:
    """What the writers sent and what the server acknowledged, shared by their threads."""

    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)  # idempotency key -> body sent
    created: dict[str, str] = field(default_factory=dict)  # idempotency key -> record id acknowledged
    updated: dict[str, tuple[int, str]] = field(default_factory=dict)  # record id -> (version, text)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acknowledged(self) -> int:
        with self.lock:
            return len(self.created) + len(self.updated)

    def create_in_flight(self) -> bool:
        with self.lock:
            return len(self.bodies) > len(self.created)


def _write_until_killed(client: KixClient, writer: int, ledger: Ledger, stop: threading.Event) -> None:
    """Create an alert, then update it with If-Match, again and again, noting what was acknowledged."""
    number = 0
    while not stop.is_set():
        key = f"crash-{writer}-{number}"
        body = alert(modus_operandi=f"created by writer {writer}, number {number}")
        with ledger.lock:
            ledger.bodies[key] = body
        try:
            created = client.create_record("alerts", body, idempotency_key=key)
            with ledger.lock:
                ledger.created[key] = created["id"]
            text = f"updated by writer {writer}, number {number}"
            updated = client.update_record(
                "alerts", created["id"], {"modus_operandi": text}, etag=created["etag"]
            )
            with ledger.lock:
                ledger.updated[created["id"]] = (updated["version"], text)
        except (httpx.HTTPError, KixProblem):
            return  # the server is gone: what was in flight is unknown, and retried below
        number += 1


@pytest.fixture
def database_url(postgres_database: str) -> Iterator[str]:
    """PostgreSQL only: the deployment a state runs with several workers (SQLite's file under faults is
    tests/reliability/test_sqlite_disk.py's)."""
    yield postgres_database
    truncate_all(postgres_database)


def _complete(db: Database, ledger: Ledger) -> None:
    """Each acknowledged write is in the database whole; no record lacks its revisions."""
    with db.sessions() as session:
        for record_id in ledger.created.values():
            revisions = session.scalar(
                select(func.count()).select_from(RecordRevision).where(RecordRevision.record_id == record_id)
            )
            version = session.scalar(select(Record.version).where(Record.id == record_id))
            assert version is not None, f"acknowledged {record_id} is missing"
            assert revisions == version, (record_id, version, revisions)
            # Announced: its outbox row is still waiting, or the fan-out has already turned it into
            # events (and deleted it, in the same transaction).
            waiting = session.scalar(
                select(func.count())
                .select_from(Change)
                .where(Change.record_id == record_id, Change.type == EventType.RECORD_CREATED.value)
            )
            fanned_out = session.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.record_id == record_id, Event.type == EventType.RECORD_CREATED.value)
            )
            assert waiting or fanned_out, f"the create of {record_id} was never announced"
            logged = session.scalars(
                select(AuditEntry.status)
                .join(AuditEntryRecord, AuditEntryRecord.entry_id == AuditEntry.id)
                .where(AuditEntryRecord.record_id == record_id)
            ).all()
            assert 201 in logged, f"no audit entry for the create of {record_id}"
            if record_id in ledger.updated:
                assert version >= ledger.updated[record_id][0]
                assert 200 in logged, f"no audit entry for the update of {record_id}"
        orphans = session.scalar(
            select(func.count())
            .select_from(Record)
            .where(~select(RecordRevision.record_id).where(RecordRevision.record_id == Record.id).exists())
        )
        assert orphans == 0


def _kill_with_a_create_in_flight(group: int, ledger: Ledger) -> None:
    """SIGKILL the server's process group (the supervisor and both workers, mid-write) once enough writes
    were acknowledged and a create is in flight (sent, not yet acknowledged): with six writers each
    creating then updating, all six may otherwise be mid-update, and no retry would be tested. The server
    is frozen first (SIGSTOP), and the clients given time to read what it had already sent: a create still
    unacknowledged then was never answered. Otherwise it goes on (SIGCONT) and the wait with it."""
    deadline = time.monotonic() + LOAD_SECONDS
    while time.monotonic() < deadline:
        if ledger.acknowledged() >= ACKNOWLEDGED_BEFORE_KILL and ledger.create_in_flight():
            os.killpg(group, signal.SIGSTOP)
            time.sleep(SETTLE_SECONDS)
            if ledger.create_in_flight():
                break
            os.killpg(group, signal.SIGCONT)
        time.sleep(0.005)
    os.killpg(group, signal.SIGKILL)


def test_acknowledged_writes_survive_sigkill_and_retries_make_nothing_twice(
    settings: Settings, enrol: Any, db: Database
) -> None:
    owner: Member = enrol("it-dcsa")
    keys = load_server_keys(settings.keys_dir, create=False)[0].public_jwks()
    ledger, stop = Ledger(), threading.Event()
    processes: list[subprocess.Popen[bytes]] = []
    with kix_server(
        settings.database_url, settings.keys_dir, "--workers", "2", started=processes.append
    ) as url:
        clients = [KixClient(url, owner.key, keys, actor=f"writer-{n}") for n in range(WRITERS)]
        writers = [
            threading.Thread(target=_write_until_killed, args=(client, n, ledger, stop))
            for n, client in enumerate(clients)
        ]
        for writer in writers:
            writer.start()
        _kill_with_a_create_in_flight(processes[0].pid, ledger)
        stop.set()
        for writer in writers:
            writer.join(timeout=30)
        for client in clients:
            client.close()
    assert ledger.acknowledged() >= ACKNOWLEDGED_BEFORE_KILL, "the load never got going"
    assert len(ledger.bodies) > len(ledger.created), "nothing was in flight at the kill"

    with kix_server(settings.database_url, settings.keys_dir, "--workers", "2") as url:
        _complete(db, ledger)
        with KixClient(url, owner.key, keys, actor="after-restart") as client:
            for record_id, (version, text) in ledger.updated.items():
                current = client.get_record("alerts", record_id)
                assert (current["version"], current["modus_operandi"]) == (version, text)
            # Every create sent before the kill, acknowledged or not, sent again with its key: the
            # acknowledged ones answer with their record, the others are made now, each exactly once.
            for key, body in ledger.bodies.items():
                again = client.create_record("alerts", body, idempotency_key=key)
                if key in ledger.created:
                    assert again["id"] == ledger.created[key]
            listed = client.list_records("alerts", limit=200)["items"]
    assert len(listed) == len(ledger.bodies)
