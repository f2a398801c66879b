"""Part 1 of the matching benchmark, through the full stack: de-bka sends POST /v1/matches to `kix serve`
(started with KIX_MATCH_BUDGET_PER_HOUR=1000000), for each query shape first over one connection
(sequential), then over --concurrency connections. A phase's queries are signed and encrypted by the
SDK's Codec just before it and replayed as raw HTTP/1.1 over keep-alive connections (bench/harness/wire.py);
it stops after --queries queries or --seconds seconds (signatures expire after 60 s). Every answer is
opened outside the timed region to count references (records de-bka may see), hits (discoverable
records it may not) and what it should have found.
"""

import argparse
import asyncio
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from app.client.codec import Codec
from app.services.matching.search import MAX_RESULTS
from bench.harness.servers import BenchError, Server
from bench.harness.wire import PhaseResult, fire, open_raw, percentile, problem, serialise, signed
from bench.scenarios.matching_data import QUERIER, Query, Shape

SIGNATURE_BUDGET_SECONDS = 50.0
WARM_UP_SECONDS = 30.0


@dataclass
class MatchPhase:
    shape: str
    concurrency: int
    result: PhaseResult
    errors: int = 0
    references: list[int] = field(default_factory=list)
    hits: list[int] = field(default_factory=list)
    expected: list[int] = field(default_factory=list)
    problem: str | None = None

    def row(self) -> dict[str, Any]:
        latencies, elapsed = self.result.latencies_ms, self.result.elapsed
        return {
            "queries": len(latencies),
            "qps": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
            "p50_ms": round(percentile(latencies, 0.5), 2),
            "p95_ms": round(percentile(latencies, 0.95), 2),
            "max_ms": round(max(latencies), 2) if latencies else None,
            "errors": self.errors,
            "references": round(statistics.fmean(self.references), 1) if self.references else 0.0,
            "hits": round(statistics.fmean(self.hits), 1) if self.hits else 0.0,
            "expected": round(statistics.fmean(self.expected), 1) if self.expected else 0.0,
        }


def http_phase(
    runner: asyncio.Runner,
    server: Server,
    codec: Codec,
    shape: Shape,
    queries: list[Query],
    concurrency: int,
    seconds: float,
) -> MatchPhase:
    built = time.monotonic()
    url = f"{server.base_url}/v1/matches"
    requests = [signed(codec, "POST", url, None, query.payload) for query in queries]
    wire = [serialise(request) for request in requests]
    result = runner.run(fire(server, wire, concurrency, shape.name, seconds=seconds, keep_all=True))
    if time.monotonic() - built > SIGNATURE_BUDGET_SECONDS:
        print(f"  warning: {shape.name} ran past {SIGNATURE_BUDGET_SECONDS:.0f} s from its first signature")
    phase = MatchPhase(shape.name, concurrency, result)
    for index, raw in sorted(result.samples.items()):  # outside the timed region: verify, decrypt, count
        if raw.status != 200:
            phase.errors += 1
            phase.problem = phase.problem or problem(codec, requests[index], raw)
            continue
        data = open_raw(codec, requests[index], raw, shape.name)
        phase.references.append(len(data["references"]))
        phase.hits.append(len(data["hits"]))
        phase.expected.append(min(len(queries[index].expected), MAX_RESULTS))  # an answer's bound
    return phase


def match_latency(
    args: argparse.Namespace, runner: asyncio.Runner, server: Server, codec: Codec, shapes: list[Shape]
) -> list[MatchPhase]:
    phases: list[MatchPhase] = []
    for number, shape in enumerate(shapes):
        rng = random.Random(100 + number)
        warm = [shape.make(rng, i) for i in range(args.warmup)]
        warm_up = http_phase(runner, server, codec, shape, warm, 1, WARM_UP_SECONDS)
        if warm_up.errors:
            raise BenchError(f"{shape.name}: warm-up queries failed: {warm_up.problem}")
        for concurrency in sorted({1, args.concurrency}):
            queries = [shape.make(rng, i) for i in range(args.queries)]
            phase = http_phase(runner, server, codec, shape, queries, concurrency, args.seconds)
            phases.append(phase)
            row = phase.row()
            print(
                f"  {shape.name:<30} c={concurrency}  {row['queries']:>4} q in {phase.result.elapsed:5.1f} s"
                "  "
                f"p50 {row['p50_ms']:7.2f}  p95 {row['p95_ms']:7.2f} ms  errors {row['errors']}"
                + (f"  e.g. {phase.problem}" if phase.problem else "")
            )
    return phases


def report_latency(phases: list[MatchPhase], workers: int) -> None:
    print()
    print(
        f"POST /v1/matches through the full stack (signed + encrypted, {QUERIER}, {workers} worker(s)); "
        "latency = request written to response read; per query: references (visible), hits (discoverable), "
        f"expected = records it should find that {QUERIER} may get back (at most {MAX_RESULTS}, an answer's "
        "bound)"
    )
    print(
        f"  {'shape':<30} {'conc':>4} {'queries':>7} {'q/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
        f" {'errors':>6}  {'refs/q':>6} {'hits/q':>6} {'expected/q':>10}"
    )
    for phase in phases:
        row = phase.row()
        print(
            f"  {phase.shape:<30} {phase.concurrency:>4} {row['queries']:>7} {row['qps']:>7.1f}"
            f" {row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f} {row['max_ms'] or 0:>8.2f} {row['errors']:>6}"
            f"  {row['references']:>6.1f} {row['hits']:>6.1f} {row['expected']:>10.1f}"
        )
