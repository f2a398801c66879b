"""Engine and session factory. One session, one transaction, per request."""

import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from app.config import sqlite_path
from app.db_driver import Driver
from app.db_loop import LoopEngines

SQLITE_BUSY_TIMEOUT_SECONDS = 10
# What a client is told to wait when the database is unavailable (see unavailable_reason).
RETRY_AFTER_OUTAGE_SECONDS = 5


def unavailable_reason(exc: BaseException) -> str | None:
    """Why the database can not serve now, if `exc` says so: unreachable or dropped connections, a full
    pool, a read-only or full disk, a lock or deadlock past its wait: operational errors, which may be
    gone when the request is sent again. None for anything else: a bug or a constraint stays an error of
    its own. The reason is the driver's error class and first line, which carry no parameters."""
    if not isinstance(exc, OperationalError | InterfaceError | PoolTimeout) and not (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return None
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    first_line = (str(original).strip().splitlines() or [""])[0]
    return f"{type(original).__name__}: {first_line[:200]}"


def _sqlite_pragmas(dbapi_connection: object, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets readers run beside the writer; busy_timeout makes concurrent writers wait, not fail.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
    # Deleted and overwritten content is zeroed in the file, so a purge leaves no readable trace there.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _sqlite_manual_transactions(dbapi_connection: object, _record: ConnectionPoolEntry) -> None:
    # pysqlite's own BEGIN is deferred and skips SELECTs; take over (SQLAlchemy's documented recipe).
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]


def _sqlite_begin(connection: Connection) -> None:
    # A deferred transaction that reads and then writes fails at once (SQLITE_BUSY, no waiting) when
    # another connection wrote in between; write transactions take the lock up front and wait for it.
    immediate = connection.get_execution_options().get("sqlite_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _postgres_options(*, autocommit: bool, relaxed: bool) -> dict[str, Any]:
    """create_engine's options for PostgreSQL (create_async_engine takes the same). hide_parameters: a
    database error must not carry victims' names or account numbers into the logs."""
    options: dict[str, Any] = {"hide_parameters": True, "pool_size": 10, "max_overflow": 20}
    if autocommit:
        options["isolation_level"] = "AUTOCOMMIT"
    if relaxed:
        options["connect_args"] = {"options": "-c synchronous_commit=off"}
    return options


def make_engine(url: str, *, autocommit: bool = False, relaxed: bool = False) -> Engine:
    """An engine; `relaxed`: on PostgreSQL its commits do not wait for the WAL flush (see
    Database.relaxed_connection for when that is safe)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # hide_parameters: a database error must not carry victims' names or account numbers into the logs.
        options: dict[str, Any] = {"hide_parameters": True}
        if autocommit:
            options["isolation_level"] = "AUTOCOMMIT"
        # A pool as large as the worker thread count, so connections (and their pragmas) are reused,
        # not opened and closed under load.
        if parsed.database not in (None, "", ":memory:"):
            options |= {"pool_size": 40, "max_overflow": 10}
        engine = create_engine(url, connect_args={"check_same_thread": False}, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        if not autocommit:
            event.listen(engine, "connect", _sqlite_manual_transactions)
            event.listen(engine, "begin", _sqlite_begin)
        return engine
    # No pool_pre_ping: it costs a round trip on every checkout. A connection found dead fails one
    # request, and SQLAlchemy then invalidates the whole pool, so the next requests reconnect.
    return create_engine(url, **_postgres_options(autocommit=autocommit, relaxed=relaxed))


def _create_private_file(path: Path) -> None:
    """Create an empty SQLite file readable by its owner only; SQLite gives its WAL and shared-memory
    files the same mode, so none of the three is ever readable by others."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


@contextmanager
def _committed(session: Session) -> Iterator[None]:
    """Commit `session`'s work when the block ends normally; roll it back when it raises."""
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


class Database:
    """The engine and its session factory, created once per app (or CLI command) and passed down."""

    def __init__(self, url: str) -> None:
        self.url = url
        sqlite_file = sqlite_path(url)
        if sqlite_file is not None:
            _create_private_file(sqlite_file)
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # For requests that write: on SQLite they take the write lock when they begin (see _sqlite_begin).
        self.write_sessions = sessionmaker(
            self.engine.execution_options(sqlite_immediate=True), expire_on_commit=False
        )
        # A pool in autocommit mode, for single statements that are a transaction each (the signature
        # check's key lookup and nonce claim): no BEGIN/COMMIT round trips on every request.
        self.autocommit = make_engine(url, autocommit=True)
        self.relaxed = make_engine(url, relaxed=True)
        self._relaxed_writer = self.relaxed.execution_options(sqlite_immediate=True)
        # SQLite: one writer at a time holds the whole database (an in-memory one included).
        self.one_writer = make_url(url).get_backend_name() == "sqlite"
        # PostgreSQL: what runs awaited on the event loop (app.db_loop says why). The statements every
        # request runs (its admission, its audit entry) go straight through the driver (app.db_driver
        # says why), relaxed and durable: each its own transaction, in autocommit from each connection's
        # start. The admission's rarer statements (a key's first request on a node, a refusal) are
        # relaxed statements of an engine (statements_on_loop), and the transactions of the most called
        # routes are sessions of another (session_on_loop). An engine's per-use isolation option would
        # set autocommit and reset it again on every checkout, so each engine has its own.
        self._on_loop = (
            None
            if self.one_writer
            else {
                "relaxed statements": LoopEngines(url, _postgres_options(autocommit=True, relaxed=True)),
                "sessions": LoopEngines(url, _postgres_options(autocommit=False, relaxed=False)),
            }
        )
        self._drivers = (
            None if self.one_writer else {True: Driver(url, relaxed=True), False: Driver(url, relaxed=False)}
        )
        self.after_commit: list[Callable[[dict[Any, Any]], None]] = []
        # SQLite has one writer at a time, and makes the others sleep and poll (1, 2, 5, 10... ms) until
        # the lock is free: this process's writers queue here instead, and take it as soon as it is.
        self._writer_queue = threading.Lock() if sqlite_file is not None else None

    @contextmanager
    def _queued_writer(self) -> Iterator[None]:
        if self._writer_queue is None:
            yield
            return
        # Bounded as SQLite's own wait is: past it, the transaction goes on and SQLite decides.
        queued = self._writer_queue.acquire(timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
        try:
            yield
        finally:
            if queued:
                self._writer_queue.release()

    @contextmanager
    def relaxed_connection(self) -> Iterator[Connection]:
        """A write transaction, on a plain connection (a few Core statements need no ORM session), whose
        commit, on PostgreSQL, does not wait for the WAL to reach the disk (synchronous_commit off: about
        0.5 ms instead of 4 on this kind of disk). For a request's bookkeeping before its route runs (the
        nonce claim, the rate-limit buckets): every authenticated request then commits its audit entry
        durably before its answer leaves, and that commit flushes the WAL up to itself, so these earlier
        commits are on disk by then too. If the node dies before, the client never had an answer, and
        loses nothing a retry does not redo. Visibility is immediate either way: a nonce claimed here is
        claimed for every node at once. On SQLite it is an ordinary write transaction (synchronous=NORMAL
        in WAL mode)."""
        with (
            self._queued_writer(),
            self._relaxed_writer.connect() as connection,
            connection.begin(),
        ):
            yield connection

    @asynccontextmanager
    async def statements_on_loop(self) -> AsyncIterator[AsyncConnection]:
        """PostgreSQL only: a connection in autocommit, whose statements are awaited on the running event
        loop (app.db_loop says why), each committed on its own, without waiting for the WAL flush (as in
        relaxed_connection): for a request's admission when it is not the driver's one statement
        (app.api.admission). A BEGIN and a COMMIT would cost two round trips more, and a bucket's lock,
        which every request of a key takes, must end with its statement."""
        async with self._loop_engines("relaxed statements").connect() as connection:
            yield connection

    @asynccontextmanager
    async def session_on_loop(self) -> AsyncIterator[AsyncSession]:
        """PostgreSQL only: a session whose statements are awaited on the running event loop; the code that
        uses it runs in AsyncSession.run_sync, as it would in a worker thread (app.db_loop). Its
        transaction is the caller's to make with `committing`, as `transaction` makes its own."""
        async with AsyncSession(self._loop_engines("sessions").engine(), expire_on_commit=False) as session:
            yield session

    def driver(self, *, relaxed: bool) -> Driver:
        """PostgreSQL only: statements run straight through psycopg on the running event loop, each
        committed on its own; `relaxed`: without waiting for the WAL flush (relaxed_connection says when
        that is safe)."""
        if self._drivers is None:
            raise RuntimeError("SQLite runs nothing on the event loop: its writers take turns in threads")
        return self._drivers[relaxed]

    def _loop_engines(self, name: str) -> LoopEngines:
        if self._on_loop is None:
            raise RuntimeError("SQLite runs nothing on the event loop: its writers take turns in threads")
        return self._on_loop[name]

    @contextmanager
    def committing(self, session: Session) -> Iterator[Session]:
        """Commit `session`'s work when the block ends normally, roll it back otherwise. After a commit,
        each of `after_commit` is called with the session's `info` (what the work noted)."""
        with _committed(session):
            yield session
        self._run_after_commit(session)

    def _run_after_commit(self, session: Session) -> None:
        for hook in self.after_commit:
            hook(session.info)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session whose work is committed when the block ends normally, rolled back otherwise. After a
        commit, each of `after_commit` is called with the session's `info` (what the work noted), once the
        session is closed and the write lock given up."""
        with (
            self._queued_writer() if write else nullcontext(),
            (self.write_sessions if write else self.sessions)() as session,
            _committed(session),
        ):
            yield session
        self._run_after_commit(session)

    def dispose(self) -> None:
        self.engine.dispose()
        self.autocommit.dispose()
        self.relaxed.dispose()
        for engines in (self._on_loop or {}).values():
            engines.dispose()
        for driver in (self._drivers or {}).values():
            driver.dispose()
