"""The embedded SQLite database turns read-only, or its disk fills: every request that needs a write gets a
signed 503 problem with Retry-After, nothing acknowledged is lost, the file stays sound, and service resumes
once the disk takes writes again. The faults are SQLite's own (query_only; max_page_count at the file's
current size, which fails a write that needs a new page exactly as a full disk does) set on every new
connection, since a root test process can write through a read-only file mode."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.pool import ConnectionPoolEntry

from app.client import KixProblem
from app.db import RETRY_AFTER_OUTAGE_SECONDS, Database
from tests.conftest import sqlite_copy
from tests.records_data import alert

LONG_TEXT = "Seen at the port, then taken by road towards the border; " * 30
MAX_CREATES = 200


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: these faults are the embedded database's."""
    return sqlite_copy(tmp_path, sqlite_template)


def _on_every_connection(db: Database, pragma: Callable[[Any], str]) -> Callable[[], None]:
    """Run `pragma(cursor)`'s statement on every new connection of the database's engines, emptying their
    pools so it applies at once; returns the undo."""
    engines = [db.engine, db.relaxed, db.autocommit]

    def apply(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(pragma(cursor))
        cursor.close()

    for engine in engines:
        event.listen(engine, "connect", apply)
        engine.dispose()

    def undo() -> None:
        for engine in engines:
            event.remove(engine, "connect", apply)
            engine.dispose()

    return undo


def _is_outage(problem: KixProblem) -> bool:
    return (
        problem.status == 503
        and problem.type == "urn:kix:problem:database-unavailable"
        and problem.retry_after == RETRY_AFTER_OUTAGE_SECONDS
    )


def _sound(db: Database) -> None:
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"


def test_a_read_only_database_answers_503_and_comes_back(enrol: Any, db: Database) -> None:
    owner = enrol("it-dcsa")
    kept = owner.client.create_record("alerts", alert())
    undo = _on_every_connection(db, lambda _cursor: "PRAGMA query_only=ON")
    for call in (
        lambda: owner.client.get_record("alerts", kept["id"]),  # its nonce must be written too
        lambda: owner.client.create_record("alerts", alert()),
    ):
        with pytest.raises(KixProblem) as refused:
            call()
        assert _is_outage(refused.value), refused.value
    undo()
    _sound(db)
    assert [item["id"] for item in owner.client.list_records("alerts")["items"]] == [kept["id"]]


def test_a_full_disk_answers_503_keeps_every_acknowledged_write_and_comes_back(
    enrol: Any, db: Database
) -> None:
    owner = enrol("it-dcsa")
    undo = _on_every_connection(
        db, lambda cursor: f"PRAGMA max_page_count={cursor.execute('PRAGMA page_count').fetchone()[0]}"
    )
    acknowledged: list[str] = []
    refusal: KixProblem | None = None
    for number in range(MAX_CREATES):
        try:
            body = alert(modus_operandi=f"{number}: {LONG_TEXT}"[:1000])
            acknowledged.append(owner.client.create_record("alerts", body)["id"])
        except KixProblem as problem:
            refusal = problem
            break
    assert refusal is not None, f"the disk never filled in {MAX_CREATES} creates"
    assert _is_outage(refusal), refusal
    undo()
    _sound(db)
    listed = {item["id"] for item in owner.client.list_records("alerts", limit=MAX_CREATES)["items"]}
    assert set(acknowledged) <= listed
    assert owner.client.create_record("alerts", alert())["id"] not in acknowledged
