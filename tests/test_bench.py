"""The benchmarks (bench/) still run: each scenario once at a tiny size, on SQLite (and the at-scale parts
on PostgreSQL too when KIX_TEST_POSTGRES_URL is set). Only that a scenario ran and printed its report is
checked, never a figure; and that the bulk loaders write what create_record and the outbox write."""

import os
import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.crypto.storage_keys import StorageKeys
from app.db import Database
from app.demo import add_directory
from app.ids import uuid7
from app.models import BlindIndex, Event, Record, RecordGrant, RecordRevision
from app.schemas.common import Scope
from app.services.events import feed
from app.services.events.fanout import fan_out
from app.services.records.creation import create_record
from app.services.records.disclosure import current_body
from app.services.records.kinds import ALERTS, LEADS, SUSPECTS
from app.services.records.queries import RecordFilters, list_records
from app.services.records.store import Actor, get_visible
from app.services.vault import Vault
from bench.__main__ import main as bench_main
from bench.data.bodies import AGENCY_IDS, BodyMaker, validated
from bench.loaders import LOADER_ACTOR, BulkLoader
from bench.scenarios import analysis, audit, batch, crypto_floor, events, matching, peer, records, roundtrip
from bench.scenarios.events_data import WITH_RECORD, EventLoader, record_payloads, seal_payload
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
    assert "roundtrip,crypto-floor,records,matching,events,audit,analysis,batch,peer" in out
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
    report = ["round 1 bare POST", "round 1 kix GET", "medians over 1 rounds", "vs bare POST: req/s"]
    ran(
        capsys,
        code,
        *report,
        "against the limit",
        "of it (goal >= 0.7",
        "peak resident memory of one worker: KIX",
    )


@pytest.mark.live
def test_batch(capsys: pytest.CaptureFixture[str]) -> None:
    code = batch.main(["--alerts", "30", "--batch-size", "10", "--singles", "5"])
    ran(capsys, code, "batch ingest on SQLite: 30 alerts in 3 batches of up to 10", "one call each")


PEER_TINY = ["--objects", "60", "--requests", "20", "--seconds", "5", "--rounds", "1", "--warmup", "3"]
PEER_TINY += ["--concurrency", "4", "--skip-medallion"]
PEER_REPORT = [
    "round 1 peer create",
    "round 1 kix page",
    "KIX against the peer (goal: >= 0.8x",
    "get     peer",
]


@pytest.mark.live
def test_peer(capsys: pytest.CaptureFixture[str]) -> None:
    ran(capsys, peer.main([*PEER_TINY, "--sqlite"]), "60 alerts for each server (SQLite)", *PEER_REPORT)


@pytest.mark.live
@needs_postgres
def test_peer_on_postgres(capsys: pytest.CaptureFixture[str]) -> None:
    options = ["--postgres-url", str(POSTGRES_URL), "--database", SCRATCH]
    ran(capsys, peer.main([*PEER_TINY, *options]), "60 alerts for each server (PostgreSQL)", *PEER_REPORT)


@pytest.mark.live
def test_records(capsys: pytest.CaptureFixture[str]) -> None:
    tiny = ["--requests", "30", "--seconds", "5", "--rounds", "1", "--warmup", "5", "--concurrency", "4"]
    code = records.main([*tiny, "--scale", "300", "--pages", "2", "--scale-rounds", "2"])
    report = ["round 1 create", "round 1 list-filtered", "medians over 1 rounds", "Alerts created in all"]
    report += ["loaded 300 records", "list latency at scale", "counts and single alerts at scale"]
    report += ["EXPLAIN QUERY PLAN of the list query", "peak resident memory of one KIX worker"]
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


# The events scenario at a tiny size: parts 1 and 2 through the full stack, parts 2 and 3 in process.
TINY_FEED = "--events 300 --pages 2 --walk-rounds 1 --requests 5 --rounds 1 --trace-runs 2".split()
TINY_OUTBOX_AND_WEBHOOKS = "--creates 4 --requests 5 --rounds 1 --deliveries 6 --deliverers 2".split()


@pytest.mark.live
def test_events_feed(capsys: pytest.CaptureFixture[str]) -> None:
    code = events.main([*TINY_FEED, "--skip-outbox", "--skip-webhooks"])
    report = [
        "300 events on SQLite",
        "whole feed, from the start",
        "from the start (1 x 2)",
        "feed-caught-up",
    ]
    report += ["where a page's time goes", "EXPLAIN QUERY PLAN of services.events.feed.read"]
    ran(capsys, code, *report)


@pytest.mark.live
def test_events_outbox_and_webhooks(capsys: pytest.CaptureFixture[str]) -> None:
    code = events.main([*TINY_OUTBOX_AND_WEBHOOKS, "--skip-feed"])
    report = ["the outbox's cost on a create, through the full stack", "round 1 no outbox POST"]
    report += ["with the outbox", "server CPU per create"]
    report += ["the outbox's cost on create_record", "session + create + commit", "emit_records_created"]
    report += [
        "1 endpoint, 1 deliverer",
        "4 endpoints, 2 deliverer processes",
        "every delivery received once",
    ]
    report += ["the fan-out, after commit", "24 events a create", "fan-out: changes to events"]
    report += ["post: HTTP exchange (httpx)"]
    ran(capsys, code, *report)


@pytest.mark.live
@needs_postgres
def test_events_on_postgres(capsys: pytest.CaptureFixture[str]) -> None:
    options = ["--postgres", "--postgres-url", str(POSTGRES_URL), "--database", SCRATCH]
    # The full-stack part of the outbox's cost runs on SQLite (above) and, on PostgreSQL, in the audit test's
    # harness (bench/harness/ab.py): here in process only, which is what differs on PostgreSQL (the trigger).
    code = events.main([*options, *TINY_FEED, *TINY_OUTBOX_AND_WEBHOOKS, "--skip-outbox-http"])
    report = ["300 events on PostgreSQL", "distinct txids", "EXPLAIN (ANALYZE, BUFFERS) of services.events"]
    report += ["fan_out (nothing waiting", "(PostgreSQL)", "every delivery received once"]
    ran(capsys, code, *report)


def test_event_loader_writes_what_the_outbox_writes(db: Database) -> None:
    """The events scenario seals what the fan-out seals, and the feed reads its rows in order."""
    vault = Vault(StorageKeys.generate())
    with db.transaction() as session:
        add_directory(session)
    maker = BodyMaker(random.Random(5))  # noqa: S311 - synthetic data
    owner, reader, now = "fr-ocrb", "es-ucic", datetime.now(UTC)
    raw = maker.alert(now, "FR") | {"status": "active", "rules": maker.rules(owner, {"mode": "all_members"})}
    with db.transaction() as session:
        record = create_record(
            session, ALERTS, Actor(owner, LOADER_ACTOR), validated(ALERTS.create, raw), vault, now=now
        )
    fan_out(db, vault)
    scopes = frozenset(scope.value for scope in Scope if scope is not Scope.ADMIN)
    with db.sessions() as session:
        written = session.scalars(select(Event).where(Event.record_id == record.id)).all()
        payloads = record_payloads(session, vault, record)
        assert sorted(event.agency_id for event in written) == sorted(payloads) == sorted(AGENCY_IDS)
        opener = feed.RecordOpener(session, vault, scopes, [record.id])
        for event in written:
            ours = uuid7()
            sealed = seal_payload(vault, record, ours, payloads[event.agency_id])
            theirs = opener.open(event.event_id, record.id, event.sealed_record)
            assert theirs is not None
            assert opener.open(ours, record.id, sealed) == theirs

    stats = EventLoader(db, vault, AGENCY_IDS, seed=1, chunk=50).load(200)
    assert 200 <= sum(stats.rows.values()) < 200 + len(AGENCY_IDS)
    read: list[feed.FeedItem] = []
    position = feed.START
    with db.sessions() as session:
        expected = session.scalars(
            select(Event.event_id).where(Event.agency_id == reader).order_by(Event.txid, Event.id)
        ).all()
        while True:
            items, position = feed.read(session, vault, reader, scopes, position, limit=7)
            read += items
            if not items:
                break
    assert [item.event_id for item in read] == list(expected)
    with_record = {kind.value for kind in WITH_RECORD}
    assert all(isinstance(item.record, dict) for item in read if item.type in with_record)
    assert any(item.type in with_record for item in read[1:])


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


TINY_AUDIT = "--requests 5 --rounds 1 --entries 300 --sequence 40 --proofs 5".split()
AUDIT_REPORT = [
    "audited GET",
    "unaudited POST",
    "POST  p50",
    "inclusion   proof",
    "verify (as kix audit verify)",
]


@pytest.mark.live
def test_audit(capsys: pytest.CaptureFixture[str]) -> None:
    ran(capsys, audit.main(TINY_AUDIT), "SQLite", *AUDIT_REPORT)


@pytest.mark.live
@needs_postgres
def test_audit_on_postgres(capsys: pytest.CaptureFixture[str]) -> None:
    options = ["--postgres", "--postgres-url", str(POSTGRES_URL), "--database", SCRATCH]
    ran(capsys, audit.main([*options, *TINY_AUDIT]), "PostgreSQL", *AUDIT_REPORT)


TINY_ANALYSIS = "--alerts 300 --queries 2 --records 9 --links 6 --graphs 2".split()
ANALYSIS_REPORT = ["alerts by country and quarter, 10 years", "graph: 9 nodes, 6 edges", "goal p95 < 200 ms"]


def test_analysis(capsys: pytest.CaptureFixture[str]) -> None:
    ran(capsys, analysis.main(TINY_ANALYSIS), "SQLite", *ANALYSIS_REPORT)


@pytest.mark.live
@needs_postgres
def test_analysis_on_postgres(capsys: pytest.CaptureFixture[str]) -> None:
    options = ["--postgres", "--postgres-url", str(POSTGRES_URL), "--database", SCRATCH]
    ran(capsys, analysis.main([*options, *TINY_ANALYSIS]), "PostgreSQL", *ANALYSIS_REPORT)
