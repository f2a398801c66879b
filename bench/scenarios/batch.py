"""Batch ingest benchmark: alerts backfilled through `POST /v1/alerts/batch` (the full stack: each call
signed and encrypted, one transaction per batch), against the same alerts created one `POST /v1/alerts`
each, in the same run.

Run from the repository root:

    python -m bench batch                   # SQLite
    python -m bench batch --postgres        # PostgreSQL (goal: >= 5,000 alerts/s)
    options: [--alerts 20000] [--batch-size 500] [--concurrency 2] [--singles 1000] [--workers 1]
             [--postgres-url URL] [--database kix_bench_batch] [--keep-temp]

Everything runs on 127.0.0.1 (bench/harness): a fresh database (SQLite file, or a scratch PostgreSQL
database dropped at the end) with the demo agencies; de-bka sends realistic alerts (bench/data/bodies.py,
distributed to all members) through the SDK (KixClient), --concurrency clients at a time. Batches: every
result must be `created`. Timed: from the first call to the last answer, the client's signing and
encryption included (they are the caller's cost too). Singles: --singles alerts, one call each, the same
clients. Figures are printed, never asserted, then one line of JSON.
"""

import argparse
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from app.client import KixClient
from bench.harness.databases import BenchError, Workspace, run
from bench.harness.options import add_database_options, add_keep_temp, parser_for, positive_int
from bench.harness.servers import kix_env, set_up_kix, start_kix
from bench.scenarios.records import alert_payloads
from bench.scenarios.records_scale import CREATOR

GOAL_PER_SECOND = 5000


def _clients(workspace: Workspace, base_url: str, count: int) -> list[KixClient]:
    demo = workspace.dir / "demo"
    key, jwks = demo / f"{CREATOR}.key.json", demo / "server.jwks.json"
    return [KixClient(base_url, key, jwks, actor="bench-backfill") for _ in range(count)]


def _batches(args: argparse.Namespace, rng: random.Random) -> list[list[dict[str, Any]]]:
    payload = alert_payloads(rng)
    alerts = [payload() for _ in range(args.alerts)]
    return [alerts[start : start + args.batch_size] for start in range(0, len(alerts), args.batch_size)]


def _send_batches(clients: list[KixClient], batches: list[list[dict[str, Any]]]) -> tuple[float, list[float]]:
    def send(numbered: tuple[int, list[dict[str, Any]]]) -> float:
        number, batch = numbered
        started = time.perf_counter()
        answer = clients[number % len(clients)].create_records("alerts", batch)
        if answer["created"] != len(batch):
            raise BenchError(f"batch {number}: {answer['invalid']} invalid, e.g. {answer['results'][:1]}")
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(len(clients)) as pool:
        latencies = list(pool.map(send, enumerate(batches)))
    return time.perf_counter() - started, latencies


def _send_singles(clients: list[KixClient], alerts: list[dict[str, Any]]) -> float:
    def send(numbered: tuple[int, dict[str, Any]]) -> None:
        number, alert = numbered
        clients[number % len(clients)].create_record("alerts", alert)

    started = time.perf_counter()
    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(send, enumerate(alerts)))
    return time.perf_counter() - started


def benchmark(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    url = workspace.database_url(args.database)
    env = kix_env(workspace.dir, url)
    set_up_kix(workspace.dir, env)
    server = start_kix(env, args.workers, workspace.dir, workspace.servers)
    rng = random.Random(11)
    batches = _batches(args, rng)
    singles = [alert_payloads(rng)() for _ in range(args.singles)]
    clients = _clients(workspace, server.base_url, args.concurrency)
    try:
        clients[0].create_records("alerts", batches[0][:2])  # warm the server (first call, pools)
        seconds, latencies = _send_batches(clients, batches)
        single_seconds = _send_singles(clients, singles) if singles else 0.0
    finally:
        for client in clients:
            client.close()
    rate = args.alerts / seconds
    single_rate = args.singles / single_seconds if singles else 0.0
    print(
        f"== batch ingest on {workspace.backend}: {args.alerts} alerts in {len(batches)} batches of up to "
        f"{args.batch_size}, {args.concurrency} client(s), {args.workers} worker(s)"
    )
    p50_ms, max_ms = statistics.median(latencies) * 1000, max(latencies) * 1000
    verdict = "met" if rate >= GOAL_PER_SECOND else "not met"
    print(
        f"  batches: {rate:,.0f} alerts/s ({seconds:.1f} s); per batch p50 {p50_ms:.0f}, max {max_ms:.0f} ms"
        f"   goal >= {GOAL_PER_SECOND:,}/s on PostgreSQL: {verdict}"
    )
    if singles:
        ratio = rate / single_rate
        print(
            f"  one call each: {single_rate:,.0f} alerts/s ({args.singles} alerts); batch/single x{ratio:.1f}"
        )
    return {
        "backend": workspace.backend,
        "alerts": args.alerts,
        "batch_size": args.batch_size,
        "alerts_per_second": round(rate),
        "batch_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "singles_per_second": round(single_rate),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = parser_for(__doc__, "batch")
    parser.add_argument("--alerts", type=positive_int, default=20000, help="alerts sent in batches")
    parser.add_argument("--batch-size", type=positive_int, default=500, help="alerts per call (at most 500)")
    parser.add_argument("--concurrency", type=positive_int, default=2, help="clients sending at once")
    parser.add_argument("--singles", type=int, default=1000, help="alerts sent one call each (0: none)")
    parser.add_argument("--workers", type=positive_int, default=1, help="kix serve worker processes")
    add_database_options(parser, "kix_bench_batch")
    add_keep_temp(parser)
    args = parser.parse_args(argv)
    if args.batch_size > 500:
        parser.error("--batch-size must be at most 500")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    postgres_url = args.postgres_url if args.postgres else None
    return run("batch", lambda w: benchmark(args, w), postgres_url=postgres_url, keep_temp=args.keep_temp)


if __name__ == "__main__":
    sys.exit(main())
