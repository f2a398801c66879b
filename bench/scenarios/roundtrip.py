"""Round-trip benchmark: KIX's signed, encrypted `POST /v1/echo` against a bare FastAPI echo app.

Run from the repository root (defaults: 1 worker, 8 connections, 3000 requests a phase, 3 rounds):

    python -m bench roundtrip [--workers 1] [--concurrency 8] [--requests 3000] [--rounds 3] [--warmup 200]
    python -m bench roundtrip --requests 300 --rounds 1 --warmup 50      # a quick look (about 10 s)

Everything runs on 127.0.0.1. A temp dir holds a fresh SQLite database (migrated as `kix admin migrate`
does), the server key and the demo agencies' keys. Both servers run as subprocesses with the same worker
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
from bench.harness.options import add_keep_temp, parser_for, positive_int
from bench.harness.phases import Target, describe, medians, print_figures, ratios, run_phase
from bench.harness.servers import Server, kix_env, set_up_kix, start_kix_and_bare
from bench.harness.wire import PhaseResult, new_runner

AGENCY = "de-bka"


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
    """bare first, then kix: the same payloads (one sequence), KIX's signed and encrypted."""
    seq = itertools.count()

    def payload() -> dict[str, Any]:
        return make_payload(next(seq))

    common: dict[str, Any] = {"method": "POST", "path": "/v1/echo", "expected_status": 200, "strict": True}
    return [
        Target("bare", bare, None, payload=payload, check=echoed("x"), **common),
        Target("kix", kix, codec, payload=payload, check=echoed(AGENCY), **common),
    ]


def benchmark(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    env = kix_env(workspace.dir)
    codec = set_up_kix(workspace.dir, env).codec(AGENCY)
    kix, bare = start_kix_and_bare(env, args.workers, workspace.dir, workspace.servers)
    print(
        f"KIX on :{kix.port}, bare on :{bare.port}; {args.workers} worker(s) each; temp dir {workspace.dir}"
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
    print()
    print(
        f"medians over {args.rounds} rounds ({args.requests} requests, {args.concurrency} connections, "
        f"{args.workers} worker(s)); latency = request written to response read"
    )
    print_figures(figures, "bare")
    return {
        "workers": args.workers,
        "concurrency": args.concurrency,
        "requests": args.requests,
        "rounds": args.rounds,
        "bare": figures["bare"],
        "kix": figures["kix"],
        "kix_over_bare": ratios(figures["kix"], figures["bare"]),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = parser_for(__doc__, "roundtrip")
    parser.add_argument("--workers", type=positive_int, default=1, help="worker processes per server")
    parser.add_argument("--concurrency", type=positive_int, default=8, help="keep-alive connections")
    parser.add_argument("--requests", type=positive_int, default=3000, help="requests per timed phase")
    parser.add_argument("--rounds", type=positive_int, default=3, help="bare/kix rounds (medians reported)")
    parser.add_argument("--warmup", type=positive_int, default=200, help="untimed requests per server first")
    add_keep_temp(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run(
        "roundtrip", lambda workspace: benchmark(args, workspace), postgres_url=None, keep_temp=args.keep_temp
    )


if __name__ == "__main__":
    sys.exit(main())
