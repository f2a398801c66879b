"""Waking feed readers and the webhook deliverer when events are written, so following the feed costs
no busy loop: a commit in this process signals directly; on PostgreSQL a listener thread turns every
node's NOTIFY into the same signal. Readers also re-check on a short timeout, so a lost signal only
delays them."""

import asyncio
import logging
import threading

import psycopg
from sqlalchemy.engine import make_url

log = logging.getLogger("kix.events")


class EventSignal:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = set()
        self._condition = threading.Condition()
        self._generation = 0
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()
        self.listening = threading.Event()  # set once the PostgreSQL listener is connected

    def notify(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for loop, future in waiters:
            loop.call_soon_threadsafe(_resolve, future)
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    async def wait(self, timeout: float) -> bool:
        """Wait (on the event loop) until events are signalled or `timeout` seconds pass."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        entry = (loop, future)
        with self._lock:
            self._waiters.add(entry)
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._waiters.discard(entry)

    def wait_blocking(self, timeout: float) -> bool:
        """Wait (in a thread) until events are signalled or `timeout` seconds pass."""
        with self._condition:
            start = self._generation
            self._condition.wait_for(lambda: self._generation != start, timeout)
            return self._generation != start

    def listen(self, database_url: str, channel: str) -> None:
        """On PostgreSQL, start a thread relaying NOTIFY on `channel` (from any node) to this signal."""
        url = make_url(database_url)
        if url.get_backend_name() != "postgresql" or self._listener is not None:
            return
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._listener = threading.Thread(
            target=self._listen, args=(conninfo, channel), name="kix-events-listener", daemon=True
        )
        self._listener.start()

    def _listen(self, conninfo: str, channel: str) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as connection:
                    connection.execute(f'LISTEN "{channel}"')
                    self.listening.set()
                    while not self._stop.is_set():
                        for _ in connection.notifies(timeout=1.0, stop_after=1):
                            self.notify()
            except psycopg.Error:
                self.listening.clear()
                log.warning("event listener lost its connection; retrying")
                self._stop.wait(2.0)

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=5)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
