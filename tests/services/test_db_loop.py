"""app.db_loop: an engine per event loop, whose connections are closed once its loop is gone."""

import asyncio
import uuid

import pytest
from sqlalchemy import create_engine, text

from app.db_loop import LoopEngines
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="KIX_TEST_POSTGRES_URL is not set")


def open_connections(url: str, name: str) -> int:
    """How many connections the database server has open under the application name `name`."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            query = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
            return int(connection.execute(query, {"name": name}).scalar_one())
    finally:
        engine.dispose()


def test_each_loop_has_its_own_engine_and_a_closed_loops_connections_are_closed(
    postgres_database: str,
) -> None:
    name = f"kix-loop-test-{uuid.uuid4().hex[:12]}"
    engines = LoopEngines(postgres_database, {"connect_args": {"application_name": name}})

    async def use_twice() -> object:
        async with engines.connect() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar() == 1
        assert engines.engine() is engines.engine()  # one engine for the loop's life
        return engines.engine()

    first = asyncio.run(use_twice())  # its loop is closed when it returns: the pooled connection stays
    assert open_connections(postgres_database, name) == 1
    second = asyncio.run(use_twice())  # another loop: its own engine, and the first one's are closed
    assert second is not first
    assert open_connections(postgres_database, name) == 1
    engines.dispose()
    assert open_connections(postgres_database, name) == 0
