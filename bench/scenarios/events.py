"""Events benchmark: the change feed's page latency at scale, what the transactional outbox costs a create,
and webhook delivery throughput.

Run from the repository root:

    python -m bench events                 # SQLite: 20 000 events, then parts 2 and 3 (about 3 minutes)
    python -m bench events --postgres      # PostgreSQL: 1 000 000 events, 2, 3 (about 9 minutes, 4-5 loading)
    python -m bench events --events 200000 --skip-outbox --skip-webhooks       # the feed only, on SQLite
    options: [--events N] [--limit 100] [--pages 20] [--walk-rounds 5] [--requests 200] [--rounds 3]
             [--trace-runs 20] [--workers 1] [--creates 1000] [--deliveries 2000]
             [--deliverers 4] [--skip-feed] [--skip-outbox] [--skip-outbox-http] [--skip-webhooks]
             [--postgres-url URL]
             [--database kix_bench_events] [--keep-temp]

Everything runs on 127.0.0.1 (bench/harness): a temp dir holds the server key, the storage keys and the
demo agencies' keys; databases are SQLite files there, or with --postgres scratch databases on the
server of --postgres-url (`kix_bench_events`, `..._outbox`, `..._webhooks`, and part 2's servers'
`..._http_outbox` and `..._http_no_outbox`; dropped at the end).

Part 1, feed page latency at scale (goal: p95 < 15 ms a page of 100 with 1 000 000 events on
PostgreSQL), through the full stack against `kix serve`, beside the bare echo app: events_feed.py, with
the data of events_data.py (N events of 24 agencies, as the fan-out writes them, most carrying a sealed
record; bulk-loaded by COPY, then VACUUM ANALYZE), it-dcsa's feed followed from the start and from the
middle; then, in process (events_trace.py), where a page's time goes and the plan of the feed query.

Part 2, the outbox's cost on creates (goal: at most 10% slower): events_outbox.py. Through the full
stack, POST /v1/alerts to two `kix serve`, one with the create's change row a no-op, as the audit log's
cost is measured; then in process, the create's own transaction alone (create_record of alerts
distributed to all members, 24 recipients, and to three agencies, 4, with the outbox as it is and with
emit_records_created a no-op); then the fan-out's throughput.

Part 3, webhook delivery throughput (goal: at least 500 deliveries/s with one deliverer), in process
against a receiver in its own process: events_webhooks.py, one endpoint, four, and four with several
deliverer processes, and where a delivery's time goes.

Figures are printed with their goals, never asserted, then the whole summary as one line of JSON.
"""

import argparse
import os
import sys
import time
from typing import Any

from bench.harness.databases import Workspace, run
from bench.harness.options import add_database_options, add_keep_temp, parser_for, positive_int
from bench.scenarios.events_feed import feed_part
from bench.scenarios.events_outbox import outbox_part
from bench.scenarios.events_webhooks import webhooks_part

DEFAULT_EVENTS = {"postgres": 1_000_000, "sqlite": 20_000}


def benchmark(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    started = time.monotonic()
    summary: dict[str, Any] = {"backend": workspace.backend}
    parts = (
        ("feed", args.skip_feed, feed_part),
        ("outbox", args.skip_outbox, outbox_part),
        ("webhooks", args.skip_webhooks, webhooks_part),
    )
    load: dict[str, float] = {}
    for name, skipped, part in parts:
        if not skipped:
            load[name] = os.getloadavg()[0]
            summary[name] = part(args, workspace)
            print()
    # Anything else running on the machine shows here: the figures are only as quiet as it was.
    seen = ", ".join(f"{name} {value:.2f}" for name, value in load.items())
    print(
        f"total {time.monotonic() - started:.0f} s; {os.cpu_count()} CPUs, load average (1 min) as each part"
        f" began: {seen}"
    )
    return summary | {"load_average": load}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = parser_for(__doc__, "events")
    parser.add_argument(
        "--events",
        type=positive_int,
        default=None,
        help=f"events to load (default {DEFAULT_EVENTS['postgres']} with --postgres, "
        f"{DEFAULT_EVENTS['sqlite']} on SQLite)",
    )
    parser.add_argument("--limit", type=positive_int, default=100, help="events per feed page (max 500)")
    parser.add_argument("--pages", type=positive_int, default=20, help="pages per walk from the start/middle")
    parser.add_argument("--walk-rounds", type=positive_int, default=5, help="walks from the start and middle")
    parser.add_argument("--requests", type=positive_int, default=200, help="requests per pre-signed phase")
    parser.add_argument("--rounds", type=positive_int, default=3, help="rounds of pre-signed phases")
    parser.add_argument("--trace-runs", type=positive_int, default=20, help="in-process runs of a page")
    parser.add_argument("--workers", type=positive_int, default=1, help="worker processes per server")
    parser.add_argument("--creates", type=positive_int, default=1000, help="part 2: creates per mode, case")
    parser.add_argument("--deliveries", type=positive_int, default=2000, help="part 3: events per endpoint")
    parser.add_argument("--deliverers", type=positive_int, default=4, help="part 3: deliverer processes")
    parser.add_argument("--skip-feed", action="store_true", help="skip part 1")
    parser.add_argument("--skip-outbox", action="store_true", help="skip part 2")
    parser.add_argument(
        "--skip-outbox-http", action="store_true", help="part 2 in process only (no full-stack servers)"
    )
    parser.add_argument("--skip-webhooks", action="store_true", help="skip part 3")
    add_database_options(parser, "kix_bench_events")
    add_keep_temp(parser)
    args = parser.parse_args(argv)
    if args.events is None:
        args.events = DEFAULT_EVENTS["postgres" if args.postgres else "sqlite"]
    if args.limit > 500:
        parser.error("--limit must be at most 500 (the feed's maximum)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    postgres_url = args.postgres_url if args.postgres else None
    return run("events", lambda w: benchmark(args, w), postgres_url=postgres_url, keep_temp=args.keep_temp)


if __name__ == "__main__":
    sys.exit(main())
