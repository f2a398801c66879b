"""Part 1 of the events benchmark: feed page latency at scale, through the full stack.

A fresh database gets the demo agencies (keys for de-bka and it-dcsa), app.demo's directory (it-dcsa in
the EU task force group), then --events rows (events_data.py), VACUUM ANALYZE (ANALYZE on SQLite). With
`kix serve` and the bare app running, it-dcsa reads its feed, GET /v1/feed?limit=100 signed and
encrypted, each request signed just before it is sent (untimed) and opened after (untimed), on one
keep-alive connection, latency from request written to response read:

- the whole feed once (after a few untimed pages), from the start, following the cursor to its end
  (every page different; checks that the pages hold each of it-dcsa's events exactly once);
- --walk-rounds times: --pages pages from the start, and --pages pages from the middle's cursor;
- --rounds rounds of pre-signed phases (bench/harness/phases.py, one connection, --requests each): the
  bare app's echo, the first page, a page from the middle and the caught-up poll at the end (no event
  after the cursor, what a consumer that keeps up sends), medians with their ratios to the bare app.

Then, in process (events_trace.py), where the middle page's time goes, and the SQL that
services.events.feed.read issues for it with its plan: EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN
QUERY PLAN on SQLite.
"""

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.client.codec import Codec
from bench.harness.databases import Workspace
from bench.harness.phases import Target, describe, medians, print_figures, run_phase
from bench.harness.servers import (
    HOST,
    BenchError,
    Server,
    kix_env,
    server_vault,
    set_up_kix,
    start_kix_and_bare,
)
from bench.harness.wire import (
    close_connection,
    new_runner,
    open_raw,
    percentile,
    read_response,
    serialise,
    signed,
)
from bench.loaders import analyse, table_sizes
from bench.scenarios.events_data import WITH_RECORD, EventLoader
from bench.scenarios.events_trace import explain, position_after, reader_events, trace_page
from bench.scenarios.records_scale import READER, prepare_directory

GOAL_P95_MS = 15.0
RECORD_TYPES = {kind.value for kind in WITH_RECORD}


def check_page(limit: int, *, empty: bool = False) -> Callable[[Any, Any], str | None]:
    """A page of 1 to `limit` events (none, past the end) and a cursor; record events carry the record."""

    def check(_payload: Any, data: Any) -> str | None:
        items = data.get("items")
        if not isinstance(items, list) or not isinstance(data.get("cursor"), str):
            return f"not a feed page: {str(data)[:200]}"
        if (items and empty) or (not empty and not 0 < len(items) <= limit):
            return f"a page of {len(items)} events"
        for item in items:
            if item["type"] in RECORD_TYPES and not isinstance(item.get("record"), dict):
                return f"a {item['type']} event without its record"
        return None

    return check


# ---------------------------------------------------------------- following the cursor
@dataclass
class Walk:
    latencies_ms: list[float] = field(default_factory=list)
    items: list[int] = field(default_factory=list)
    cursors: list[str] = field(default_factory=list)  # after each page
    event_ids: list[str] = field(default_factory=list)


async def walk(server: Server, codec: Codec, after: str | None, pages: int | None, limit: int) -> Walk:
    """Follow the cursor from `after` for `pages` pages, or to the end (a page not full)."""
    reader, writer = await asyncio.open_connection(HOST, server.port)
    done = Walk()
    check = check_page(limit)
    try:
        while pages is None or len(done.items) < pages:
            query: dict[str, Any] = {"limit": limit} | ({"after": after} if after else {})
            request = signed(codec, "GET", f"{server.base_url}/v1/feed", query, None)
            wire = serialise(request)
            sent = time.perf_counter()
            writer.write(wire)
            raw = await read_response(reader)
            latency = (time.perf_counter() - sent) * 1000
            if raw.status != 200:
                raise BenchError(f"feed page {len(done.items) + 1}: {raw.status} {raw.body[:300]!r}")
            data = open_raw(codec, request, raw, "feed")
            wrong = check(None, data) if data["items"] else None  # the last page may be empty
            if wrong:
                raise BenchError(f"feed page {len(done.items) + 1}: {wrong}")
            done.latencies_ms.append(latency)
            done.items.append(len(data["items"]))
            done.event_ids += [item["event_id"] for item in data["items"]]
            after = data["cursor"]
            done.cursors.append(data["cursor"])
            if len(data["items"]) < limit:
                break
    finally:
        await close_connection(writer)
    return done


def walk_row(name: str, walks: list[Walk]) -> dict[str, Any]:
    latencies = [latency for one in walks for latency in one.latencies_ms]
    items = [count for one in walks for count in one.items]
    row = {
        "pages": len(latencies),
        "items_per_page": round(statistics.mean(items), 1),
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies), 2),
    }
    verdict = "met" if row["p95_ms"] < GOAL_P95_MS else "MISSED"
    print(
        f"  {name:<32} {row['pages']:>6} {row['items_per_page']:>6.1f} {row['p50_ms']:>8.2f}"
        f" {row['p95_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['max_ms']:>8.2f}   {verdict}"
    )
    return row


# ---------------------------------------------------------------- the part
def phases_at_scale(
    args: argparse.Namespace, kix: Server, bare: Server, codec: Codec, middle: str | None, end: str
) -> dict[str, dict[str, float]]:
    limit = args.limit
    from_middle = {"limit": limit} | ({"after": middle} if middle else {})
    targets = [
        Target("bare", bare, None, "POST", "/v1/echo", 200, payload=lambda: from_middle),
        Target("feed-first", kix, codec, "GET", "/v1/feed", 200, {"limit": limit}, check=check_page(limit)),
        Target(
            "feed-middle",
            kix,
            codec,
            "GET",
            "/v1/feed",
            200,
            from_middle,
            check=check_page(limit),
        ),
        Target(
            "feed-caught-up",
            kix,
            codec,
            "GET",
            "/v1/feed",
            200,
            {"after": end, "limit": limit},
            check=check_page(limit, empty=True),
        ),
    ]
    outcome: dict[str, list[Any]] = {target.name: [] for target in targets}
    with new_runner() as runner:
        for target in targets:
            run_phase(runner, target, max(5, args.requests // 10), f"warm-up {target.name}", concurrency=1)
        for round_no in range(1, args.rounds + 1):
            for target in targets:
                label = f"round {round_no} {target.name}"
                result, _ = run_phase(runner, target, args.requests, label, concurrency=1)
                outcome[target.name].append(result)
                print(describe(result))
    figures = {name: medians(results) for name, results in outcome.items()}
    print()
    print(
        f"the same page again and again, pre-signed, one connection, {args.workers} worker(s): medians over "
        f"{args.rounds} rounds of {args.requests} (bare: its echo; caught-up: no event after the cursor)"
    )
    print_figures(figures, "bare")
    return figures


def feed_part(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    print(f"== part 1: feed page latency at scale, {args.events} events on {workspace.backend}")
    url = workspace.database_url(args.database)
    env = kix_env(workspace.dir, url)
    codec = set_up_kix(workspace.dir, env).codec(READER)
    db = workspace.open(url)
    vault = server_vault(env)
    owners = prepare_directory(db)
    stats = EventLoader(db, vault, owners, seed=5).load(args.events)
    print(f"  {stats.describe()}")
    seconds = analyse(db, ["events", "records"])
    print(f"  analysed in {seconds:.1f} s; {table_sizes(db, ['events', 'records'])}")
    expected = reader_events(db)
    kix, bare = start_kix_and_bare(env, args.workers, workspace.dir, workspace.servers)
    print(
        f"  KIX on :{kix.port}, bare on :{bare.port}; {args.workers} worker(s) each; {READER} has {expected}"
    )
    with new_runner() as runner:
        runner.run(walk(kix, codec, None, min(args.pages, 5), args.limit))  # warm-up, untimed
        whole = runner.run(walk(kix, codec, None, None, args.limit))
        if len(set(whole.event_ids)) != len(whole.event_ids) or len(whole.event_ids) != expected:
            distinct = len(set(whole.event_ids))
            raise BenchError(
                f"the feed gave {len(whole.event_ids)} events ({distinct} distinct) of {expected}"
            )
        middle_page = len(whole.items) // 2  # the walk from the middle starts after it
        middle, end = whole.cursors[middle_page - 1] if middle_page else None, whole.cursors[-1]
        starts, middles = [], []
        for _ in range(args.walk_rounds):
            starts.append(runner.run(walk(kix, codec, None, args.pages, args.limit)))
            middles.append(runner.run(walk(kix, codec, middle, args.pages, args.limit)))
    print()
    print(
        f"following the cursor: {READER}'s feed, limit {args.limit}, ms per page, written to read "
        f"(goal: p95 < {GOAL_P95_MS:g} ms)"
    )
    print(f"  {'walk':<32} {'pages':>6} {'items':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}   goal")
    walks = {
        "whole feed, from the start": walk_row("whole feed, from the start", [whole]),
        "from the start": walk_row(f"from the start ({args.walk_rounds} x {args.pages})", starts),
        "from the middle": walk_row(
            f"from page {middle_page + 1} ({args.walk_rounds} x {args.pages})", middles
        ),
    }
    print()
    figures = phases_at_scale(args, kix, bare, codec, middle, end)
    position = position_after(db, middle_page * args.limit)
    trace = trace_page(db, vault, position, args.limit, args.trace_runs)
    print(
        f"  through the full stack (above), the server's CPU per middle page: "
        f"{figures['feed-middle']['server_cpu_ms_per_req']:.1f} ms, per caught-up poll "
        f"{figures['feed-caught-up']['server_cpu_ms_per_req']:.1f} ms (the secure channel, ASGI, FastAPI)"
    )
    explain(db, vault, position, args.limit, middle_page + 1)
    return {
        "events": sum(stats.rows.values()),
        "reader_events": expected,
        "pages": len(whole.items),
        "walks": walks,
        "phases": figures,
        "trace_ms": trace,
        "load_seconds": round(stats.seconds, 1),
    }
