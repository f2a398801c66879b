"""PostgreSQL engines whose statements are awaited on the event loop, one engine per loop.

Every request's admission (the key, the nonce claim, the rate limits) and the channel's audit entries are
one statement each, and the most called routes (a record's create, read and page) one transaction. Run in
a worker thread, each cost a hop there and back, about 80 us of CPU on this kind of machine measured
alone, more under load, and more than a statement's own work in the driver; awaited on the loop, they
cost no hop at all. Their Python code still runs synchronously (SQLAlchemy's run_sync), so the code that
builds and reads the statements is the same as in a worker thread.

A pooled asynchronous connection belongs to the event loop it was opened on, so each loop gets an engine
of its own: a server worker has one loop for its life; tests open one per in-process client. An engine
whose loop has closed is disposed of when another loop asks for one, or with the database.
"""

import asyncio
import threading
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine


class LoopEngines:
    """The async engine of the running event loop, made on first use with `options`
    (create_async_engine's keyword arguments)."""

    def __init__(self, url: str, options: dict[str, Any]) -> None:
        self._url = url
        self._options = options
        # By the loop's id, with the loop itself held weakly (an id may be reused once a loop is gone).
        self._engines: dict[int, tuple[weakref.ref[asyncio.AbstractEventLoop], AsyncEngine]] = {}
        self._lock = threading.Lock()  # loops of several threads (tests' portals) may ask at once

    def engine(self) -> AsyncEngine:
        loop = asyncio.get_running_loop()
        held = self._engines.get(id(loop))
        if held is not None and held[0]() is loop:
            return held[1]
        with self._lock:
            held = self._engines.get(id(loop))
            if held is not None and held[0]() is loop:
                return held[1]
            engine = create_async_engine(self._url, **self._options)
            gone = [key for key, (ref, _) in self._engines.items() if _closed(ref())]
            stale = [self._engines.pop(key)[1] for key in gone]
            self._engines[id(loop)] = (weakref.ref(loop), engine)
        _dispose(stale)
        return engine

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine().connect() as connection:
            yield connection

    def dispose(self) -> None:
        """Close every loop's pooled connections, whether their loop still runs or not."""
        with self._lock:
            engines = [engine for _, engine in self._engines.values()]
            self._engines.clear()
        _dispose(engines)


def _closed(loop: asyncio.AbstractEventLoop | None) -> bool:
    return loop is None or loop.is_closed()


def _dispose(engines: list[AsyncEngine]) -> None:
    """Close the engines' pooled connections, from any thread: closing a psycopg connection does no I/O
    that needs its loop, so a loop of its own, in a thread of its own (the calling thread may be running
    a loop already), does it."""
    if not engines:
        return

    async def dispose_all() -> None:
        for engine in engines:
            await engine.dispose()

    closer = threading.Thread(target=asyncio.run, args=(dispose_all(),), name="kix-db-dispose")
    closer.start()
    closer.join()
