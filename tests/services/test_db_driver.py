"""app.db_driver: statements compiled once by SQLAlchemy, run straight through psycopg on the event loop."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Integer, bindparam, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app import db_driver
from app.db import Database, unavailable_reason
from app.db_driver import Driver
from app.models import AuditEntry, ClaimedNonce
from app.services.audit.log import EntryDraft, postgres_entry
from tests.conftest import POSTGRES_URL
from tests.services.test_db_loop import open_connections

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="KIX_TEST_POSTGRES_URL is not set")

_ENTRY = select(AuditEntry.at, AuditEntry.records, AuditEntry.status, AuditEntry.txid).where(
    AuditEntry.request_id == bindparam("request_id")
)


def _named(url: str, name: str) -> str:
    return make_url(url).update_query_dict({"application_name": name}).render_as_string(hide_password=False)


def _draft(request_id: str) -> EntryDraft:
    return EntryDraft(
        at=datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC),
        agency_id="de-bka",
        kid="de-bka-1",
        actor="officer-7",
        method="GET",
        route="/v1/whoami",
        status=200,
        records=frozenset({"b-record", "a-record"}),
        request_id=request_id,
        signature_sha256="0" * 64,
    )


def test_a_statement_writes_and_reads_as_through_the_engine(postgres_database: str) -> None:
    database = Database(postgres_database)
    driver = database.driver(relaxed=False)
    request_id = uuid.uuid4().hex

    async def write_then_read() -> Any:
        await driver.execute(*postgres_entry(_draft(request_id)))
        return await driver.first(_ENTRY, {"request_id": request_id})

    try:
        row = asyncio.run(write_then_read())
        with database.engine.connect() as connection:
            through_the_engine = connection.execute(_ENTRY, {"request_id": request_id}).one()
            touched = connection.execute(
                text("SELECT count(*) FROM audit_entry_records WHERE record_id IN ('a-record', 'b-record')")
            ).scalar_one()
        assert tuple(row) == tuple(through_the_engine)
        assert row.records == ["a-record", "b-record"]
        assert row.at.tzinfo is UTC  # UTCDateTime's result processing, as the engine applies it
        assert row.txid > 0  # the transaction id, stamped in the statement
        assert touched == 2
        assert asyncio.run(driver.first(_ENTRY, {"request_id": "no such request"})) is None
    finally:
        database.dispose()


def test_a_driver_error_is_sqlalchemys_and_the_connection_is_not_reused(postgres_database: str) -> None:
    name = f"kix-driver-{uuid.uuid4().hex[:12]}"
    driver = Driver(_named(postgres_database, name), relaxed=True)
    claim = insert(ClaimedNonce)
    values = {"kid": "k", "nonce": uuid.uuid4().hex, "forget_after": datetime.now(UTC) + timedelta(days=1)}

    async def claim_twice() -> None:
        await driver.execute(claim, values)
        await driver.execute(claim, values)

    try:
        with pytest.raises(IntegrityError) as refused:
            asyncio.run(claim_twice())
        assert "[parameters:" not in str(refused.value)  # hidden, as the engines hide them
        assert unavailable_reason(refused.value) is None  # a constraint is not an outage
        assert open_connections(postgres_database, name) == 0  # closed after its error, not pooled
    finally:
        driver.dispose()


def test_connections_are_pooled_per_loop_and_closed_with_the_driver(postgres_database: str) -> None:
    name = f"kix-driver-{uuid.uuid4().hex[:12]}"
    driver = Driver(_named(postgres_database, name), relaxed=False)
    one = select(bindparam("one", type_=Integer))

    async def one_after_another() -> None:
        for _ in range(3):
            row = await driver.first(one, {"one": 1})
            assert row is not None
            assert row[0] == 1

    async def four_at_once() -> None:
        await asyncio.gather(*(one_after_another() for _ in range(4)))

    try:
        asyncio.run(one_after_another())
        assert open_connections(postgres_database, name) == 1  # reused, and kept open between uses
        asyncio.run(four_at_once())  # another loop: its own pool; the first loop's is closed
        assert 1 <= open_connections(postgres_database, name) <= 4
        driver.dispose()
        assert open_connections(postgres_database, name) == 0
    finally:
        driver.dispose()


def test_an_unreachable_server_is_an_outage() -> None:
    driver = Driver("postgresql+psycopg://postgres@127.0.0.1:9/kix", relaxed=False)
    try:
        with pytest.raises(OperationalError) as refused:
            asyncio.run(driver.first(select(bindparam("one")), {"one": 1}))
        assert unavailable_reason(refused.value) is not None
    finally:
        driver.dispose()


def test_a_request_waits_for_a_free_connection_only_so_long(
    postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_driver, "POOL_TIMEOUT_SECONDS", 0.2)
    monkeypatch.setattr(db_driver, "POOL_SIZE", 1)
    driver = Driver(postgres_database, relaxed=False)
    sleep = select(func.pg_sleep(1))

    async def two_at_once() -> None:
        holding = asyncio.create_task(driver.first(sleep, {}))
        await asyncio.sleep(0.05)
        try:
            await driver.first(select(bindparam("one")), {"one": 1})
        finally:
            await holding

    try:
        with pytest.raises(PoolTimeout) as refused:
            asyncio.run(two_at_once())
        assert unavailable_reason(refused.value) is not None  # told as the database being unavailable
    finally:
        driver.dispose()
