"""Where a benchmark's data lives, and how a scenario runs and cleans up.

A database is a SQLite file in the scenario's temp dir, or with --postgres a scratch database on the
PostgreSQL server named by --postgres-url (created fresh, dropped at the end). `captured` records the SQL
statements the services issue, with their time, and `plan` shows how the database runs one: EXPLAIN
(ANALYZE, BUFFERS) on PostgreSQL (it runs the statement), EXPLAIN QUERY PLAN on SQLite.

`run` gives a scenario its temp dir and servers list, prints the scenario's one-line JSON summary, and
whatever happens stops its servers, closes and drops its databases, and removes the temp dir (kept on
failure or with --keep-temp; --keep-temp keeps the scratch PostgreSQL databases too).
"""

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from app.db import Database
from bench.harness.servers import BenchError, Server, stop_server

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def admin_engine(url: str) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT")


def create_database(admin_url: str, name: str) -> str:
    """A fresh, empty database `name` on the server of `admin_url` (an old one of that name is dropped)."""
    engine = admin_engine(admin_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    engine = admin_engine(admin_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def is_postgres(db: Database) -> bool:
    return db.engine.dialect.name == "postgresql"


@dataclass
class Statement:
    sql: str
    parameters: Any
    seconds: float


@contextmanager
def captured(db: Database) -> Iterator[list[Statement]]:
    """Every statement run on `db`'s engine inside the block, with its cursor execute time."""
    statements: list[Statement] = []

    def before(conn: Any, _cursor: Any, _sql: str, _parameters: Any, _context: Any, _many: bool) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def after(conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, _many: bool) -> None:
        started = conn.info["bench_started"].pop()
        statements.append(Statement(sql, parameters, time.perf_counter() - started))

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)


def plan_kind(db: Database) -> str:
    return "EXPLAIN (ANALYZE, BUFFERS)" if is_postgres(db) else "EXPLAIN QUERY PLAN"


def plan(db: Database, sql: str, parameters: Any) -> list[str]:
    """The plan of a captured statement (see plan_kind), one line per node."""
    with db.engine.connect() as connection:
        if is_postgres(db):
            return [
                str(line)
                for line in connection.exec_driver_sql(f"{plan_kind(db)} {sql}", parameters).scalars()
            ]
        rows = connection.exec_driver_sql(f"{plan_kind(db)} {sql}", parameters).all()
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + str(detail))
    return lines


@dataclass
class Workspace:
    """A scenario's temp dir, and what to stop, close and drop when it ends."""

    dir: Path
    postgres_url: str | None  # the server scratch databases are created on; None: SQLite files
    servers: list[Server] = field(default_factory=list)
    dbs: list[Database] = field(default_factory=list)
    scratch: list[str] = field(default_factory=list)

    @property
    def backend(self) -> str:
        return "PostgreSQL" if self.postgres_url else "SQLite"

    def database_url(self, name: str) -> str:
        """A new, empty database: a scratch PostgreSQL database `name`, or the SQLite file name.db."""
        if self.postgres_url is None:
            return f"sqlite:///{self.dir / (name + '.db')}"
        url = create_database(self.postgres_url, name)
        self.scratch.append(name)
        return url

    def open(self, url: str) -> Database:
        db = Database(url)
        self.dbs.append(db)
        return db

    def close(self, *, keep_databases: bool = False) -> None:
        for server in self.servers:
            stop_server(server)
        for db in self.dbs:
            db.dispose()
        if keep_databases:
            if self.scratch:
                print(f"scratch databases kept: {', '.join(self.scratch)}", file=sys.stderr)
            return
        for name in self.scratch:
            assert self.postgres_url is not None  # noqa: S101 - scratch databases exist only then
            drop_database(self.postgres_url, name)


def run(
    scenario: str,
    body: Callable[[Workspace], dict[str, Any]],
    *,
    postgres_url: str | None,
    keep_temp: bool,
) -> int:
    """Run `body` in a new workspace and print its summary as one line of JSON; 1 if it failed."""
    workspace = Workspace(Path(tempfile.mkdtemp(prefix=f"kix-bench-{scenario}-")), postgres_url)
    failed = True
    try:
        summary = body(workspace)
        print(json.dumps(summary, separators=(",", ":"), default=str))
        failed = False
        return 0
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        for server in workspace.servers:
            tail = server.log_tail(12)
            if tail:
                print(f"--- {server.name} log (last lines, cut) ---\n{tail}", file=sys.stderr)
        return 1
    finally:
        # Kept with the temp dir, which holds the keys their records are sealed with: to profile against.
        workspace.close(keep_databases=keep_temp)
        if keep_temp or failed:
            print(f"temp dir kept: {workspace.dir}", file=sys.stderr)
        else:
            shutil.rmtree(workspace.dir, ignore_errors=True)
