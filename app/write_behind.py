"""PostgreSQL, in a request's transaction awaited on the event loop (app.db_loop): rows that nothing in the
transaction reads back (a new record's rows, its change row, the request's audit entry) are held, then
sent together in one psycopg pipeline, with the transaction's COMMIT or just before its next statement.

A create sent BEGIN, its record, its first revision, its change row, its audit entry and COMMIT one round
trip each, every one through SQLAlchemy's execution machinery and an await; now the six go as one round
trip, straight through the driver (each statement compiled once by SQLAlchemy: db_driver.DriverStatement).
A record's read or page sends its audit entry with its COMMIT.

What the transaction sees is unchanged: held rows go before any other statement the transaction runs
(any statement run through SQLAlchemy on its connection sends them first, and a COPY asks for them
first), in the order they were written, and are committed with it or not at all. An error in a held row
(a broken constraint) is raised at that next statement or at the commit, as SQLAlchemy's wrapper of the
driver's error, and the transaction is rolled back: only its moment moves, never what lands. So only
writes that nothing catches an error of may be held; the callers are `write` and `bulk_rows.write_rows`.
"""

import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import Executable
from sqlalchemy.util import await_only

from app.db_driver import DriverStatement, postgres_dialect, wrapped_error

_DIALECT = postgres_dialect()
Rows = Mapping[str, Any] | Sequence[Mapping[str, Any]]


class HeldWrites:
    """The rows one transaction holds, each as a statement compiled once and its parameters."""

    def __init__(self) -> None:
        self.pending: list[tuple[DriverStatement, list[dict[str, Any]]]] = []
        self.pipelines = 0  # sent so far: what the tests count

    def hold(self, statement: Executable, rows: Sequence[Mapping[str, Any]]) -> None:
        compiled = compiled_once(statement, tuple(rows[0]))
        self.pending.append((compiled, [compiled.parameters(row) for row in rows]))

    def send(self, connection: Connection, *, commit: bool) -> None:
        """Every held row, in one pipeline, with the COMMIT if `commit`: from the transaction's greenlet
        (AsyncSession.run_sync), which awaits it on the loop."""
        pending, self.pending = self.pending, []
        raw = connection.connection.driver_connection
        if raw is None:  # pragma: no cover - a live connection always has its driver's
            raise RuntimeError("a held write on a closed connection")
        self.pipelines += 1
        await_only(_pipelined(raw, pending, commit=commit))


def hold_writes(session: Session) -> HeldWrites:
    """From now on, until its transaction ends, `write` holds the rows of `session`'s transaction. The
    caller's to decide: PostgreSQL, a session awaited on the loop (app.db_loop)."""
    held = HeldWrites()
    _HELD[session.connection()] = held
    return held


def write(connection: Connection, statement: Executable, rows: Rows) -> None:
    """`statement` (an INSERT of rows nothing reads back in this transaction, whose errors nothing
    catches) with `rows` (one, or several as an executemany): held if `connection`'s transaction holds
    its writes, else run at once."""
    held = _HELD.get(connection)
    if held is None:
        connection.execute(statement, rows)
        return
    listed = [rows] if isinstance(rows, Mapping) else rows
    if listed:
        held.hold(statement, listed)


def send_held(connection: Connection) -> None:
    """Send what `connection`'s transaction holds now: before a statement SQLAlchemy does not see (a COPY
    on the driver's connection)."""
    held = _HELD.get(connection)
    if held is not None and held.pending:
        held.send(connection, commit=False)


# Each holding transaction's connection, for the events below (weakly: a connection gone holds nothing).
_HELD: "weakref.WeakKeyDictionary[Connection, HeldWrites]" = weakref.WeakKeyDictionary()
_COMPILED: dict[tuple[int, tuple[str, ...]], tuple[Executable, DriverStatement]] = {}


def compiled_once(statement: Executable, column_keys: tuple[str, ...]) -> DriverStatement:
    """`statement` compiled for psycopg, for rows of `column_keys`, once (statements held are built once,
    at import, and their rows' keys are few)."""
    key = (id(statement), column_keys)
    held = _COMPILED.get(key)
    if held is None or held[0] is not statement:
        held = (statement, DriverStatement(statement, _DIALECT, column_keys))
        _COMPILED[key] = held
    return held[1]


async def _pipelined(
    raw: psycopg.AsyncConnection[Any],
    pending: list[tuple[DriverStatement, list[dict[str, Any]]]],
    *,
    commit: bool,
) -> None:
    try:
        async with raw.pipeline():
            async with raw.cursor() as cursor:
                for compiled, parameters in pending:
                    if len(parameters) == 1:
                        await cursor.execute(compiled.sql, parameters[0])
                    else:
                        await cursor.executemany(compiled.sql, parameters)
            if commit:
                await raw.commit()
    except psycopg.Error as exc:
        # Which of them failed the driver does not say: each is named by its first line.
        named = "\n".join(compiled.sql.split("\n", 1)[0][:100] for compiled, _ in pending)
        raise wrapped_error(exc, named + ("\nCOMMIT" if commit else ""), _DIALECT) from exc


@event.listens_for(Engine, "before_cursor_execute")
def _before_statement(
    connection: Connection, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    send_held(connection)


@event.listens_for(Engine, "commit")
def _on_commit(connection: Connection) -> None:
    # Sent with the COMMIT: the transaction is then over, and SQLAlchemy's own commit finds nothing to do.
    held = _HELD.pop(connection, None)
    if held is not None and held.pending:
        held.send(connection, commit=True)


@event.listens_for(Engine, "rollback")
def _on_rollback(connection: Connection) -> None:
    held = _HELD.pop(connection, None)
    if held is not None:
        held.pending.clear()
