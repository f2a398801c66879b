"""Matching benchmark: hit/no-hit latency at scale, and what encryption at rest costs a record's create
and get.

Run from the repository root:

    python -m bench matching               # part 2 only, on SQLite (well under a minute)
    python -m bench matching --postgres    # parts 1 and 2 on PostgreSQL, 100 000 of each (some 10 minutes)
    python -m bench matching --postgres --scale 5000 --queries 50 --seconds 10 --ops 300   # a quick look
    python -m bench matching --postgres --scale 1000000 --leads 100000 --skip-at-rest   # 1M suspects
    options: [--scale 100000] [--leads N] [--queries 300] [--seconds 35] [--warmup 10] [--concurrency 4]
             [--workers 1] [--ops 2000] [--rounds 5] [--skip-match] [--skip-at-rest] [--postgres-url URL]
             [--database kix_bench_match] [--keep-temp]

Everything runs on 127.0.0.1 (bench/harness): a temp dir holds the server key, the demo agencies' keys
and the storage keys; databases are SQLite files there, or with --postgres scratch databases on the
server of --postgres-url (`kix_bench_match`, `..._sealed`, `..._bypassed`; dropped at the end).

Part 1, match latency at scale (with --postgres, where it loads 100 000 suspects and 100 000 leads by
default; on SQLite only when --scale is given). A fresh database is migrated, gets the demo agencies
(de-bka queries), app.demo's directory, then the records, bulk-loaded through the service's build_record
(matching_data.py: names from twelve naming cultures in six scripts, about 45% with a made-up surname so
the name-token index has a long tail; six planted people, one suspect in a thousand each; documents,
valid IBANs, wallets and phones, a few shared between records). Then the blind index's selectivity,
and seven query shapes: a planted name in its native script, two names nobody has (rare, and a common
given name with a rare surname), a document, an IBAN, a wallet, and a mixed query (two names, a date of
birth, a document and an IBAN). Each shape runs through the full stack (matching_http.py: POST /v1/matches
as de-bka, one connection then --concurrency, latency, references, hits and what it should find), then in
process (matching_trace.py: where the time goes, SQL, data-key unwrapping, decryption, name similarity,
cold and warm; recall; candidate counts; the plans). The benchmark's catalogue of the loaded data (a
million objects at full scale) is moved out of the garbage collector's way (gc.freeze) so that its full
collections do not pause the client or the in-process runs.

Part 2, at-rest encryption on create and get, in process (matching_at_rest.py): the same suspects
created and read back with the real Vault and with the encryption layer bypassed, interleaved; medians
and the ratio sealed/bypassed.

Figures are printed, never asserted, then the whole summary as one line of JSON.
"""

import argparse
import gc
import random
import sys
import time
from typing import Any

from app.services.records.kinds import LEADS, SUSPECTS
from bench.harness.databases import Workspace, run
from bench.harness.options import add_database_options, add_keep_temp, parser_for, positive_int
from bench.harness.servers import kix_env, server_vault, set_up_kix, start_kix, stop_server
from bench.harness.wire import new_runner
from bench.scenarios.matching_at_rest import at_rest_part
from bench.scenarios.matching_data import QUERIER, Queries, index_statistics, load_people, prepare_directory
from bench.scenarios.matching_http import match_latency, report_latency
from bench.scenarios.matching_trace import explain, false_positives, in_process, report_in_process

DEFAULT_SCALE = 100_000
BUDGET = 1_000_000  # the server's match budget per hour: never the limit here


def match_part(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    print(
        f"== part 1: match latency at scale, {args.scale} {SUSPECTS.path} and {args.leads} {LEADS.path} "
        f"on {workspace.backend} ({args.database})"
    )
    url = workspace.database_url(args.database)
    env = kix_env(workspace.dir, url) | {"KIX_MATCH_BUDGET_PER_HOUR": str(BUDGET)}
    codec = set_up_kix(workspace.dir, env).codec(QUERIER)
    db = workspace.open(url)
    prepare_directory(db)
    vault = server_vault(env)  # the server's storage keys: it opens what is loaded here
    catalogue = load_people(db, vault, args.scale, args.leads, random.Random(7))
    # The catalogue is long-lived and large: kept out of the garbage collector's full passes, which would
    # otherwise pause this process (the client, and the in-process runs) far more than the server.
    gc.collect()
    gc.freeze()
    try:
        stats = index_statistics(db, catalogue)
        server = start_kix(env, args.workers, workspace.dir, workspace.servers)
        print(f"  kix serve on :{server.port}, {args.workers} worker(s), match budget {BUDGET}/h")
        shapes = Queries(catalogue).shapes()
        with new_runner() as runner:
            phases = match_latency(args, runner, server, codec, shapes)
        report_latency(phases, args.workers)
        runs = in_process(db, vault, shapes)
        summary = report_in_process(runs)
        false_positives(db, vault, runs)
        explain(db, runs)
        stop_server(server)
    finally:
        gc.unfreeze()
    return {
        "scale": args.scale,
        "leads": args.leads,
        "blind_indexes": stats,
        "http": [{"shape": p.shape, "concurrency": p.concurrency} | p.row() for p in phases],
        "in_process": summary,
    }


def benchmark(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    started = time.monotonic()
    summary: dict[str, Any] = {}
    if args.scale and not args.skip_match:
        summary["match"] = match_part(args, workspace)
        print()
    elif not args.skip_match:
        print("(part 1, match latency at scale, runs with --postgres or a --scale)")
    if not args.skip_at_rest:
        summary["at_rest"] = at_rest_part(args, workspace)
    print(f"total {time.monotonic() - started:.0f} s")
    return summary


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = parser_for(__doc__, "matching")
    parser.add_argument(
        "--scale",
        type=positive_int,
        default=None,
        help=f"suspects, and leads, to load (default {DEFAULT_SCALE} with --postgres, else none)",
    )
    parser.add_argument("--leads", type=int, default=None, help="leads to load (default: --scale)")
    parser.add_argument("--queries", type=positive_int, default=300, help="at most this many queries a phase")
    parser.add_argument("--seconds", type=float, default=35.0, help="at most this long a phase (max 40)")
    parser.add_argument("--warmup", type=positive_int, default=10, help="untimed queries per shape first")
    parser.add_argument("--concurrency", type=positive_int, default=4, help="connections, second phase")
    parser.add_argument("--workers", type=positive_int, default=1, help="kix serve worker processes")
    parser.add_argument("--ops", type=positive_int, default=2000, help="part 2: creates and gets per mode")
    parser.add_argument("--rounds", type=positive_int, default=5, help="part 2: interleaved rounds")
    parser.add_argument("--skip-match", action="store_true", help="skip part 1")
    parser.add_argument("--skip-at-rest", action="store_true", help="skip part 2")
    add_database_options(parser, "kix_bench_match")
    add_keep_temp(parser)
    args = parser.parse_args(argv)
    if args.scale is None:
        args.scale = DEFAULT_SCALE if args.postgres else 0
    if args.leads is None:
        args.leads = args.scale
    if not 0 < args.seconds <= 40:
        parser.error("--seconds must be in (0, 40]: signatures expire after 60 s")
    if args.rounds > args.ops:
        parser.error("--rounds must not exceed --ops")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    postgres_url = args.postgres_url if args.postgres else None
    return run("matching", lambda w: benchmark(args, w), postgres_url=postgres_url, keep_temp=args.keep_temp)


if __name__ == "__main__":
    sys.exit(main())
