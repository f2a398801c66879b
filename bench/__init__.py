"""KIX's benchmarks: figures printed, never asserted. Run one with `python -m bench <scenario> [options]`.

- harness/: the servers (`kix serve` and a bare FastAPI echo app, side by side), the load generator, the
  databases, and the figures with their ratios to the bare app;
- data/: synthetic alert, suspect and lead bodies, names across scripts, planted people;
- loaders.py: N records bulk-loaded into SQLite or PostgreSQL, built as the service builds them;
- scenarios/: roundtrip, crypto-floor, records, matching, events (see bench/scenarios/__init__.py).

`python -m bench.roundtrip`, `bench.crypto_floor`, `bench.records` and `bench.matching` still work: they
are the same as `python -m bench <scenario>`.
"""
