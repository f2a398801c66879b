"""Writing many rows of one table at once, in the caller's transaction, without the ORM's unit of work.

A batch create writes some 15,000 rows (500 records, each with its grants, first revision and blind-index
rows). Through the ORM's flush that cost more than building them: it tracks every object's state, then
psycopg sends one INSERT per row (pipelined, but each parsed, bound and executed). Here the rows go as one
COPY on PostgreSQL, and as one executemany INSERT on SQLite (where sqlite3 loops in C) or when they are
few. The bulk loader of the benchmarks writes its millions the same way, from the same ORM objects the
service builds.

The rows are the ORM objects' column values (`row_of`), with the Python-side defaults the ORM would fill
at flush. Nothing is read back: the objects keep the ids they were built with.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

import psycopg
from sqlalchemy import JSON, Column, ColumnDefault, Connection, Insert, Table, insert, inspect
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import await_only

from app import write_behind


def row_of(obj: Any) -> dict[str, Any]:
    """An ORM object's column values, with the Python-side defaults the ORM would apply at flush."""
    row: dict[str, Any] = {}
    for key, default in _columns_of(type(obj)):
        value = getattr(obj, key)
        if value is None and default is not None:
            value = default.arg(None) if default.is_callable else default.arg
        row[key] = value
    return row


_COLUMNS: dict[type, tuple[tuple[str, ColumnDefault | None], ...]] = {}


def _columns_of(model: type) -> tuple[tuple[str, ColumnDefault | None], ...]:
    """A mapped class's column keys, each with its Python-side default (None where it has none)."""
    if model not in _COLUMNS:
        columns: list[Column[Any]] = list(inspect(model).columns)
        _COLUMNS[model] = tuple(
            (column.key, column.default if isinstance(column.default, ColumnDefault) else None)
            for column in columns
        )
    return _COLUMNS[model]


def write_objects(connection: Connection, objects: Iterable[Any]) -> None:
    """ORM objects (new, of one mapped class) as rows of their table. They are not added to a session."""
    objects = list(objects)
    if objects:
        table = inspect(type(objects[0])).local_table
        write_rows(connection, table, [row_of(obj) for obj in objects])


# Fewer rows than this go as an executemany INSERT on PostgreSQL too (psycopg pipelines it): a COPY costs
# two round trips of its own, more than a few rows' inserts (a single create writes about ten rows).
COPY_FROM_ROWS = 50


@lru_cache(maxsize=64)
def _insert(table: Table) -> Insert:
    return insert(table)


def write_rows(
    connection: Connection, table: Table, rows: list[dict[str, Any]], columns: Sequence[str] | None = None
) -> None:
    """`rows` (dicts by column key) into `table` on `connection`, inside its transaction: psycopg's COPY
    on PostgreSQL, an executemany INSERT on SQLite. Only `columns` (default: all) are written; the others
    take their database defaults (such as an autoincrement id)."""
    if not rows:
        return
    names = list(columns) if columns is not None else [column.key for column in table.columns]
    if connection.dialect.name != "postgresql" or len(rows) < COPY_FROM_ROWS:
        write_behind.write(connection, _insert(table), [{name: row[name] for name in names} for row in rows])
        return
    write_behind.send_held(connection)  # the COPY goes straight to the driver: what is held goes first
    # COPY bypasses SQLAlchemy's types, so what they do on the way in is done here: JSON is encoded,
    # and a TypeDecorator (UTCDateTime: aware datetimes only, in UTC) processes its values.
    converted = [
        (position, convert)
        for position, name in enumerate(names)
        if (convert := _converter(table.columns[name].type, connection)) is not None
    ]
    values = []
    for row in rows:
        row_values = [row[name] for name in names]
        for position, convert in converted:
            row_values[position] = convert(row_values[position])
        values.append(row_values)
    sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    raw = connection.connection.driver_connection
    if isinstance(raw, psycopg.AsyncConnection):  # a session awaited on the loop (app.db_loop)
        await_only(_copied_async(raw, sql, values))
        return
    assert raw is not None  # noqa: S101 - a live connection
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        for row_values in values:
            copy.write_row(row_values)


async def _copied_async(raw: psycopg.AsyncConnection[Any], sql: str, values: list[list[Any]]) -> None:
    async with raw.cursor() as cursor, cursor.copy(sql) as copy:
        for row_values in values:
            await copy.write_row(row_values)


def _converter(column_type: Any, connection: Connection) -> Callable[[Any], Any] | None:
    if isinstance(column_type, JSON):
        return json.dumps  # None too, as JSON null: what SQLAlchemy's JSON type writes for it
    if isinstance(column_type, TypeDecorator):
        dialect = connection.dialect
        return lambda value: column_type.process_bind_param(value, dialect)
    return None
