"""Part 2 of the records benchmark (`python -m bench records --postgres [--scale N]`): list latency at
scale, through the full stack, and the list queries' plans.

The records of part 1 are deleted; app.demo's directory is added (app.demo.add_directory: 22 agencies, 4
groups) and it-dcsa joins the EU task force group. N alerts are bulk-loaded (bench/loaders.py: each one's
rows built by services.records.creation.build_record from a body validated by AlertCreate): 24 owners;
distribution mostly all_members, some groups, agencies and owner_only; occurred over two years and
created minutes to two days later. Statuses cover the whole lifecycle: an alert past active/unresolved
was moved on by its owner, so it carries that status, version 2 and a later updated_at, as update_record
leaves a record (its second revision, which lists never read, is not loaded). Then VACUUM ANALYZE (ANALYZE
on SQLite), the rows it-dcsa may see (services.records.queries.count_records, in process), and it-dcsa
pages through three list shapes through the full stack: 50 per page, following next_cursor for --pages
pages, --scale-rounds times each. Round 1 is reported apart: it is the first time it-dcsa sees those rows,
so the endpoint's record_views insert adds rows (in later rounds it finds them there). Finally the SQL
that services.records.queries.list_records issues for each shape (first and last page), captured from
SQLAlchemy, is shown with its plan: EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on SQLite.
"""

import argparse
import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from app.client.codec import Codec
from app.db import Database
from app.demo import GROUPS, add_directory
from app.services.identity.agencies import add_group_member
from app.services.records.creation import NewRecord
from app.services.records.kinds import ALERTS
from app.services.records.queries import RecordFilters, count_records, cursor_position, list_records
from app.services.vault import Vault
from bench.data.bodies import AGENCY_IDS, COUNTRIES, BodyMaker, validated
from bench.harness.databases import captured, is_postgres, plan, plan_kind
from bench.harness.servers import HOST, BenchError, Server
from bench.harness.wire import close_connection, open_raw, percentile, read_response, serialise, signed
from bench.loaders import BulkLoader, analyse, table_sizes

CREATOR = "de-bka"  # creates alerts in part 1
READER = "it-dcsa"  # lists what de-bka (and, at scale, everyone) shares
READER_GROUP = "eu-ransom-taskforce"  # it-dcsa joins it for part 2, so group grants reach it
PAGE_SIZE = 50
FILTER_COUNTRY = "IT"
# The list shapes paged through (query parameters besides limit and cursor).
SCALE_SHAPES: dict[str, dict[str, str]] = {
    "active+country (recent)": {"status": "active", "country": FILTER_COUNTRY},
    "sort=urgency": {"sort": "urgency"},
    "unfiltered (recent)": {},
}
# The loaded alerts: distribution modes and statuses, with weights.
MODES = {"all_members": 70, "groups": 12, "agencies": 12, "owner_only": 6}
STATUSES = {"active": 30, "unresolved": 10, "released": 20, "rescued": 15, "deceased": 3, "closed": 22}
HISTORY_DAYS = 730


def check_list(params: dict[str, Any]) -> Callable[[Any, Any], str | None]:
    """A page of 1 to PAGE_SIZE items, each matching the filters."""

    def check(_payload: Any, data: Any) -> str | None:
        items = data.get("items")
        if not isinstance(items, list) or not 0 < len(items) <= PAGE_SIZE:
            return f"a page of {len(items) if isinstance(items, list) else items!r} items"
        for item in items:
            if "status" in params and item["status"] != params["status"]:
                return f"an item with status {item['status']}"
            if "country" in params and item["place"]["country"] != params["country"]:
                return f"an item in {item['place']['country']}"
        return None

    return check


# ---------------------------------------------------------------- data
def prepare_directory(db: Database) -> list[str]:
    """Delete the records; add app.demo's agencies and groups with READER in a group. The owners."""
    with db.engine.begin() as connection:
        connection.execute(text("TRUNCATE records CASCADE" if is_postgres(db) else "DELETE FROM records"))
    with db.transaction() as session:
        add_directory(session)
        add_group_member(session, READER_GROUP, READER)
    owners = sorted(set(AGENCY_IDS) | {CREATOR, READER})
    print(
        f"  directory: {len(owners)} agencies own alerts (app.demo's and both callers), {len(GROUPS)} groups"
    )
    return owners


def moved_on(new: NewRecord, status: str, updated: datetime) -> None:
    """What update_record leaves on a record whose owner changed its status (once)."""
    new.record.status = status
    new.record.version = 2
    new.record.updated_at = updated


def load_alerts(db: Database, vault: Vault, count: int, owners: list[str], seed: int) -> None:
    rng = random.Random(seed)
    maker = BodyMaker(rng)
    now = datetime.now(UTC)
    statuses, weights = list(STATUSES), list(STATUSES.values())
    with BulkLoader(db, vault) as loader:
        for _ in range(count):
            owner = rng.choice(owners)
            rules = maker.rules(owner, maker.distribution(owner, MODES, owners))
            # Occurred up to two years ago, reported minutes to two days later.
            occurred = now - timedelta(days=rng.uniform(0, HISTORY_DAYS))
            created = min(occurred + timedelta(minutes=rng.randint(5, 2880)), now - timedelta(seconds=1))
            status = rng.choices(statuses, weights=weights)[0]
            initial = status if status in ("active", "unresolved") else "active"
            raw = maker.alert(now, rng.choice(COUNTRIES), occurred) | {"status": initial, "rules": rules}
            new = loader.add(ALERTS, owner, validated(ALERTS.create, raw), created=created)
            if status != initial:
                moved_on(new, status, min(created + timedelta(days=rng.uniform(0, 60)), now))
    print(f"  {loader.stats.describe()}")
    seconds = analyse(db)
    print(
        f"  analysed in {seconds:.1f} s; {table_sizes(db, ['records', 'record_grants', 'record_revisions'])}"
    )


def shape_filters(params: dict[str, str]) -> tuple[RecordFilters, str]:
    filters = RecordFilters(status=params.get("status"), country=params.get("country"))
    return filters, params.get("sort", "recent")


def visible_counts(db: Database) -> dict[str, int]:
    """How many alerts READER may see, in all and per shape (counted in process by count_records)."""
    print(f"  rows {READER} can see (services.records.queries.count_records, in process):")
    counts: dict[str, int] = {}
    with db.sessions() as session:
        total = session.execute(text("SELECT count(*) FROM records")).scalar_one()
        print(f"    {'all alerts in the table':<28} {total:>8}")
        shapes: dict[str, dict[str, str]] = {"all visible": {}} | SCALE_SHAPES
        for name, params in shapes.items():
            filters, _ = shape_filters(params)
            started = time.perf_counter()
            counts[name] = count_records(session, ALERTS, READER, filters, cap=None).count
            elapsed = (time.perf_counter() - started) * 1000
            print(f"    {name:<28} {counts[name]:>8}   (count query {elapsed:6.1f} ms)")
    return counts


# ---------------------------------------------------------------- paging through the full stack
@dataclass
class PageTiming:
    shape: str
    round_no: int
    page: int
    latency_ms: float
    items: int


async def page_through(
    server: Server, codec: Codec, shape: str, params: dict[str, str], pages: int, round_no: int
) -> list[PageTiming]:
    """Page 1, then follow next_cursor: sign each request (untimed), time write-to-read, open it (untimed)."""
    reader, writer = await asyncio.open_connection(HOST, server.port)
    timings: list[PageTiming] = []
    cursor: str | None = None
    try:
        for page in range(1, pages + 1):
            query: dict[str, Any] = params | {"limit": PAGE_SIZE} | ({"cursor": cursor} if cursor else {})
            request = signed(codec, "GET", f"{server.base_url}/v1/alerts", query, None)
            wire = serialise(request)
            sent = time.perf_counter()
            writer.write(wire)
            raw = await read_response(reader)
            latency = (time.perf_counter() - sent) * 1000
            if raw.status != 200:
                raise BenchError(f"{shape} page {page}: {raw.status} {raw.body[:300]!r}")
            data = open_raw(codec, request, raw, shape)
            wrong = check_list(params)(None, data)
            if wrong:
                raise BenchError(f"{shape} page {page}: {wrong}")
            timings.append(PageTiming(shape, round_no, page, latency, len(data["items"])))
            cursor = data["page"]["next_cursor"]
            if cursor is None:
                break
    finally:
        await close_connection(writer)
    return timings


def report_paging(timings: list[PageTiming], rounds: int) -> dict[str, Any]:
    print()
    print(
        f"list latency at scale, ms ({READER}, {PAGE_SIZE} per page, request written to response read); "
        f"r1 = round 1, first views (record_views rows added); p50/p95/max: rounds 2-{rounds}, repeat views"
    )
    print(
        f"  {'shape':<26} {'pages':>5} {'rows':>6}  {'r1 p50':>7} {'r1 p95':>7}"
        f"  {'p50':>7} {'p95':>7} {'max':>7}  {'page 1 p50':>10} {'pages>=10 p50':>13}"
    )
    summary: dict[str, Any] = {}
    for shape in SCALE_SHAPES:
        mine = [t for t in timings if t.shape == shape]
        first = [t.latency_ms for t in mine if t.round_no == 1]
        later = [t for t in mine if t.round_no > 1] or mine
        warm = [t.latency_ms for t in later]
        row = {
            "pages": max(t.page for t in mine),
            "rows": sum(t.items for t in mine if t.round_no == 1),
            "round1_p50_ms": round(percentile(first, 0.5), 2),
            "round1_p95_ms": round(percentile(first, 0.95), 2),
            "p50_ms": round(percentile(warm, 0.5), 2),
            "p95_ms": round(percentile(warm, 0.95), 2),
            "max_ms": round(max(warm), 2),
            "page1_p50_ms": round(percentile([t.latency_ms for t in later if t.page == 1], 0.5), 2),
            "deep_p50_ms": round(percentile([t.latency_ms for t in later if t.page >= 10], 0.5), 2),
        }
        summary[shape] = row
        print(
            f"  {shape:<26} {row['pages']:>5} {row['rows']:>6}  {row['round1_p50_ms']:>7.2f}"
            f" {row['round1_p95_ms']:>7.2f}  {row['p50_ms']:>7.2f} {row['p95_ms']:>7.2f}"
            f" {row['max_ms']:>7.2f}"
            f"  {row['page1_p50_ms']:>10.2f} {row['deep_p50_ms']:>13.2f}"
        )
    return summary


# ---------------------------------------------------------------- counts and single records
async def time_gets(
    server: Server, codec: Codec, targets: list[tuple[str, dict[str, Any]]], check: Callable[[Any], bool]
) -> list[float]:
    """Each (path, query) GET in turn on one connection: signed (untimed), timed write-to-read, checked."""
    reader, writer = await asyncio.open_connection(HOST, server.port)
    latencies: list[float] = []
    try:
        for path, query in targets:
            request = signed(codec, "GET", f"{server.base_url}{path}", query, None)
            wire = serialise(request)
            sent = time.perf_counter()
            writer.write(wire)
            raw = await read_response(reader)
            latencies.append((time.perf_counter() - sent) * 1000)
            if raw.status != 200 or not check(open_raw(codec, request, raw, path)):
                raise BenchError(f"GET {path}: {raw.status} {raw.body[:300]!r}")
    finally:
        await close_connection(writer)
    return latencies


def counts_and_gets(
    runner: asyncio.Runner, server: Server, codec: Codec, db: Database, repeats: int
) -> dict[str, Any]:
    """The count (capped at COUNT_CAP) for two shapes, and GET of single alerts READER may see."""
    with db.sessions() as session:
        page = list_records(session, ALERTS, READER, RecordFilters(), sort="recent", after=None, limit=200)
        ids = [record.id for record in page]
    rng = random.Random(11)
    phases: dict[str, tuple[list[tuple[str, dict[str, Any]]], Callable[[Any], bool]]] = {
        "count (all)": ([("/v1/alerts/count", {})] * repeats, lambda data: isinstance(data["count"], int)),
        "count (active+IT)": (
            [("/v1/alerts/count", {"status": "active", "country": FILTER_COUNTRY})] * repeats,
            lambda data: isinstance(data["count"], int),
        ),
        "get one alert": (
            [(f"/v1/alerts/{rng.choice(ids)}", {}) for _ in range(repeats)],
            lambda data: data["id"] in ids,
        ),
    }
    print()
    print(f"counts and single alerts at scale, ms ({READER}, {repeats} each, one connection)")
    summary: dict[str, Any] = {}
    for name, (targets, check) in phases.items():
        runner.run(time_gets(server, codec, targets[: max(1, repeats // 10)], check))  # warm-up
        latencies = runner.run(time_gets(server, codec, targets, check))
        summary[name] = {
            "p50_ms": round(percentile(latencies, 0.5), 2),
            "p95_ms": round(percentile(latencies, 0.95), 2),
        }
        print(f"  {name:<20} p50 {summary[name]['p50_ms']:>7.2f}   p95 {summary[name]['p95_ms']:>7.2f}")
    return summary


# ---------------------------------------------------------------- the plans
def captured_list_sql(db: Database, params: dict[str, str], page: int) -> tuple[str, Any, int]:
    """The records query list_records issues for READER's `page` of a shape (following the cursor
    position in process), as SQL and parameters; and the page actually reached."""
    filters, sort = shape_filters(params)
    after: list[Any] | None = None
    reached = 1
    with db.sessions() as session:
        for number in range(1, page):
            rows = list_records(session, ALERTS, READER, filters, sort=sort, after=after, limit=PAGE_SIZE + 1)
            if len(rows) <= PAGE_SIZE:
                break
            after, reached = cursor_position(rows[PAGE_SIZE - 1], sort), number + 1
        with captured(db) as statements:
            list_records(session, ALERTS, READER, filters, sort=sort, after=after, limit=PAGE_SIZE + 1)
    return statements[-1].sql, statements[-1].parameters, reached


def explain(db: Database, pages: int) -> None:
    print()
    print(f"{plan_kind(db)} of the list query (services.records.queries), caller {READER}, limit 51")
    for number, (shape, params) in enumerate(SCALE_SHAPES.items()):
        shown: set[int] = set()
        for page in (1, pages):
            statement, parameters, reached = captured_list_sql(db, params, page)
            if reached in shown:
                continue  # fewer pages than asked for: the last page is the first
            shown.add(reached)
            if number == 0 and page == 1:
                print(f"--- SQL ({shape}, page 1), parameters {parameters}:\n{statement}")
            print(f"--- plan: {shape}, page {reached}")
            print("\n".join(f"  {line}" for line in plan(db, statement, parameters)))


# ---------------------------------------------------------------- driver
def at_scale(
    args: argparse.Namespace, runner: asyncio.Runner, db: Database, kix: Server, codec: Codec, vault: Vault
) -> dict[str, Any]:
    backend = "PostgreSQL" if is_postgres(db) else "SQLite"
    print()
    print(f"== list latency at scale: {args.scale} alerts on {backend}")
    owners = prepare_directory(db)
    load_alerts(db, vault, args.scale, owners, seed=7)
    counts = visible_counts(db)
    timings: list[PageTiming] = []
    for round_no in range(1, args.scale_rounds + 1):
        for shape, params in SCALE_SHAPES.items():
            timings += runner.run(page_through(kix, codec, shape, params, args.pages, round_no))
    summary = report_paging(timings, args.scale_rounds)
    singles = counts_and_gets(runner, kix, codec, db, args.pages * args.scale_rounds)
    explain(db, args.pages)
    return {"scale": args.scale, "visible": counts, "paging": summary, "counts_and_gets": singles}
