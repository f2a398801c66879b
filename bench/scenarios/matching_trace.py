"""Part 1 of the matching benchmark, in process: where a query's time goes, and the plans of its SQL.

Each query shape runs IN_PROCESS_SAMPLE times through services.matching.search.run_match (as de-bka, with
every scope but admin, an unlimited budget), each run rolled back: once on a fresh Vault (its data-key
cache empty: cold) and once more on it (warm). SQLAlchemy's cursor events time every statement
(bench/harness/databases.captured); wrappers patched into the search module for the run time the data-key
unwrapping (secrets_for), the decryption of stored names (RecordSecrets.open_body) and the name
similarity (PreparedName.of, prepared_similarity). The captured candidate queries are counted with and
without their LIMIT, and the candidate, record and visibility queries are shown with their plans:
EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on SQLite.
"""

import random
import re
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

from sqlalchemy import select

from app.db import Database
from app.models import Hit, Record
from app.schemas.common import Scope
from app.schemas.matching import MatchRequest
from app.services.budgets import Budget
from app.services.matching import search
from app.services.matching.names import Comparison, PreparedName, name_similarity
from app.services.matching.search import MAX_RESULTS
from app.services.records.disclosure import current_body
from app.services.vault import RecordSecrets, Vault
from bench.harness.databases import Statement, captured, is_postgres, plan, plan_kind
from bench.harness.servers import ACTOR, BenchError
from bench.scenarios.matching_data import QUERIER, Query, Shape

IN_PROCESS_SAMPLE = 6  # queries per shape run in process
UNLIMITED = Budget(capacity=1e9, per_second=1e9)


@dataclass(frozen=True)
class Caller:
    """Who asks run_match: de-bka, with the scopes its demo key holds (every one but admin)."""

    agency_id: str = QUERIER
    actor: str = ACTOR
    scopes: frozenset[str] = frozenset(scope.value for scope in Scope if scope is not Scope.ADMIN)


@dataclass
class Trace:
    statements: list[Statement] = field(default_factory=list)
    scored: int = 0  # candidates whose names were decrypted and scored
    unwrap: float = 0.0  # seconds unwrapping their data keys
    opening: float = 0.0  # decrypting their names
    similarity: float = 0.0  # preparing and comparing names
    total: float = 0.0

    def seconds(self, category: str) -> float:
        return sum(statement.seconds for statement in self.of(category))

    def of(self, category: str) -> list[Statement]:
        return [statement for statement in self.statements if classify(statement.sql) == category]


def classify(statement: str) -> str:
    sql = statement.lstrip().upper()
    if "TOKEN_BUCKETS" in sql:
        return "budget"
    if sql.startswith("INSERT"):
        return "insert"
    if "FROM BLIND_INDEXES" in sql:
        return "candidates"
    if "RECORD_GRANTS" in sql:
        return "visible"
    if "FROM RECORDS" in sql:
        return "fetch"
    return "other"


@contextmanager
def tracing(db: Database, trace: Trace) -> Iterator[None]:
    """Time every SQL statement, and the unwrapping, opening and comparing of the names scored."""
    secrets_for, open_body = search.secrets_for, RecordSecrets.open_body
    similarity, prepare = search.compare, PreparedName.of

    def timed_secrets(vault: Vault, record_id: str, wrapped: str | None) -> RecordSecrets:
        started = time.perf_counter()
        try:
            return secrets_for(vault, record_id, wrapped)
        finally:
            trace.scored += 1
            trace.unwrap += time.perf_counter() - started

    def timed_open(
        self: RecordSecrets, fields: tuple[str, ...], sealed: dict[str, Any], *, version: int | None = None
    ) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return open_body(self, fields, sealed, version=version)
        finally:
            trace.opening += time.perf_counter() - started

    def timed_similarity(first: PreparedName, second: PreparedName) -> Comparison:
        started = time.perf_counter()
        try:
            return similarity(first, second)
        finally:
            trace.similarity += time.perf_counter() - started

    def timed_prepare(_cls: type[PreparedName], name: str) -> PreparedName:
        started = time.perf_counter()
        try:
            return prepare(name)
        finally:
            trace.similarity += time.perf_counter() - started

    with (
        captured(db) as statements,
        patch.object(search, "secrets_for", timed_secrets),
        patch.object(RecordSecrets, "open_body", timed_open),
        patch.object(search, "compare", timed_similarity),
        patch.object(PreparedName, "of", classmethod(timed_prepare)),
    ):
        trace.statements = statements
        yield


@dataclass
class InProcess:
    query: Query
    cold: Trace
    warm: Trace
    found: set[str]
    references: int
    hits: int
    uncapped_rows: int
    uncapped_records: int
    candidate_rows: int
    candidate_records: int


def run_in_process(db: Database, vault: Vault, query: Query) -> InProcess:
    """run_match twice on a fresh Vault (cold, then warm), each rolled back; what it found (references,
    and the Hit rows it adds: de-bka owns no record) and how many candidate rows it had."""
    request = MatchRequest.model_validate(query.payload)
    fresh = Vault(vault.keys)  # an empty data-key cache
    traces: list[Trace] = []
    found: set[str] = set()
    references = hits = 0
    for _ in ("cold", "warm"):
        trace = Trace()
        with db.sessions() as session:
            with tracing(db, trace):
                started = time.perf_counter()
                outcome = search.run_match(
                    session, fresh, Caller(), request, UNLIMITED, now=datetime.now(UTC)
                )
                trace.total = time.perf_counter() - started
            found = {reference["record_id"] for reference in outcome.references}
            found |= set(session.scalars(select(Hit.record_id).where(Hit.query_id == outcome.query_id)))
            references, hits = len(outcome.references), len(outcome.hits)
            session.rollback()
        traces.append(trace)
    candidates = traces[1].of("candidates")
    uncapped = count_candidates(db, candidates, capped=False)
    capped = count_candidates(db, candidates, capped=True)
    return InProcess(query, traces[0], traces[1], found, references, hits, *uncapped, *capped)


def without_limit(db: Database, statement: Statement) -> Any:
    """The statement's parameters with its LIMIT, if any, raised out of reach."""
    sql, parameters = statement.sql, statement.parameters
    if is_postgres(db):
        limit = re.search(r"LIMIT %\((\w+)\)s", sql)
        return parameters | {limit.group(1): 10**9} if limit else parameters
    position = sql.find("LIMIT ?")
    if position < 0:
        return parameters
    values = list(parameters)
    values[sql[:position].count("?")] = 10**9
    return tuple(values)


def count_candidates(db: Database, statements: list[Statement], *, capped: bool) -> tuple[int, int]:
    """Rows and distinct records of the captured candidate queries, with their LIMIT or without."""
    ids: list[str] = []
    with db.engine.connect() as connection:
        for statement in statements:
            parameters = statement.parameters if capped else without_limit(db, statement)
            sql = f"SELECT record_id FROM ({statement.sql}) AS candidates"  # noqa: S608 - captured SQL
            ids += connection.exec_driver_sql(sql, parameters).scalars().all()
    return len(ids), len(set(ids))


def in_process(db: Database, vault: Vault, shapes: list[Shape]) -> dict[str, list[InProcess]]:
    runs: dict[str, list[InProcess]] = {}
    for number, shape in enumerate(shapes):
        rng = random.Random(500 + number)
        runs[shape.name] = [run_in_process(db, vault, shape.make(rng, i)) for i in range(IN_PROCESS_SAMPLE)]
    return runs


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def report_in_process(runs: dict[str, list[InProcess]]) -> dict[str, Any]:
    print()
    print(
        f"run_match in process ({IN_PROCESS_SAMPLE} queries per shape, means): candidate rows the queries "
        "match without the name-token LIMIT / returned; records behind them; bodies decrypted and scored; "
        "found (references + hits); recall = expected records found / expected (at most "
        f"{MAX_RESULTS} a query, an answer's bound)"
    )
    print(
        f"  {'shape':<30} {'rows all':>8} {'rows':>6} {'recs':>6} {'scored':>6} {'found':>6}"
        f" {'refs':>5} {'hits':>5} {'expected':>8} {'recall':>7}"
    )
    summary: dict[str, Any] = {}
    for name, items in runs.items():
        expected = sum(min(len(item.query.expected), MAX_RESULTS) for item in items)  # an answer's bound
        got = sum(len(item.found & item.query.expected) for item in items)
        recall = got / expected if expected else float("nan")
        row = {
            "rows_uncapped": mean([item.uncapped_rows for item in items]),
            "rows": mean([item.candidate_rows for item in items]),
            "records": mean([item.candidate_records for item in items]),
            "scored": mean([item.warm.scored for item in items]),
            "found": mean([len(item.found) for item in items]),
            "references": mean([item.references for item in items]),
            "hits": mean([item.hits for item in items]),
            "expected": expected / len(items),
            "recall": round(recall, 3) if expected else None,
        }
        summary[name] = row
        print(
            f"  {name:<30} {row['rows_uncapped']:>8.0f} {row['rows']:>6.0f} {row['records']:>6.0f}"
            f" {row['scored']:>6.0f} {row['found']:>6.1f} {row['references']:>5.1f} {row['hits']:>5.1f}"
            f" {row['expected']:>8.1f} {recall:>7.2f}"
        )
    print()
    print(
        "  where the time goes, ms (warm: data keys cached by the Vault's LRU; cold: a fresh Vault). "
        "SQL = cursor execute only; other = fetching and building rows, Python"
    )
    print(
        f"  {'shape':<30} {'budget':>6} {'cands':>6} {'fetch':>6} {'visibl':>6} {'insert':>6}"
        f" {'unwrap':>6} {'open':>6} {'simil':>6} {'other':>6} {'warm':>7} {'cold':>7} {'unwrap cold':>11}"
    )
    for name, items in runs.items():
        parts = {
            category: mean([item.warm.seconds(category) * 1000 for item in items])
            for category in ("budget", "candidates", "fetch", "visible", "insert", "other")
        }
        unwrap = mean([item.warm.unwrap * 1000 for item in items])
        opening = mean([item.warm.opening * 1000 for item in items])
        similarity = mean([item.warm.similarity * 1000 for item in items])
        warm = mean([item.warm.total * 1000 for item in items])
        cold = mean([item.cold.total * 1000 for item in items])
        cold_unwrap = mean([item.cold.unwrap * 1000 for item in items])
        rest = warm - sum(parts.values()) - unwrap - opening - similarity
        summary[name] |= {"warm_ms": round(warm, 2), "cold_ms": round(cold, 2), "sql_ms": parts}
        summary[name] |= {"unwrap_ms": round(unwrap, 2), "open_ms": round(opening, 2)}
        summary[name] |= {"similarity_ms": round(similarity, 2), "cold_unwrap_ms": round(cold_unwrap, 2)}
        print(
            f"  {name:<30} {parts['budget']:>6.2f} {parts['candidates']:>6.2f} {parts['fetch']:>6.2f}"
            f" {parts['visible']:>6.2f} {parts['insert']:>6.2f} {unwrap:>6.2f} {opening:>6.2f}"
            f" {similarity:>6.2f} {rest + parts['other']:>6.2f} {warm:>7.2f} {cold:>7.2f}"
            f" {cold_unwrap:>11.2f}"
        )
    exact = [item for items in runs.values() for item in items if item.query.exact]
    if exact:
        wanted = sum(len(item.query.exact) for item in exact)
        got = sum(len(item.found & item.query.exact) for item in exact)
        print(
            f"  mixed queries: records named by their exact document or IBAN found: {got} of {wanted} "
            f"(in {len(exact)} queries)"
        )
    planted = runs.get("name: planted, other script", [])
    if planted:
        print()
        print("  planted names, queried in the native script (one run each):")
        print(f"    {'query':<22} {'rows all':>8} {'rows':>5} {'scored':>6} {'expected':>8} {'found':>5}")
        for item in planted:
            name = item.query.payload["names"][0]
            print(
                f"    {name:<22} {item.uncapped_rows:>8} {item.candidate_rows:>5} {item.warm.scored:>6}"
                f" {len(item.query.expected):>8} {len(item.found & item.query.expected):>5}"
            )
    return summary


def false_positives(db: Database, vault: Vault, runs: dict[str, list[InProcess]]) -> None:
    """What queries expected to find nothing found: the stored names that scored, decrypted here."""
    examples: list[str] = []
    for items in runs.values():
        for item in items:
            if item.query.expected or not item.found or "names" not in item.query.payload:
                continue
            with db.sessions() as session:
                for record_id in sorted(item.found)[:2]:
                    record = session.get(Record, record_id)
                    if record is None:
                        continue
                    stored = [n["full_name"] for n in current_body(record, vault).get("names") or []]
                    for query in item.query.payload["names"]:
                        score = max((name_similarity(query, name), name) for name in stored)
                        examples.append(f"{query!r} ~ {score[1]!r} ({score[0]:.3f})")
    if examples:
        print("  found by queries for names nobody has (decrypted here, best-scoring stored name):")
        for example in examples[:8]:
            print(f"    {example}")


def shorten(text: str) -> str:
    """Long bind lists ('?, ?, ?...', '%(x_1)s, %(x_2)s...') and literal arrays ('{a,b,c,...}') cut short."""

    def cut(match: re.Match[str]) -> str:
        items = match.group(1).split(",")
        if len(items) <= 3:
            return match.group(0)
        return "'{" + ",".join(items[:2]) + f",... {len(items) - 2} more}}'"

    text = re.sub(r"%\(\w+\)s(::\w+)?(, %\(\w+\)s(::\w+)?){3,}", "%(...)s, ...", text)
    text = re.sub(r"\?(, \?){3,}", "?, ...", text)
    return re.sub(r"'\{([^}]*)\}'", cut, text)


def explain(db: Database, runs: dict[str, list[InProcess]]) -> None:
    """The plans of run_match's own statements, captured from SQLAlchemy."""
    planted = runs["name: planted, other script"]
    chosen = max(planted, key=lambda item: item.uncapped_rows)  # the most crowded planted name
    name = chosen.query.payload["names"][0]
    plans = [
        (f"planted name {name}", chosen, "candidates"),
        ("mixed query", runs["mixed: 2 names+dob+doc+IBAN"][0], "candidates"),
        ("document", runs["document"][0], "candidates"),
        (f"planted name {name}", chosen, "fetch"),
        (f"planted name {name}", chosen, "visible"),
    ]
    print()
    for title, item, category in plans:
        statements = item.warm.of(category)
        if not statements:
            raise BenchError(f"run_match issued no {category} statement for the {title}")
        for statement in statements:
            what = category
            if category == "candidates":
                what += " (name tokens)" if "GROUP BY" in statement.sql.upper() else " (exact values)"
            if item is chosen and category == "candidates":
                print(f"--- SQL ({what}, {title}; bind lists shortened):\n{shorten(statement.sql)}")
            print(f"--- {plan_kind(db)}: {what}, {title}")
            lines = plan(db, statement.sql, statement.parameters)
            print("\n".join(f"  {shorten(line)}" for line in lines))
