"""The benchmarks (bench/) still run: each scenario once at a tiny size, on SQLite (and the at-scale parts
on PostgreSQL too when KIX_TEST_POSTGRES_URL is set). Only that a scenario ran and printed its report is
checked, never a figure; and that the bulk loader writes what create_record writes."""

import os
import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.crypto.storage_keys import StorageKeys
from app.db import Database
from app.demo import add_directory
from app.models import BlindIndex, Record, RecordGrant, RecordRevision
from app.services.records.disclosure import current_body
from app.services.records.kinds import LEADS, SUSPECTS
from app.services.records.queries import RecordFilters, list_records
from app.services.records.store import Actor, create_record, get_visible
from app.services.vault import Vault
from bench.__main__ import main as bench_main
from bench.data.bodies import BodyMaker, validated
from bench.loaders import LOADER_ACTOR, BulkLoader
from bench.scenarios import crypto_floor, matching, records, roundtrip
from tests.conftest import POSTGRES_URL

# A scratch database name of this run's own, so that a benchmark running beside the tests is left alone.
SCRATCH = f"kix_bench_test_{os.getpid()}"
needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="KIX_TEST_POSTGRES_URL is not set")


def ran(capsys: pytest.CaptureFixture[str], code: int, *report: str) -> None:
    out, err = capsys.readouterr()
    assert code == 0, err[-3000:]
    missing = [line for line in report if line not in out]
    assert not missing, f"not in the report: {missing}\n{out[-3000:]}"
    assert out.rstrip().splitlines()[-1].startswith("{"), "no JSON summary at the end"


def test_entry_point_lists_the_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main([]) == 2
    assert bench_main(["nonsense"]) == 2
    out, err = capsys.readouterr()
    assert "roundtrip,crypto-floor,records,matching" in out
    assert "no scenario 'nonsense'" in err


def test_crypto_floor(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main(["crypto-floor", "--rounds", "1", "--calls", "3"]) == 0
    out = capsys.readouterr().out
    for line in ("Ed25519 verify (request signature)", "raw cryptographic floor per round trip"):
        assert line in out
    assert "floor with the JOSE library the service uses" in out
    assert crypto_floor.main(["--rounds", "1", "--calls", "1"]) == 0


@pytest.mark.live
def test_roundtrip(capsys: pytest.CaptureFixture[str]) -> None:
    code = roundtrip.main(["--requests", "40", "--rounds", "1", "--warmup", "10", "--concurrency", "4"])
    ran(capsys, code, "round 1 bare", "round 1 kix", "medians over 1 rounds", "  kix ", "vs bare: req/s")


@pytest.mark.live
def test_records(capsys: pytest.CaptureFixture[str]) -> None:
    tiny = ["--requests", "30", "--seconds", "5", "--rounds", "1", "--warmup", "5", "--concurrency", "4"]
    code = records.main([*tiny, "--scale", "300", "--pages", "2", "--scale-rounds", "2"])
    report = ["round 1 create", "round 1 list-filtered", "medians over 1 rounds", "Alerts created in all"]
    report += ["loaded 300 records", "list latency at scale", "EXPLAIN QUERY PLAN of the list query"]
    ran(capsys, code, *report)


@pytest.mark.live
@needs_postgres
def test_records_at_scale_on_postgres(capsys: pytest.CaptureFixture[str]) -> None:
    options = ["--postgres", "--postgres-url", str(POSTGRES_URL), "--database", SCRATCH, "--skip-throughput"]
    code = records.main([*options, "--scale", "300", "--pages", "2", "--scale-rounds", "2"])
    ran(capsys, code, "300 alerts on PostgreSQL", "list latency at scale", "EXPLAIN (ANALYZE, BUFFERS)")


@pytest.mark.live
def test_matching(capsys: pytest.CaptureFixture[str]) -> None:
    tiny = ["--scale", "200", "--queries", "6", "--seconds", "5", "--warmup", "2", "--concurrency", "2"]
    code = matching.main([*tiny, "--ops", "20", "--rounds", "2"])
    report = ["blind-index selectivity", "POST /v1/matches through the full stack", "run_match in process"]
    report += ["where the time goes", "EXPLAIN QUERY PLAN: candidates", "encryption at rest", "create_record"]
    ran(capsys, code, *report)


@pytest.mark.live
@needs_postgres
def test_matching_on_postgres(capsys: pytest.CaptureFixture[str]) -> None:
    options = ["--postgres", "--postgres-url", str(POSTGRES_URL), "--database", SCRATCH, "--skip-at-rest"]
    code = matching.main([*options, "--scale", "150", "--queries", "3", "--seconds", "5", "--warmup", "1"])
    report = (
        "150 suspects and 150 leads on PostgreSQL",
        "run_match in process",
        "EXPLAIN (ANALYZE, BUFFERS)",
    )
    ran(capsys, code, *report)


def test_bulk_loader_writes_what_create_record_writes(db: Database) -> None:
    vault = Vault(StorageKeys.generate())
    with db.transaction() as session:
        add_directory(session)
    maker = BodyMaker(random.Random(3))  # noqa: S311 - synthetic data
    owner, now = "fr-ocrb", datetime.now(UTC)
    raw = maker.suspect() | {"rules": maker.rules(owner, {"mode": "groups", "groups": ["fiu-network"]})}
    data = validated(SUSPECTS.create, raw)
    with db.transaction() as session:
        created = create_record(session, SUSPECTS, Actor(owner, LOADER_ACTOR), data, vault, now=now).id
    with BulkLoader(db, vault, chunk=2) as loader:
        loaded = loader.add(SUSPECTS, owner, data, created=now).record.id
        lead = validated(LEADS.create, maker.lead() | {"rules": maker.rules(owner, {"mode": "all_members"})})
        linked = loader.add(LEADS, owner, lead, created=now, links=[loaded]).record.id
        for _ in range(3):
            loader.add(LEADS, owner, lead, created=now)
    assert loader.stats.records == {"suspect": 1, "lead": 4}
    assert loader.stats.rows["record_links"] == 1

    with db.sessions() as session:
        made, bulk = (get_visible(session, SUSPECTS, owner, record_id) for record_id in (created, loaded))
        columns = [c.key for c in Record.__table__.columns if c.key not in ("id", "body", "data_key")]
        assert {c: getattr(made, c) for c in columns} == {c: getattr(bulk, c) for c in columns}
        assert current_body(made, vault) == current_body(bulk, vault)
        for model, fields in (
            (RecordGrant, ("grantee_type", "grantee_id")),
            (BlindIndex, ("term", "digest")),
        ):
            rows = [
                set(
                    session.execute(
                        select(*(getattr(model, f) for f in fields)).where(model.record_id == rid)
                    )
                )
                for rid in (created, loaded)
            ]
            assert rows[0] == rows[1] != set()
        revisions = session.scalars(select(RecordRevision).where(RecordRevision.record_id == loaded)).all()
        assert [(r.version, r.changed_by, r.actor) for r in revisions] == [(1, owner, LOADER_ACTOR)]
        # The link reads the same from either end.
        from_lead = list_records(
            session, LEADS, owner, RecordFilters(linked=loaded), sort="recent", after=None, limit=10
        )
        from_suspect = list_records(
            session, SUSPECTS, owner, RecordFilters(linked=linked), sort="recent", after=None, limit=10
        )
        assert ([r.id for r in from_lead], [r.id for r in from_suspect]) == ([linked], [loaded])
