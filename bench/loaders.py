"""Bulk loading: N records into SQLite or PostgreSQL, each written as exactly the rows create_record writes.

Every record is built by app.services.records.creation.build_record, the function create_record itself
calls: the sealed body, the list columns, the rules, the grants, the first revision and the blind-index
rows are the service's own, never a copy of its logic, and so is the writer: app.services.bulk_rows, with
which a batch create writes its records (psycopg's COPY on PostgreSQL, an executemany INSERT on SQLite),
many thousand rows in one transaction. Links are record_links rows (type "related", authored by the
linking record's owner, one row per link, read from either end). What create_record checks against the
database (that named agencies and groups exist) is the caller's to get right: the benchmarks distribute
only to agencies and groups they made.

    with BulkLoader(db, vault) as loader:
        for ...:
            new = loader.add(SUSPECTS, owner, data, created=when)  # a NewRecord, rows not yet written
    print(loader.stats.describe())

A record's rows are written at a later add() or when the block ends, so the caller may amend them first
(the records scenario moves some alerts on through their lifecycle that way).
"""

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Table, text

from app.db import Database
from app.ids import uuid7
from app.models import BlindIndex, Record, RecordGrant, RecordLink, RecordRevision
from app.schemas.common import InputModel
from app.schemas.records import LinkType
from app.services.bulk_rows import row_of, write_rows
from app.services.records.creation import NewRecord, build_record
from app.services.records.kinds import KindSpec
from app.services.records.store import Actor
from app.services.vault import Vault
from bench.harness.databases import is_postgres

LOADER_ACTOR = "bench-loader"
# In the order they are written (a link's target is a record written before it).
MODELS: tuple[Any, ...] = (Record, RecordGrant, RecordRevision, BlindIndex, RecordLink)
TABLES = tuple(model.__tablename__ for model in MODELS)


@dataclass
class LoadStats:
    backend: str
    records: Counter[str] = field(default_factory=Counter)  # by kind
    rows: Counter[str] = field(default_factory=Counter)  # by table
    seconds: float = 0.0  # the whole load: building (validated input to rows) and writing
    write_seconds: float = 0.0  # of which writing (COPY or INSERT)

    def describe(self) -> str:
        total = sum(self.records.values())
        kinds = ", ".join(f"{count} {kind}s" for kind, count in self.records.items())
        tables = ", ".join(f"{table} {self.rows[table]}" for table in TABLES if self.rows[table])
        method = "COPY" if self.backend == "PostgreSQL" else "INSERT"
        rate = total / self.seconds if self.seconds else 0.0
        return (
            f"loaded {total} records ({kinds}) in {self.seconds:.1f} s, {rate:.0f}/s, of which "
            f"{self.write_seconds:.1f} s {method} (the rest: build_record, i.e. sealing, rules, "
            f"grants, revision, blind index); rows: {tables}"
        )


class BulkLoader:
    def __init__(self, db: Database, vault: Vault, *, chunk: int = 5000, actor: str = LOADER_ACTOR) -> None:
        self.db = db
        self.vault = vault
        self.chunk = chunk
        self.actor = actor
        self.postgres = is_postgres(db)
        self.stats = LoadStats("PostgreSQL" if self.postgres else "SQLite")
        self._pending: list[NewRecord] = []
        self._links: list[RecordLink] = []
        self._connection: Connection | None = None
        self._started = 0.0

    def __enter__(self) -> "BulkLoader":
        self._started = time.perf_counter()
        self._connection = self.db.engine.execution_options(sqlite_immediate=True).connect()
        self._connection.begin()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        connection = self._connection
        assert connection is not None  # noqa: S101 - entered
        try:
            if exc is None:
                self._flush()
                connection.commit()
            else:
                connection.rollback()
        finally:
            connection.close()
            self._connection = None
            self.stats.seconds = time.perf_counter() - self._started

    def add(
        self,
        kind: KindSpec,
        owner: str,
        data: InputModel,
        *,
        created: datetime,
        links: Sequence[str] = (),
        record_id: str | None = None,
    ) -> NewRecord:
        """Build a record of `owner`'s, created at `created`, linked ("related") to `links`."""
        if len(self._pending) >= self.chunk:
            self._flush()
        new = build_record(kind, Actor(owner, self.actor), data, self.vault, now=created, record_id=record_id)
        self._pending.append(new)
        for target in links:
            link = RecordLink(
                id=uuid7(),
                source_id=new.record.id,
                target_id=target,
                type=LinkType.RELATED.value,
                author_id=owner,
                actor=self.actor,
                created_at=created,
            )
            self._links.append(link)
        self.stats.records[kind.kind.value] += 1
        return new

    def _flush(self) -> None:
        started = time.perf_counter()
        rows: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLES}
        for new in self._pending:
            rows["records"].append(row_of(new.record))
            rows["record_grants"] += [row_of(grant) for grant in new.grants]
            rows["record_revisions"].append(row_of(new.revision))
            rows["blind_indexes"] += [row_of(entry) for entry in new.index]
        rows["record_links"] = [row_of(link) for link in self._links]
        for model in MODELS:
            self._write(model.__table__, rows[model.__tablename__])
            self.stats.rows[model.__tablename__] += len(rows[model.__tablename__])
        self._pending, self._links = [], []
        self.stats.write_seconds += time.perf_counter() - started

    def _write(self, table: Table, rows: list[dict[str, Any]]) -> None:
        connection = self._connection
        assert connection is not None  # noqa: S101 - entered
        write_rows(connection, table, rows)


def analyse(db: Database, tables: Sequence[str] = TABLES) -> float:
    """VACUUM ANALYZE (PostgreSQL) or ANALYZE (SQLite) the loaded tables; the seconds it took."""
    started = time.perf_counter()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in tables:
            connection.execute(text(f"VACUUM (ANALYZE) {table}" if is_postgres(db) else f"ANALYZE {table}"))
    return time.perf_counter() - started


def table_sizes(db: Database, tables: Sequence[str]) -> str:
    """Each table's size with its indexes (PostgreSQL), or the database file's (SQLite)."""
    with db.engine.connect() as connection:
        if is_postgres(db):
            sizes = [
                connection.execute(text(f"SELECT pg_size_pretty(pg_total_relation_size('{table}'))")).scalar()
                for table in tables
            ]
            return "sizes with indexes: " + ", ".join(f"{t} {s}" for t, s in zip(tables, sizes, strict=True))
        pages = connection.execute(text("PRAGMA page_count")).scalar() or 0
        page_size = connection.execute(text("PRAGMA page_size")).scalar() or 0
    return f"database file {pages * page_size / 2**20:.1f} MB"
