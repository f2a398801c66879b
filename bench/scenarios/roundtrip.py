"""Round-trip benchmark: KIX's signed, encrypted `POST /v1/echo` and `GET /v1/whoami` against a bare
FastAPI app answering the same routes, and against the limit the bare app and the cryptographic floor set.

Run from the repository root (defaults: 1 worker, 8 connections, 3000 requests a phase, 3 rounds):

    python -m bench roundtrip [--workers 1] [--concurrency 8] [--requests 3000] [--rounds 3] [--warmup 200]
    python -m bench roundtrip --postgres                                 # KIX on a scratch PostgreSQL
    python -m bench roundtrip --requests 300 --rounds 1 --warmup 50      # a quick look (about 20 s)

The limit: a request costs at least the bare app's time per request (1 / its req/s) plus the raw
cryptography the server must do for it, measured in this run (crypto_floor.measure: verify the request's
signature, encrypt the response to the caller, sign it, and for a POST decrypt the request's JWE), spread
over the workers. The goal: KIX's req/s >= 0.70 of that limit, for GET and POST, on SQLite and PostgreSQL.

Everything runs on 127.0.0.1. A temp dir holds a fresh SQLite database (or with --postgres a scratch
database, dropped at the end; migrated as `kix admin migrate` does), the server key and the demo
agencies' keys. Both servers run as subprocesses with the same worker
count: KIX through `kix serve`, the baseline through uvicorn (bench/harness/bare_app.py). All requests of
a phase are built before it starts (KIX ones signed and encrypted by the SDK's Codec, each with its own
nonce) and replayed as pre-serialised HTTP/1.1 bytes over keep-alive connections, so the client's crypto
is not timed. Latency is from writing a request to reading the whole response. Responses are checked
outside the timed region: every status must be 200, and a sample of KIX responses must verify and
decrypt (Codec.open_response) to the payload that was sent. Phases alternate bare, kix, bare, kix...; the
medians across rounds are printed (req/s, p50, p95, p99, server CPU per request: the server's whole
process group) with the KIX/bare ratios, then one line of JSON. Figures are printed, never asserted.
"""

import argparse
import itertools
import sys
from collections.abc import Callable
from typing import Any

from app.client.codec import Codec
from bench.harness.databases import Workspace, run
from bench.harness.options import add_database_options, add_keep_temp, parser_for, positive_int
from bench.harness.phases import Target, describe, medians, print_figures, run_phase
from bench.harness.servers import RSS_GOAL_MB, Server, kix_env, set_up_kix, start_kix_and_bare
from bench.harness.wire import PhaseResult, new_runner
from bench.scenarios.crypto_floor import Floor, measure

AGENCY = "de-bka"
GOAL = 0.70  # of the limit; below 0.50 the point is not done
FLOOR_ROUNDS, FLOOR_CALLS = 5, 1000


def make_payload(seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "reference": f"KIX-BENCH-{seq:08d}",
        "kind": "round-trip",
        "note": "a small JSON object, echoed back by the server",
        "tags": ["bench", "echo", "roundtrip"],
    }


def echoed(agency: str) -> Callable[[Any, Any], str | None]:
    def check(payload: Any, data: Any) -> str | None:
        expected = {"agency_id": agency, "payload": payload}
        return None if data == expected else f"echoed {data!r}, expected {expected!r}"

    return check


def targets(kix: Server, bare: Server, codec: Codec) -> list[Target]:
    """bare then kix, POST then GET: the same payloads (one sequence), KIX's signed and encrypted."""
    seq = itertools.count()

    def payload() -> dict[str, Any]:
        return make_payload(next(seq))

    post: dict[str, Any] = {"method": "POST", "path": "/v1/echo", "expected_status": 200, "strict": True}
    get: dict[str, Any] = {"method": "GET", "path": "/v1/whoami", "expected_status": 200, "strict": True}
    return [
        Target("bare POST", bare, None, payload=payload, check=echoed("x"), **post),
        Target("kix POST", kix, codec, payload=payload, check=echoed(AGENCY), **post),
        Target("bare GET", bare, None, **get),
        Target("kix GET", kix, codec, **get),
    ]


def against_limit(figures: dict[str, dict[str, float]], floor: Floor, workers: int) -> dict[str, Any]:
    """KIX's throughput over the limit 1 / (bare time per request + floor / workers), per method."""
    verdicts: dict[str, Any] = {}
    for method, floor_us in (("POST", floor.post_us()), ("GET", floor.get_us())):
        bare_s = 1 / figures[f"bare {method}"]["rps"]
        limit = 1 / (bare_s + floor_us / 1e6 / workers)
        ratio = figures[f"kix {method}"]["rps"] / limit
        verdict = "met" if ratio >= GOAL else ("between" if ratio >= 0.5 else "not met")
        verdicts[method] = {
            "floor_us": round(floor_us, 1),
            "limit_rps": round(limit),
            "ratio": round(ratio, 3),
        }
        print(
            f"  {method:<4} bare {bare_s * 1e6:6.0f} us + floor {floor_us:5.0f} us / {workers} worker(s):"
            f" limit {limit:7.0f} req/s; KIX {figures[f'kix {method}']['rps']:7.1f} req/s ="
            f" {ratio:.3f} of it (goal >= {GOAL}: {verdict})"
        )
    return verdicts


def benchmark(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    url = workspace.database_url(args.database) if args.postgres else None
    env = kix_env(workspace.dir, url)
    codec = set_up_kix(workspace.dir, env).codec(AGENCY)
    kix, bare = start_kix_and_bare(env, args.workers, workspace.dir, workspace.servers)
    print(
        f"KIX on :{kix.port} ({workspace.backend}), bare on :{bare.port}; {args.workers} worker(s) each;"
        f" temp dir {workspace.dir}"
    )
    phases = targets(kix, bare, codec)
    outcome: dict[str, list[PhaseResult]] = {target.name: [] for target in phases}
    with new_runner() as runner:
        for target in phases:
            result, _ = run_phase(
                runner, target, args.warmup, f"warm-up {target.name}", concurrency=args.concurrency
            )
            print(describe(result))
        for round_no in range(1, args.rounds + 1):
            for target in phases:
                label = f"round {round_no} {target.name}"
                result, _ = run_phase(runner, target, args.requests, label, concurrency=args.concurrency)
                outcome[target.name].append(result)
                print(describe(result))
    figures = {name: medians(results) for name, results in outcome.items()}
    peak_rss = {"kix": round(kix.peak_rss_mb(), 1), "bare": round(bare.peak_rss_mb(), 1)}
    print()
    print(
        f"medians over {args.rounds} rounds ({args.requests} requests, {args.concurrency} connections, "
        f"{args.workers} worker(s)); latency = request written to response read"
    )
    print_figures(figures, "bare POST")
    print(
        f"peak resident memory of one worker: KIX {peak_rss['kix']:.0f} MB (goal < {RSS_GOAL_MB} MB: "
        f"{'met' if peak_rss['kix'] < RSS_GOAL_MB else 'not met'}), bare {peak_rss['bare']:.0f} MB"
    )
    floor = measure(FLOOR_ROUNDS, FLOOR_CALLS)  # after the phases, with the servers idle
    print(f"against the limit (bare time + the raw cryptographic floor measured now, {workspace.backend}):")
    limits = against_limit(figures, floor, args.workers)
    return {
        "backend": workspace.backend,
        "workers": args.workers,
        "concurrency": args.concurrency,
        "requests": args.requests,
        "rounds": args.rounds,
        "figures": figures,
        "against_limit": limits,
        "peak_rss_mb": peak_rss,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = parser_for(__doc__, "roundtrip")
    parser.add_argument("--workers", type=positive_int, default=1, help="worker processes per server")
    parser.add_argument("--concurrency", type=positive_int, default=8, help="keep-alive connections")
    parser.add_argument("--requests", type=positive_int, default=3000, help="requests per timed phase")
    parser.add_argument("--rounds", type=positive_int, default=3, help="bare/kix rounds (medians reported)")
    parser.add_argument("--warmup", type=positive_int, default=200, help="untimed requests per server first")
    add_database_options(parser, "kix_bench_roundtrip")
    add_keep_temp(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    postgres_url = args.postgres_url if args.postgres else None
    return run(
        "roundtrip",
        lambda workspace: benchmark(args, workspace),
        postgres_url=postgres_url,
        keep_temp=args.keep_temp,
    )


if __name__ == "__main__":
    sys.exit(main())
