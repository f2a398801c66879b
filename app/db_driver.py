"""PostgreSQL: the two statements every request runs, its admission and its audit entry, sent straight
through psycopg's asynchronous connections, awaited on the event loop.

Through SQLAlchemy's async engine each of them cost about 270 us of CPU where psycopg's own part is about
90: a pool checkout with its events and its reset, a greenlet for the synchronous code, an execution
context, the result's wrapping. Each statement here is still built with SQLAlchemy, and compiled once,
by SQLAlchemy, for psycopg (DriverStatement), with SQLAlchemy's own processing of its parameters and
result columns: only the running of it is direct. Everything else keeps the engines (app.db, app.db_loop),
but for the rows a request's transaction holds until its COMMIT (app.write_behind), compiled here too.

A driver error is raised as SQLAlchemy's wrapper of it (DBAPIError.instance), so a caller tells an outage
from a bug as it does for any other statement (db.unavailable_reason).
"""

import asyncio
from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from app.db_loop import PerLoop

POOL_SIZE = 30  # as the engines' pool_size + max_overflow (app.db._postgres_options)
POOL_TIMEOUT_SECONDS = 30.0  # as SQLAlchemy's pool: past it, the request is told the database is unavailable


def postgres_dialect() -> Dialect:
    """The dialect KIX's PostgreSQL URLs name (postgresql+psycopg)."""
    return make_url("postgresql+psycopg://").get_dialect()()


class DriverStatement:
    """A statement built with SQLAlchemy, compiled once for psycopg: its SQL, and how its parameters go in
    and its rows come out, each value processed as SQLAlchemy would for its column's type."""

    def __init__(
        self, statement: Executable, dialect: Dialect, column_keys: Sequence[str] | None = None
    ) -> None:
        """`column_keys`: for an INSERT, the columns its rows give (as SQLAlchemy compiles it to execute)."""
        assert isinstance(statement, ClauseElement)  # noqa: S101 - every Executable KIX builds is one
        self._compiled = cast(SQLCompiler, statement.compile(dialect=dialect, column_keys=column_keys))
        self.sql = str(self._compiled)
        binds = self._compiled.bind_names
        processors = {binds[bind]: bind.type.dialect_impl(dialect).bind_processor(dialect) for bind in binds}
        self._bind_processors = {name: process for name, process in processors.items() if process}
        self._columns = list(getattr(statement, "exported_columns", ()))
        self._dialect = dialect
        self._row_type: type[Any] | None = None
        self._result_processors: list[Callable[[Any], Any] | None] = []

    def parameters(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The statement's parameters for `values` (by bind name), with its constants."""
        parameters = dict(self._compiled.construct_params(dict(values)) or {})
        for name, process in self._bind_processors.items():
            parameters[name] = process(parameters[name])
        return parameters

    def row(self, cursor: psycopg.AsyncCursor[Any], raw: Sequence[Any]) -> Any:
        """`raw` (a row as psycopg returns it, from `cursor`) as a named tuple of the result columns."""
        if self._row_type is None:
            # Read once: psycopg builds the description's objects afresh each time it is asked.
            description = cursor.description or ()
            self._result_processors = [
                column.type.dialect_impl(self._dialect).result_processor(self._dialect, described.type_code)
                for column, described in zip(self._columns, description, strict=True)
            ]
            names = [described.name for described in description]
            self._row_type = namedtuple("Row", names)  # type: ignore[misc]  # noqa: PYI024
        values = [
            value if process is None or value is None else process(value)
            for value, process in zip(raw, self._result_processors, strict=True)
        ]
        return self._row_type(*values)


class DriverPool:
    """Connections in autocommit to one PostgreSQL database, for one event loop: at most `size` in use at
    once (a request waits up to POOL_TIMEOUT_SECONDS for one), and as many kept open between uses. A
    connection is put back only if its statement ended cleanly; after an error, or a cancellation in the
    middle of a statement, it is closed, and a connection error closes the idle ones too (as SQLAlchemy's
    pool does: they may all be dead, and each would fail one request)."""

    def __init__(self, connect: Callable[[], Any], size: int) -> None:
        self._connect = connect
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._slots = asyncio.Semaphore(size)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        if self._slots.locked():
            try:
                await asyncio.wait_for(self._slots.acquire(), POOL_TIMEOUT_SECONDS)
            except TimeoutError as exc:
                raise PoolTimeout(f"no connection free within {POOL_TIMEOUT_SECONDS:g} s") from exc
        else:
            await self._slots.acquire()  # free: returns at once
        try:
            connection = self._idle.pop() if self._idle else await self._connect()
            try:
                yield connection
            except BaseException as exc:
                await connection.close()
                original = exc.orig if isinstance(exc, DBAPIError) else exc  # the driver's, if wrapped
                if isinstance(original, psycopg.OperationalError | psycopg.InterfaceError):
                    await self.close()
                raise
            if connection.closed or connection.info.transaction_status != TransactionStatus.IDLE:
                await connection.close()
            else:
                self._idle.append(connection)
        finally:
            self._slots.release()

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()


class Driver:
    """Each event loop's DriverPool for one database URL: `relaxed`, commits that do not wait for the WAL
    flush (app.db.Database.relaxed_connection says when that is safe); otherwise durable ones."""

    def __init__(self, url: str, *, relaxed: bool) -> None:
        self.dialect = postgres_dialect()
        args, kwargs = self.dialect.create_connect_args(make_url(url))
        kwargs = dict(kwargs, autocommit=True)
        if relaxed:
            kwargs["options"] = "-c synchronous_commit=off"

        async def connect() -> psycopg.AsyncConnection[Any]:
            try:
                return await psycopg.AsyncConnection.connect(*args, **kwargs)
            except psycopg.Error as exc:
                raise wrapped_error(exc, "connect", self.dialect) from exc

        self._pools = PerLoop(lambda: DriverPool(connect, POOL_SIZE), _close_pool)
        self._statements: dict[int, tuple[Executable, DriverStatement]] = {}

    def compiled(self, statement: Executable) -> DriverStatement:
        """`statement` compiled once (statements KIX runs here are built once, at import)."""
        held = self._statements.get(id(statement))
        if held is None or held[0] is not statement:
            held = (statement, DriverStatement(statement, self.dialect))
            self._statements[id(statement)] = held
        return held[1]

    async def first(self, statement: Executable, values: Mapping[str, Any]) -> Any | None:
        """The first row of `statement` run with `values`, or None: committed on its own (autocommit)."""
        compiled = self.compiled(statement)
        parameters = compiled.parameters(values)
        async with self._pools.get().connection() as connection:
            try:
                cursor = await connection.execute(compiled.sql, parameters)
                result = cursor.pgresult
                raw = await cursor.fetchone() if result is not None and result.nfields else None
            except psycopg.Error as exc:
                raise wrapped_error(exc, compiled.sql, self.dialect) from exc
            return None if raw is None else compiled.row(cursor, raw)

    async def execute(self, statement: Executable, values: Mapping[str, Any]) -> None:
        """Run `statement` with `values`, committed on its own (autocommit)."""
        await self.first(statement, values)

    def dispose(self) -> None:
        self._pools.dispose()


async def _close_pool(pool: DriverPool) -> None:
    await pool.close()


def wrapped_error(exc: psycopg.Error, sql: str, dialect: Dialect) -> DBAPIError:
    """SQLAlchemy's wrapper of a driver error (OperationalError, IntegrityError...), parameters hidden."""
    wrapped = DBAPIError.instance(sql, None, exc, psycopg.Error, hide_parameters=True, dialect=dialect)
    return cast(DBAPIError, wrapped)
