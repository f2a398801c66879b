"""Records benchmark: alerts created and listed through KIX's full stack (signed, encrypted), and list
latency at scale.

Run from the repository root:

    python -m bench records                  # SQLite: throughput only (about 2 minutes)
    python -m bench records --postgres       # PostgreSQL: throughput, then 100 000 alerts
    python -m bench records --postgres --scale 20000 --skip-throughput      # at scale only, smaller
    options: [--workers 1] [--concurrency 8] [--requests 2000] [--seconds 8] [--rounds 3] [--warmup 100]
             [--scale N] [--pages 20] [--scale-rounds 5] [--skip-throughput] [--postgres-url URL]
             [--database kix_bench] [--keep-temp]

Everything runs on 127.0.0.1 (bench/harness): a temp dir holds the server key, the storage keys and the
demo agencies' keys (de-bka creates, it-dcsa reads); the database is a fresh SQLite file, or with
--postgres a scratch database `kix_bench` (--database) on the server of --postgres-url, dropped at the
end. `kix serve` and the bare echo app run as subprocesses with the same worker count.

Part 1, throughput. Each round runs four phases: the bare app's `POST /v1/echo` (the same alert body, plain
JSON, no secure channel) for context, then against KIX: `create` (de-bka posts alerts to /v1/alerts,
distribution all_members), `list` (it-dcsa: GET /v1/alerts?limit=50) and `list-filtered` (it-dcsa:
status=active&country=IT&sort=urgency&limit=50). A phase's requests are signed and encrypted (each with
its own nonce) just before it starts and replayed as raw HTTP/1.1 over keep-alive connections; it stops
after --requests requests or --seconds seconds, whichever comes first, so that every signature is still
fresh (the server accepts them for 60 s). Each list phase is preceded by one untimed request of the same
shape, so the rows the list endpoint writes on a first view (record_views) are not in the timed region.
Medians over the rounds are printed (req/s, p50/p95/p99, server CPU per request, errors, records per
response), with the ratios to the bare app (a list answers 50 records where the bare app echoes one
object: the ratio is context, not a like-for-like comparison).

Part 2, at scale (--scale N; by default 100 000 with --postgres, none on SQLite): see records_scale.py.
The records of part 1 are deleted, app.demo's directory is added, N alerts are bulk-loaded (bench/loaders.py:
every row built by the service's build_record), then it-dcsa pages through three list shapes through the
full stack, and the list queries' plans are printed.

Figures are printed, never asserted, then the whole summary as one line of JSON. Responses are checked
outside the timed region: a sample is verified and decrypted with the SDK's Codec; failed requests are
counted and reported, not fatal.
"""

import argparse
import asyncio
import itertools
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.data.bodies import COUNTRIES, BodyMaker
from bench.harness.databases import Workspace, run
from bench.harness.options import add_database_options, add_keep_temp, parser_for, positive_int
from bench.harness.phases import Target, describe, print_figures, run_phase, summarised
from bench.harness.servers import RSS_GOAL_MB, kix_env, server_vault, set_up_kix, start_kix_and_bare
from bench.harness.wire import PhaseResult, new_runner, open_raw
from bench.scenarios.records_scale import CREATOR, FILTER_COUNTRY, PAGE_SIZE, READER, at_scale, check_list

DEFAULT_SCALE = 100_000
PRIME_SECONDS = 30.0
# Part 1: what it-dcsa lists, by phase name.
LIST_PHASES: dict[str, dict[str, Any]] = {
    "list": {"limit": PAGE_SIZE},
    "list-filtered": {"status": "active", "country": FILTER_COUNTRY, "sort": "urgency", "limit": PAGE_SIZE},
}


def alert_payloads(rng: random.Random) -> Callable[[], dict[str, Any]]:
    """Realistic alerts by CREATOR, distributed to all members, active or unresolved, in any country;
    every 20th (from the first) active in FILTER_COUNTRY, so that even a short run's filtered list is
    not empty."""
    maker = BodyMaker(rng)
    made = itertools.count()

    def payload() -> dict[str, Any]:
        rules = maker.rules(CREATOR, {"mode": "all_members"})
        status = rng.choices(["active", "unresolved"], weights=[4, 1])[0]
        country = rng.choice(COUNTRIES)
        if next(made) % 20 == 0:
            status, country = "active", FILTER_COUNTRY
        return maker.alert(datetime.now(UTC), country) | {"status": status, "rules": rules}

    return payload


def check_echo(payload: Any, data: Any) -> str | None:
    return None if data == {"agency_id": "x", "payload": payload} else f"echoed {data!r}"


def check_created(payload: Any, data: Any) -> str | None:
    if data.get("owner") != CREATOR or data.get("category") != payload["category"]:
        return f"created {data!r}"
    if data.get("status") != payload["status"] or data["rules"]["distribution"]["mode"] != "all_members":
        return f"created {data!r}"
    return None


@dataclass
class Throughput:
    args: argparse.Namespace
    runner: asyncio.Runner
    items: dict[str, int] = field(default_factory=dict)  # items on the last primed page, by list phase

    def prime(self, target: Target) -> None:
        """One untimed request of a list's shape first (the endpoint notes first views, a write)."""
        label = f"prime {target.name}"
        result, batch = run_phase(self.runner, target, 1, label, concurrency=1, seconds=PRIME_SECONDS)
        raw = result.samples[0]
        if raw.status == target.expected_status:
            self.items[target.name] = len(open_raw(target.codec, batch.requests[0], raw, label)["items"])

    def phase(self, target: Target, count: int, label: str) -> PhaseResult:
        if target.method == "GET":
            self.prime(target)
        concurrency, seconds = self.args.concurrency, self.args.seconds
        result, _ = run_phase(self.runner, target, count, label, concurrency=concurrency, seconds=seconds)
        return result


def throughput(args: argparse.Namespace, runner: asyncio.Runner, phases: list[Target]) -> dict[str, Any]:
    run = Throughput(args=args, runner=runner)
    created = 0
    for target in phases:
        result = run.phase(target, args.warmup, f"warm-up {target.name}")
        created += result.statuses[201] if target.name == "create" else 0
        print(describe(result))
    outcome: dict[str, list[PhaseResult]] = {target.name: [] for target in phases}
    for round_no in range(1, args.rounds + 1):
        for target in phases:
            result = run.phase(target, args.requests, f"round {round_no} {target.name}")
            created += result.statuses[201] if target.name == "create" else 0
            outcome[target.name].append(result)
            print(describe(result))
    figures = {target.name: summarised(target, outcome[target.name]) for target in phases}
    print()
    print(
        f"medians over {args.rounds} rounds (at most {args.requests} requests or {args.seconds:g} s a phase, "
        f"{args.concurrency} connections, {args.workers} worker(s)); latency: write to read"
    )
    extra = {
        "errors": {name: row["errors"] for name, row in figures.items()},
        "items": {target.name: run.items.get(target.name, 1) for target in phases},
    }
    print_figures(figures, "bare", extra)
    print(
        f"  CPU: the server's process group (not PostgreSQL's backends); items: records per response."
        f"\n  Alerts created in all: {created}, all visible to {READER} (all_members)"
    )
    return {"phases": figures, "created": created, "items_per_page": run.items}


def benchmark(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    env = kix_env(workspace.dir, workspace.database_url(args.database))
    callers = set_up_kix(workspace.dir, env)
    creator, reader = callers.codec(CREATOR), callers.codec(READER)
    kix, bare = start_kix_and_bare(env, args.workers, workspace.dir, workspace.servers)
    print(
        f"KIX on :{kix.port} ({workspace.backend}), bare on :{bare.port}; {args.workers} worker(s) each; "
        f"{workspace.dir}"
    )
    summary: dict[str, Any] = {"backend": workspace.backend, "workers": args.workers}
    with new_runner() as runner:
        if not args.skip_throughput:
            echoed, created = alert_payloads(random.Random(2025)), alert_payloads(random.Random(2026))
            phases = [
                Target("bare", bare, None, "POST", "/v1/echo", 200, payload=echoed, check=check_echo),
                Target(
                    "create", kix, creator, "POST", "/v1/alerts", 201, payload=created, check=check_created
                ),
            ]
            phases += [
                Target(name, kix, reader, "GET", "/v1/alerts", 200, params=params, check=check_list(params))
                for name, params in LIST_PHASES.items()
            ]
            print("== create and list throughput")
            summary["throughput"] = throughput(args, runner, phases)
        if args.scale:
            db = workspace.open(env["KIX_DATABASE_URL"])
            summary["at_scale"] = at_scale(args, runner, db, kix, reader, server_vault(env))
    summary["peak_rss_mb"] = round(kix.peak_rss_mb(), 1)
    print()
    print(
        f"peak resident memory of one KIX worker under these creates and lists: {summary['peak_rss_mb']:.0f} "
        f"MB (goal < {RSS_GOAL_MB} MB: {'met' if summary['peak_rss_mb'] < RSS_GOAL_MB else 'not met'})"
    )
    return summary


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = parser_for(__doc__, "records")
    parser.add_argument("--workers", type=positive_int, default=1, help="worker processes per server")
    parser.add_argument("--concurrency", type=positive_int, default=8, help="keep-alive connections")
    parser.add_argument(
        "--requests", type=positive_int, default=2000, help="at most this many requests a phase"
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="at most this long a phase (max 30)")
    parser.add_argument("--rounds", type=positive_int, default=3, help="rounds of phases (medians reported)")
    parser.add_argument("--warmup", type=positive_int, default=100, help="untimed requests a phase first")
    parser.add_argument(
        "--scale",
        type=int,
        default=None,
        help=f"alerts to load (default {DEFAULT_SCALE} with --postgres, else 0)",
    )
    parser.add_argument("--pages", type=positive_int, default=20, help="pages to follow per shape at scale")
    parser.add_argument("--scale-rounds", type=positive_int, default=5, help="paging rounds at scale")
    parser.add_argument("--skip-throughput", action="store_true", help="skip part 1")
    add_database_options(parser, "kix_bench")
    add_keep_temp(parser)
    args = parser.parse_args(argv)
    if args.scale is None:
        args.scale = DEFAULT_SCALE if args.postgres else 0
    if args.scale < 0:
        parser.error("--scale must be 0 or more")
    if not 0 < args.seconds <= 30:
        parser.error("--seconds must be in (0, 30]: signatures expire after 60 s")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    postgres_url = args.postgres_url if args.postgres else None
    return run("records", lambda w: benchmark(args, w), postgres_url=postgres_url, keep_temp=args.keep_temp)


if __name__ == "__main__":
    sys.exit(main())
