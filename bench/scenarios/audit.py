"""Audit log benchmark: what the log costs a request, Merkle proofs at scale, and verifying the log.

Run from the repository root:

    python -m bench audit                    # SQLite: 1 000 000 entries (about 4 minutes)
    python -m bench audit --postgres         # the same on PostgreSQL
    options: [--requests 300] [--rounds 3] [--entries 1000000] [--sequence 20000] [--proofs 300]
             [--skip-requests] [--skip-scale] [--postgres-url URL] [--database kix_bench_audit] [--keep-temp]

Part 1, the cost per request (goal: at most 10% slower), through the full stack: two `kix serve` (one
worker each, a database each, the demo agencies, one alert by de-bka): one as it is, one started through
bench/harness/unaudited.py, where the two audit writes are no-ops (for this benchmark only). In
--rounds interleaved rounds (which server goes first alternates), --requests requests one at a time to
each: GET /v1/alerts/{id} (a read: its entry is written by the secure channel before the answer leaves)
and POST /v1/alerts (a write: its entry is written in the create's own transaction). Medians over rounds
of p50 and server CPU per request, and the ratios audited / unaudited.

Part 2, at scale (goals: a proof in under 5 ms at 1M entries; `kix audit verify` of 1M entries in under
10 s), in process: --entries entries written in bulk, numbered, hashed and with the tree's nodes and one
signed head, as the sequencer leaves them; then --sequence more entries written through the service's
`append` (one transaction each 500) and numbered by its `sequence` (timed: entries/s). Then --proofs
inclusion proofs and consistency proofs at random positions in the whole tree, read from the database
(median and p95 ms, size in hashes), each checked with app.crypto.merkle's verifiers outside the timing.
Then app.services.audit.verify over the whole log, as `kix audit verify` runs it.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

from app.crypto.keys import KeyPair
from app.crypto.merkle import leaf_hash, verify_consistency, verify_inclusion
from app.db import Database
from app.models import AuditEntry, AuditNode
from app.services.audit import tree
from app.services.audit.log import EntryDraft, append, entry_bytes, sequence, sign_head
from app.services.audit.verify import verify
from bench.data.bodies import BodyMaker
from bench.harness.ab import alert_server, create_target, interleaved, launcher
from bench.harness.databases import Workspace, run
from bench.harness.options import add_database_options, add_keep_temp, parser_for, positive_int
from bench.harness.phases import Target
from bench.harness.servers import kix_env, migrate
from bench.harness.wire import percentile

CHUNK = 10_000
GOAL_RATIO, GOAL_PROOF_MS, GOAL_VERIFY_S = 1.10, 5.0, 10.0


# ---------------------------------------------------------------- part 1: the cost per request
def requests_part(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    print(f"== part 1: the audit log's cost per request, through the full stack ({workspace.backend})")
    modules = {"audited": None, "unaudited": "bench.harness.unaudited"}
    maker = BodyMaker(random.Random(11))  # noqa: S311 - synthetic data
    targets: dict[str, list[Target]] = {}
    for name, module in modules.items():
        kix = alert_server(workspace, args.database, name, launcher(module))
        targets[name] = [
            Target(
                f"{name} GET", kix.server, kix.codec, "GET", f"/v1/alerts/{kix.alert_id}", 200, strict=True
            ),
            create_target(f"{name} POST", kix.server, kix.codec, maker),
        ]
    figures = interleaved(targets, args.rounds, args.requests)
    print(
        f"\n  medians over {args.rounds} rounds of {args.requests} requests, one at a time "
        f"(goal: <= {GOAL_RATIO})"
    )
    summary: dict[str, Any] = {}
    for route in ("GET", "POST"):
        audited, unaudited = figures[f"audited {route}"], figures[f"unaudited {route}"]
        p50 = audited["p50_ms"] / unaudited["p50_ms"]
        cpu = audited["server_cpu_ms_per_req"] / unaudited["server_cpu_ms_per_req"]
        verdict = "met" if p50 <= GOAL_RATIO else "MISSED"
        print(
            f"  {route:<5} p50 {audited['p50_ms']:7.2f} ms audited, {unaudited['p50_ms']:7.2f} ms not: "
            f"x{p50:.3f} "
            f"{verdict}; server CPU {audited['server_cpu_ms_per_req']:.2f} / "
            f"{unaudited['server_cpu_ms_per_req']:.2f} ms: x{cpu:.3f}"
        )
        summary[route] = {
            "audited": audited,
            "unaudited": unaudited,
            "p50_ratio": round(p50, 3),
            "cpu_ratio": round(cpu, 3),
        }
    return summary


# ---------------------------------------------------------------- part 2: at scale
def _draft(number: int, now: datetime) -> EntryDraft:
    agency = f"agency-{number % 24:02d}"
    return EntryDraft(
        at=now,
        agency_id=agency,
        kid=f"{agency}-key",
        actor="analyst-1",
        method="GET" if number % 5 else "POST",
        route="/v1/alerts/{record_id}" if number % 5 else "/v1/alerts",
        status=200 if number % 5 else 201,
        records=frozenset({f"{number:08x}-0000-7000-8000-000000000000"}),
        request_id=f"{number:032x}",
        signature_sha256=f"{number:064x}",
    )


def _bulk_load(db: Database, server_key: KeyPair, count: int) -> float:
    """`count` entries as the sequencer leaves them (numbered, hashed, in the tree, one signed head)."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    compact = tree.CompactRange()
    for start in range(0, count, CHUNK):
        rows, leaves = [], []
        for seq in range(start, min(count, start + CHUNK)):
            draft = _draft(seq, now)
            row = AuditEntry(
                txid=0,
                at=draft.at,
                agency_id=draft.agency_id,
                kid=draft.kid,
                actor=draft.actor,
                method=draft.method,
                route=draft.route,
                status=draft.status,
                records=sorted(draft.records),
                request_id=draft.request_id,
                signature_sha256=draft.signature_sha256,
            )
            leaf = leaf_hash(entry_bytes(row, seq))
            leaves.append(leaf)
            rows.append(
                {
                    column.key: getattr(row, column.key)
                    for column in AuditEntry.__table__.columns
                    if column.key != "id"
                }
                | {"seq": seq, "leaf": leaf}
            )
        made = [node for leaf in leaves for node in compact.append(leaf)]
        with db.transaction() as session:
            session.execute(insert(AuditEntry), rows)
            if made:
                session.execute(
                    insert(AuditNode),
                    [{"level": level, "index": index, "hash": digest} for (level, index), digest in made],
                )
    with db.transaction() as session:
        session.add(sign_head(server_key, count, compact.root(), now))
    return time.perf_counter() - started


def scale_part(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    print(f"\n== part 2: the audit log at {args.entries} entries, in process ({workspace.backend})")
    url = workspace.database_url(f"{args.database}_scale")
    migrate(kix_env(workspace.dir, url))
    db = workspace.open(url)
    server_key = KeyPair.generate()
    loaded = _bulk_load(db, server_key, args.entries)
    print(f"  bulk-loaded {args.entries} entries with their tree in {loaded:.1f} s")
    now = datetime.now(UTC)
    for start in range(0, args.sequence, 500):
        with db.transaction() as session:
            for number in range(start, min(args.sequence, start + 500)):
                append(session, _draft(args.entries + number, now))
    started = time.perf_counter()
    sequenced = sequence(db, server_key, now, rounds=1_000_000)
    seconds = time.perf_counter() - started
    size = args.entries + sequenced
    print(
        f"  sequence(): {sequenced} new entries numbered, hashed into the tree and signed in {seconds:.2f} s "
        f"({sequenced / seconds:.0f}/s)"
    )
    rng = random.Random(9162)  # noqa: S311 - positions
    inclusion_ms, consistency_ms, inclusion_len, consistency_len = [], [], [], []
    with db.sessions() as session:
        root = tree.root(session, size)
        for _ in range(args.proofs):
            index = rng.randrange(size)
            started = time.perf_counter()
            proof = tree.inclusion_proof(session, index, size)
            inclusion_ms.append((time.perf_counter() - started) * 1000)
            inclusion_len.append(len(proof))
            leaf = tree.read_nodes(session, [(0, index)])[(0, index)]
            if not verify_inclusion(leaf, index, size, proof, root):
                raise RuntimeError(f"inclusion proof {index} of {size} does not verify")
            old = rng.randint(1, size - 1)
            started = time.perf_counter()
            proof = tree.consistency_proof(session, old, size)
            consistency_ms.append((time.perf_counter() - started) * 1000)
            consistency_len.append(len(proof))
            if not verify_consistency(old, size, tree.root(session, old), root, proof):
                raise RuntimeError(f"consistency proof {old} -> {size} does not verify")
    for name, times, lengths in (
        ("inclusion", inclusion_ms, inclusion_len),
        ("consistency", consistency_ms, consistency_len),
    ):
        verdict = "met" if percentile(times, 0.95) < GOAL_PROOF_MS else "MISSED"
        print(
            f"  {name:<11} proof from the database: p50 {statistics.median(times):6.2f} ms, p95 "
            f"{percentile(times, 0.95):6.2f} ms ({verdict}); {statistics.median(lengths):.0f} hashes "
            f"({32 * statistics.median(lengths):.0f} bytes) median, {max(lengths)} at most"
        )
    started = time.perf_counter()
    with db.sessions() as session:
        keys = {server_key.kid: server_key.signing.public_key()}
        report = verify(session, keys, database_url=db.url, workers=os.cpu_count() or 1)
    verify_s = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(f"the benchmark's log does not verify: {report.findings[0]}")
    verdict = "met" if verify_s < GOAL_VERIFY_S else "MISSED"
    print(
        f"  verify (as kix audit verify): {report.entries} entries, {report.heads} heads in {verify_s:.2f} s "
        f"({verdict})"
    )
    return {
        "entries": size,
        "sequence_per_s": round(sequenced / seconds),
        "inclusion_ms": {
            "p50": round(statistics.median(inclusion_ms), 3),
            "p95": round(percentile(inclusion_ms, 0.95), 3),
        },
        "consistency_ms": {
            "p50": round(statistics.median(consistency_ms), 3),
            "p95": round(percentile(consistency_ms, 0.95), 3),
        },
        "verify_s": round(verify_s, 2),
    }


def benchmark(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    summary: dict[str, Any] = {"backend": workspace.backend}
    if not args.skip_requests:
        summary["requests"] = requests_part(args, workspace)
    if not args.skip_scale:
        summary["scale"] = scale_part(args, workspace)
    return summary


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = parser_for(__doc__, "audit")
    parser.add_argument("--requests", type=positive_int, default=300, help="requests per route and phase")
    parser.add_argument("--rounds", type=positive_int, default=3, help="interleaved rounds (medians)")
    parser.add_argument("--entries", type=positive_int, default=1_000_000, help="entries bulk-loaded")
    parser.add_argument("--sequence", type=positive_int, default=20_000, help="entries then sequenced")
    parser.add_argument("--proofs", type=positive_int, default=300, help="proofs of each kind timed")
    parser.add_argument("--skip-requests", action="store_true", help="skip part 1")
    parser.add_argument("--skip-scale", action="store_true", help="skip part 2")
    add_database_options(parser, "kix_bench_audit")
    add_keep_temp(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    postgres_url = args.postgres_url if args.postgres else None
    return run(
        "audit",
        lambda workspace: benchmark(args, workspace),
        postgres_url=postgres_url,
        keep_temp=args.keep_temp,
    )


if __name__ == "__main__":
    sys.exit(main())
