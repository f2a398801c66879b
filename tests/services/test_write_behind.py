"""app.write_behind: rows a request's transaction writes and never reads back, held and sent in one
pipeline with the COMMIT or before the transaction's next statement; what lands is what would have."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import Table, bindparam, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import write_behind
from app.db import Database
from app.models import AuditEntry, Record
from app.services.audit.log import EntryDraft, postgres_entry
from app.services.bulk_rows import COPY_FROM_ROWS, write_rows
from app.write_behind import HeldWrites, hold_writes
from tests.conftest import POSTGRES_URL, truncate_all

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="KIX_TEST_POSTGRES_URL is not set")

_ENTRIES = select(AuditEntry.request_id, AuditEntry.txid).where(
    AuditEntry.request_id.in_(bindparam("ids", expanding=True))
)
_RECORDS = cast(Table, Record.__table__)
_TXID = text("SELECT pg_current_xact_id()::text::bigint")


def _draft(request_id: str) -> EntryDraft:
    return EntryDraft(
        at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        agency_id="de-bka",
        kid="de-bka-1",
        actor="officer-7",
        method="POST",
        route="/v1/alerts",
        status=201,
        records=frozenset({str(uuid.uuid4())}),
        request_id=request_id,
        signature_sha256="0" * 64,
    )


def _entry(connection: Any, request_id: str) -> None:
    write_behind.write(connection, *postgres_entry(_draft(request_id)))


def _on_loop(database: Database, work: Callable[[Session], Any], *, commit: bool = True) -> Any:
    """`work` in a session awaited on the loop, as deps.in_request_transaction runs a request's."""

    async def run() -> Any:
        async with database.session_on_loop() as session:

            def in_transaction(session: Session) -> Any:
                if not commit:
                    outcome = work(session)
                    session.rollback()
                    return outcome
                with database.committing(session):
                    return work(session)

            return await session.run_sync(in_transaction)

    return asyncio.run(run())


def _found(database: Database, ids: list[str]) -> dict[str, int]:
    with database.engine.connect() as connection:
        return {row.request_id: row.txid for row in connection.execute(_ENTRIES, {"ids": ids})}


def _orphan_record() -> dict[str, Any]:
    """A record row the database refuses: its owner does not exist."""
    now = datetime.now(UTC)
    row: dict[str, Any] = {column.key: None for column in _RECORDS.columns}
    return row | {
        "id": str(uuid.uuid4()),
        "kind": "alert",
        "owner_id": "no-such-agency",
        "status": "active",
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


@pytest.fixture
def database(postgres_database: str) -> Any:
    database = Database(postgres_database)
    yield database
    database.dispose()
    truncate_all(postgres_database)  # the worker's database is shared: leave no entries to the next test


def test_held_rows_go_in_one_pipeline_with_the_commit_in_their_transaction(database: Database) -> None:
    ids = [str(uuid.uuid4()) for _ in range(3)]

    def work(session: Session) -> tuple[HeldWrites, int]:
        held = hold_writes(session)
        for request_id in ids:
            _entry(session.connection(), request_id)
        assert len(held.pending) == 3  # nothing sent yet
        assert _found(database, ids) == {}
        return held, 0

    held, _ = _on_loop(database, work)
    assert held.pipelines == 1
    assert held.pending == []
    found = _found(database, ids)
    assert sorted(found) == sorted(ids)
    assert len(set(found.values())) == 1  # one transaction


def test_a_statement_after_held_rows_sees_them(database: Database) -> None:
    request_id = str(uuid.uuid4())

    def work(session: Session) -> tuple[int, int, int]:
        held = hold_writes(session)
        _entry(session.connection(), request_id)
        seen = session.execute(
            select(AuditEntry.txid).where(AuditEntry.request_id == request_id)
        ).scalar_one()  # the held row went first
        return seen, session.execute(_TXID).scalar_one(), held.pipelines

    seen_txid, own_txid, pipelines = _on_loop(database, work)
    assert seen_txid == own_txid  # written in the same transaction, before the read
    assert pipelines == 1
    assert _found(database, [request_id]) == {request_id: own_txid}


def test_a_broken_held_row_fails_the_commit_and_nothing_of_the_transaction_lands(database: Database) -> None:
    before, after = str(uuid.uuid4()), str(uuid.uuid4())

    def work(session: Session) -> None:
        hold_writes(session)
        _entry(session.connection(), before)
        # Refused by the database, but only at the commit.
        write_behind.write(session.connection(), insert(_RECORDS), _orphan_record())
        _entry(session.connection(), after)

    with pytest.raises(IntegrityError):
        _on_loop(database, work)
    assert _found(database, [before, after]) == {}
    # The pool's connections still serve (the failed one was rolled back, or closed).
    later = str(uuid.uuid4())

    def again(session: Session) -> None:
        hold_writes(session)
        _entry(session.connection(), later)

    _on_loop(database, again)
    assert later in _found(database, [later])


def test_a_rollback_drops_what_is_held(database: Database) -> None:
    request_id = str(uuid.uuid4())

    def work(session: Session) -> HeldWrites:
        held = hold_writes(session)
        _entry(session.connection(), request_id)
        return held

    held = _on_loop(database, work, commit=False)
    assert held.pending == []
    assert held.pipelines == 0
    assert _found(database, [request_id]) == {}


def test_a_copy_sends_what_is_held_first(database: Database) -> None:
    request_id, second = str(uuid.uuid4()), str(uuid.uuid4())
    record_ids = [str(uuid.uuid4()) for _ in range(COPY_FROM_ROWS)]
    touched = [{"record_id": record_id, "entry_id": None} for record_id in record_ids]

    def work(session: Session) -> int:
        held = hold_writes(session)
        _entry(session.connection(), request_id)
        entry_id = session.execute(
            select(AuditEntry.id).where(AuditEntry.request_id == request_id)
        ).scalar_one()
        _entry(session.connection(), second)
        rows = [row | {"entry_id": entry_id} for row in touched]
        write_rows(session.connection(), AuditEntry.metadata.tables["audit_entry_records"], rows)
        return held.pipelines

    assert _on_loop(database, work) == 2  # before the read, and before the COPY; the commit had nothing left
    with database.engine.connect() as connection:
        copied = connection.execute(
            text("SELECT count(*) FROM audit_entry_records WHERE record_id = ANY(:ids)"), {"ids": record_ids}
        ).scalar_one()
    assert copied == COPY_FROM_ROWS
    assert set(_found(database, [request_id, second])) == {request_id, second}


def test_without_holding_a_write_runs_at_once(database: Database) -> None:
    def work(session: Session) -> None:
        with pytest.raises(IntegrityError):  # raised by the write itself, not later
            write_behind.write(session.connection(), insert(_RECORDS), _orphan_record())

    _on_loop(database, work, commit=False)
