"""Peers benchmark: KIX against the stack a state would otherwise build (bench/peer_app.py: FastAPI behind
TLS, OAuth2 bearer EdDSA JWTs verified per request, the same alert model in SQLAlchemy), and against the
OASIS TAXII 2.1 reference server (medallion) as a reference point, on the same machine, in the same run.

Run from the repository root:

    python -m bench peer                          # PostgreSQL (the default here), with medallion
    python -m bench peer --skip-medallion         # the peer app only
    python -m bench peer --sqlite --objects 200 --requests 50 --rounds 1 --skip-medallion   # a quick look
    options: [--concurrency 16] [--requests 2000] [--seconds 8] [--rounds 3] [--warmup 100]
             [--objects 10000] [--medallion-seconds 10] [--medallion-page-seconds 90]
             [--medallion-python PATH] [--postgres-url URL]
             [--database kix_bench_peer] [--keep-temp]

Set-up, outside any timed region: KIX (a scratch database, migrated; `kix serve`, one worker) and the
peer (its own scratch database on the same server; uvicorn, one worker, TLS with a certificate made for
the run) each get the same --objects alerts, bodies and ids: KIX's through bench/loaders.py (rows built
by the service's own build_record, sealed at rest), the peer's through its own row builder. de-bka owns
them, distributed to all members. A JWT is issued to each caller by a throw-away identity provider (an
Ed25519 key whose public JWK set the peer trusts), as a state's provider would issue it.

Each round runs, for each operation, the peer's phase then KIX's: `create` (de-bka posts a new alert),
`get` (it-dcsa reads one of the preloaded alerts, chosen at random: a first view by it-dcsa writes
KIX's record_views receipt, as in production), `page` (it-dcsa's first page of 50, newest first; one
untimed request first). KIX's requests are signed and encrypted in advance, the peer's carry the bearer
token; both are replayed as raw HTTP/1.1 over keep-alive connections opened before the clock starts (the
peer's through TLS, handshakes done). Medians over rounds; the goal is KIX >= 0.8x the peer's req/s for
each operation.

Then medallion 3.0.0 (one gunicorn sync worker, memory backend, in a virtual environment of its own,
made on first use under ~/.cache/kix-bench unless --medallion-python names one) is loaded with the same
alerts as STIX 2.1 custom objects and asked the same: add one object and get one, each for
--medallion-seconds, then one first page of 50 within --medallion-page-seconds (peer_medallion.py says
why). Its ratio is reported as a reference, with no goal.

Figures are printed, never asserted, then the summary as one line of JSON.
"""

import argparse
import asyncio
import itertools
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.client.codec import Codec
from bench.harness.databases import DEFAULT_POSTGRES_URL, Workspace, run
from bench.harness.options import add_keep_temp, parser_for, positive_int
from bench.harness.phases import Target, describe, print_figures, run_phase, summarised
from bench.harness.servers import (
    Server,
    kix_env,
    set_up_kix,
    start_kix,
)
from bench.harness.wire import PhaseResult, new_runner
from bench.scenarios import peer_medallion
from bench.scenarios.peer_setup import (
    CREATOR,
    READER,
    IdentityProvider,
    Preloaded,
    alert_bodies,
    load_kix,
    load_peer,
    preloaded,
    start_peer,
)

PAGE_SIZE = 50
GOAL = 0.8  # KIX's req/s over the peer's, for each operation
OPERATIONS = ("create", "get", "page")


# ---------------------------------------------------------------- what each side is asked
def check_created(owner_field: str) -> Callable[[Any, Any], str | None]:
    def check(payload: Any, data: Any) -> str | None:
        if data.get(owner_field) != CREATOR or data.get("category") != payload["category"]:
            return f"created {data!r}"
        return None

    return check


def check_page(items_field: str) -> Callable[[Any, Any], str | None]:
    def check(_payload: Any, data: Any) -> str | None:
        items = data.get(items_field)
        return None if isinstance(items, list) and len(items) == PAGE_SIZE else f"a page of {items!r}"

    return check


def check_got(ids: set[str]) -> Callable[[Any, Any], str | None]:
    def check(_payload: Any, data: Any) -> str | None:
        return None if str(data.get("id")) in ids else f"got {data.get('id')!r}"

    return check


def targets(
    kix: Server, peer: Server, codecs: dict[str, Codec], tokens: dict[str, str], data: Preloaded
) -> dict[str, list[Target]]:
    """For each operation: the peer's target, then KIX's (the same bodies and ids, in the same order)."""
    rng = random.Random(7)
    peer_body, kix_body = alert_bodies(random.Random(11)), alert_bodies(random.Random(11))
    peer_ids = itertools.cycle(rng.sample(data.ids, len(data.ids)))
    kix_ids = itertools.cycle(rng.sample(data.ids, len(data.ids)))
    known = set(data.ids)

    def bearer(agency: str) -> dict[str, str]:
        return {"authorization": f"Bearer {tokens[agency]}"}

    page = {"limit": PAGE_SIZE}
    return {
        "create": [
            Target(
                "peer create",
                peer,
                None,
                "POST",
                "/v1/alerts",
                201,
                payload=peer_body,
                check=check_created("owner_id"),
                headers=bearer(CREATOR),
            ),
            Target(
                "kix create",
                kix,
                codecs[CREATOR],
                "POST",
                "/v1/alerts",
                201,
                payload=kix_body,
                check=check_created("owner"),
            ),
        ],
        "get": [
            Target(
                "peer get",
                peer,
                None,
                "GET",
                "/v1/alerts/{id}",
                200,
                check=check_got(known),
                path_of=lambda: f"/v1/alerts/{next(peer_ids)}",
                headers=bearer(READER),
            ),
            Target(
                "kix get",
                kix,
                codecs[READER],
                "GET",
                "/v1/alerts/{id}",
                200,
                check=check_got(known),
                path_of=lambda: f"/v1/alerts/{next(kix_ids)}",
            ),
        ],
        "page": [
            Target(
                "peer page",
                peer,
                None,
                "GET",
                "/v1/alerts",
                200,
                params=page,
                check=check_page("data"),
                headers=bearer(READER),
            ),
            Target(
                "kix page",
                kix,
                codecs[READER],
                "GET",
                "/v1/alerts",
                200,
                params=page,
                check=check_page("items"),
            ),
        ],
    }


def timed(
    args: argparse.Namespace, runner: asyncio.Runner, target: Target, count: int, label: str
) -> PhaseResult:
    if target.method == "GET" and target.path_of is None:  # a list's first view writes (KIX): not timed
        run_phase(runner, target, 1, f"prime {target.name}", concurrency=1, seconds=args.seconds)
    result, _ = run_phase(runner, target, count, label, concurrency=args.concurrency, seconds=args.seconds)
    return result


def side_by_side(
    args: argparse.Namespace, runner: asyncio.Runner, plan: dict[str, list[Target]]
) -> dict[str, Any]:
    everything = [target for pair in plan.values() for target in pair]
    for target in everything:
        print(describe(timed(args, runner, target, args.warmup, f"warm-up {target.name}")))
    outcome: dict[str, list[PhaseResult]] = {target.name: [] for target in everything}
    for round_no in range(1, args.rounds + 1):
        for target in everything:
            result = timed(args, runner, target, args.requests, f"round {round_no} {target.name}")
            outcome[target.name].append(result)
            print(describe(result))
    figures = {target.name: summarised(target, outcome[target.name]) for target in everything}
    print()
    print(
        f"medians over {args.rounds} rounds (at most {args.requests} requests or {args.seconds:g} s a phase, "
        f"{args.concurrency} connections, one worker each); latency: write to read"
    )
    print_figures(figures, "peer create", {"errors": {name: row["errors"] for name, row in figures.items()}})
    verdicts: dict[str, Any] = {}
    print(f"KIX against the peer (goal: >= {GOAL}x its req/s for each operation):")
    for operation in OPERATIONS:
        peer_rps, kix_rps = figures[f"peer {operation}"]["rps"], figures[f"kix {operation}"]["rps"]
        ratio = kix_rps / peer_rps if peer_rps else 0.0
        verdicts[operation] = {"peer_rps": peer_rps, "kix_rps": kix_rps, "ratio": round(ratio, 3)}
        print(
            f"  {operation:<7} peer {peer_rps:8.1f} req/s  KIX {kix_rps:8.1f} req/s  = {ratio:.3f}x"
            f" (goal >= {GOAL}: {'met' if ratio >= GOAL else 'not met'})"
        )
    return {"figures": figures, "against_peer": verdicts}


def benchmark(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    data = preloaded(args.objects)
    print(f"== set-up: {args.objects} alerts for each server ({workspace.backend})")
    env = kix_env(workspace.dir, workspace.database_url(args.database))
    callers = set_up_kix(workspace.dir, env)
    load_kix(workspace, env, data)
    peer_url = workspace.database_url(f"{args.database}_app")
    load_peer(peer_url, data)
    idp = IdentityProvider.create(workspace.dir)
    kix = start_kix(env, 1, workspace.dir, workspace.servers)
    peer = start_peer(workspace, peer_url, idp)
    print(f"  KIX on :{kix.port}, the peer on :{peer.port} (TLS); {workspace.dir}")
    codecs = {agency: callers.codec(agency) for agency in (CREATOR, READER)}
    tokens = {agency: idp.token(agency) for agency in (CREATOR, READER)}
    summary: dict[str, Any] = {"backend": workspace.backend, "objects": args.objects}
    with new_runner() as runner:
        print("== KIX and the peer, side by side")
        summary |= side_by_side(args, runner, targets(kix, peer, codecs, tokens, data))
        if not args.skip_medallion:
            print("== medallion (the TAXII 2.1 reference server), a reference point")
            alerts = list(zip(data.ids, data.bodies, data.created, strict=True))
            new_body = alert_bodies(random.Random(13))
            summary["medallion"] = peer_medallion.compare(
                args, runner, workspace, alerts, summary["figures"], new_body
            )
    return summary


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = parser_for(__doc__, "peer")
    parser.add_argument("--concurrency", type=positive_int, default=16, help="keep-alive connections")
    parser.add_argument(
        "--requests", type=positive_int, default=2000, help="at most this many requests a phase"
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="at most this long a phase (max 30)")
    parser.add_argument("--rounds", type=positive_int, default=3, help="rounds of phases (medians reported)")
    parser.add_argument("--warmup", type=positive_int, default=100, help="untimed requests a phase first")
    parser.add_argument(
        "--objects", type=positive_int, default=10_000, help="alerts every server holds first"
    )
    parser.add_argument("--sqlite", action="store_true", help="KIX and the peer on SQLite files instead")
    parser.add_argument("--skip-medallion", action="store_true", help="leave the TAXII reference server out")
    parser.add_argument("--medallion-seconds", type=float, default=10.0, help="each medallion phase")
    parser.add_argument(
        "--medallion-page-seconds", type=float, default=90.0, help="how long medallion's first page may take"
    )
    parser.add_argument(
        "--medallion-python", type=Path, help="a Python with medallion and gunicorn installed"
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="server for scratch databases")
    parser.add_argument("--database", default="kix_bench_peer", help="scratch database name (prefix)")
    add_keep_temp(parser)
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 30:
        parser.error("--seconds must be in (0, 30]: signatures expire after 60 s")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    postgres_url = None if args.sqlite else args.postgres_url
    return run("peer", lambda w: benchmark(args, w), postgres_url=postgres_url, keep_temp=args.keep_temp)


if __name__ == "__main__":
    sys.exit(main())
