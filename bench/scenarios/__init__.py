"""The scenarios, each a module with `main(argv) -> int` (its options: `python -m bench <scenario> -h`):

- roundtrip: a signed, encrypted round trip through the full stack against a bare JSON echo;
- crypto-floor: what one round trip's cryptography costs on this machine;
- records: alerts created and listed through the full stack, and list latency at scale;
- matching: hit/no-hit latency at scale, and what encryption at rest costs create and get;
- events: change feed page latency at scale, what the outbox costs a create, webhook delivery throughput;
- audit: what the audit log costs a request, Merkle proofs at a million entries, verifying the log;
- analysis: trends over the rollup of a million alerts, and the link graph of a 500-record case;
- batch: alerts backfilled through POST /v1/alerts/batch, against one call each;
- peer: KIX against the stack a state would otherwise build (bench/peer_app.py) and the TAXII 2.1
  reference server (medallion).
"""

SCENARIOS = {
    "roundtrip": "bench.scenarios.roundtrip",
    "crypto-floor": "bench.scenarios.crypto_floor",
    "records": "bench.scenarios.records",
    "matching": "bench.scenarios.matching",
    "events": "bench.scenarios.events",
    "audit": "bench.scenarios.audit",
    "analysis": "bench.scenarios.analysis",
    "batch": "bench.scenarios.batch",
    "peer": "bench.scenarios.peer",
}
