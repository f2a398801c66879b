"""PostgreSQL engines whose statements are awaited on the event loop, one engine per loop.

Every request's admission (the key, the nonce claim, the rate limits) and, for most routes, its audit
entry are one statement each. Run in a worker thread, each cost a hop there and back, about 80 us of CPU
on this kind of machine, more than the statement's own work in the driver; awaited on the loop, the
statement costs no hop at all. The statement's Python code still runs synchronously (AsyncConnection.
run_sync), so the code that builds and reads it is the same as in a worker thread.

A pooled asynchronous connection belongs to the event loop it was opened on, so each loop gets an engine
of its own: a server worker has one loop for its life; tests open one per in-process client.
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
        self._engines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncEngine] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()  # loops of several threads (tests' portals) may ask at once

    def engine(self) -> AsyncEngine:
        loop = asyncio.get_running_loop()
        engine = self._engines.get(loop)
        if engine is None:
            with self._lock:
                engine = self._engines.get(loop)
                if engine is None:
                    engine = create_async_engine(self._url, **self._options)
                    self._engines[loop] = engine
        return engine

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine().connect() as connection:
            yield connection

    def dispose(self) -> None:
        """Close every loop's pooled connections, from any thread, whether their loop still runs or not:
        closing a psycopg connection does no I/O that needs its loop, so a loop of its own does it."""
        with self._lock:
            engines = list(self._engines.values())
            self._engines.clear()
        if not engines:
            return

        async def dispose_all() -> None:
            for engine in engines:
                await engine.dispose()

        # A thread of its own, since the calling thread may be running a loop already.
        closer = threading.Thread(target=asyncio.run, args=(dispose_all(),), name="kix-db-dispose")
        closer.start()
        closer.join()
