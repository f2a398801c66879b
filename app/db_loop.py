"""PostgreSQL connections whose statements are awaited on the event loop, kept per loop.

Every request's admission (the key, the nonce claim, the rate limits) and the channel's audit entries are
one statement each, and the most called routes (a record's create, read and page) one transaction. Run in
a worker thread, each cost a hop there and back, about 80 us of CPU on this kind of machine measured
alone, more under load, and more than a statement's own work in the driver; awaited on the loop, they
cost no hop at all. The routes' Python code still runs synchronously (SQLAlchemy's run_sync), so the code
that builds and reads their statements is the same as in a worker thread.

A pooled asynchronous connection belongs to the event loop it was opened on, so each loop gets a pool of
its own (PerLoop): a server worker has one loop for its life; tests open one per in-process client. The
pool of a loop that has closed is closed when another loop asks for one, or with the database.
"""

import asyncio
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

Pool = TypeVar("Pool")


class PerLoop(Generic[Pool]):
    """The running event loop's pool, made on first use by `make`; `close` closes one, from any loop."""

    def __init__(self, make: Callable[[], Pool], close: Callable[[Pool], Awaitable[None]]) -> None:
        self._make = make
        self._close = close
        # By the loop's id, with the loop itself held weakly (an id may be reused once a loop is gone).
        self._pools: dict[int, tuple[weakref.ref[asyncio.AbstractEventLoop], Pool]] = {}
        self._lock = threading.Lock()  # loops of several threads (tests' portals) may ask at once

    def get(self) -> Pool:
        loop = asyncio.get_running_loop()
        held = self._pools.get(id(loop))
        if held is not None and held[0]() is loop:
            return held[1]
        with self._lock:
            held = self._pools.get(id(loop))
            if held is not None and held[0]() is loop:
                return held[1]
            pool = self._make()
            gone = [key for key, (ref, _) in self._pools.items() if _closed(ref())]
            stale = [self._pools.pop(key)[1] for key in gone]
            self._pools[id(loop)] = (weakref.ref(loop), pool)
        self._close_all(stale)
        return pool

    def dispose(self) -> None:
        """Close every loop's pooled connections, whether their loop still runs or not."""
        with self._lock:
            pools = [pool for _, pool in self._pools.values()]
            self._pools.clear()
        self._close_all(pools)

    def _close_all(self, pools: list[Pool]) -> None:
        """Close `pools`, from any thread: closing a psycopg connection does no I/O that needs its loop,
        so a loop of its own, in a thread of its own (the calling thread may be running a loop already),
        does it."""
        if not pools:
            return

        async def close_all() -> None:
            for pool in pools:
                await self._close(pool)

        closer = threading.Thread(target=asyncio.run, args=(close_all(),), name="kix-db-dispose")
        closer.start()
        closer.join()


class LoopEngines:
    """The async engine of the running event loop, made on first use with `options`
    (create_async_engine's keyword arguments)."""

    def __init__(self, url: str, options: dict[str, Any]) -> None:
        self._engines = PerLoop(lambda: create_async_engine(url, **options), _dispose)

    def engine(self) -> AsyncEngine:
        return self._engines.get()

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine().connect() as connection:
            yield connection

    def dispose(self) -> None:
        self._engines.dispose()


async def _dispose(engine: AsyncEngine) -> None:
    await engine.dispose()


def _closed(loop: asyncio.AbstractEventLoop | None) -> bool:
    return loop is None or loop.is_closed()
