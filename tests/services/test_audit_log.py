"""The audit log's stored Merkle tree and its verifier, on SQLite and PostgreSQL: roots and proofs read
from the database against independent implementations, tampering of every kind named by `kix audit
verify`, and gap-free numbering under concurrent writers and sequencers."""

import json
import random
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pymerkle  # type: ignore[import-untyped]  # ships no type information
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, text, update
from typer.testing import CliRunner

from app.cli import cli
from app.crypto.keys import KeyPair
from app.crypto.keystore import load_server_keys
from app.crypto.merkle import MerkleTree, leaf_hash, verify_consistency, verify_inclusion
from app.db import Database
from app.models import AuditEntry, AuditNode, AuditTreeHead
from app.models.audit import entry_fields
from app.services.audit import tree
from app.services.audit.log import EntryDraft, append, entry_bytes, sequence, sequence_batch
from app.services.audit.verify import verify
from tests.conftest import POSTGRES_URL

SIZE = 300


def _draft(number: int, agency: str = "it-dcsa") -> EntryDraft:
    return EntryDraft(
        at=datetime.now(UTC),
        agency_id=agency,
        kid=f"k-{agency}",
        actor="analyst-1",
        method="GET",
        route="/v1/alerts/{record_id}",
        status=200,
        records=frozenset({f"0000{number:04d}-0000-7000-8000-000000000000"}),
        request_id=f"request-{number}",
        signature_sha256=f"{number:064x}",
    )


def _write(db: Database, count: int, start: int = 0) -> None:
    with db.transaction() as session:
        for number in range(start, start + count):
            append(session, _draft(number))


def _entry_bytes_in_order(db: Database) -> list[bytes]:
    with db.sessions() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq))
        return [entry_bytes(row, int(row.seq)) for row in rows if row.seq is not None]


@pytest.fixture
def server_key() -> KeyPair:
    return KeyPair.generate()


@pytest.fixture
def sequenced(db: Database, server_key: KeyPair) -> list[bytes]:
    """SIZE entries, sequenced in batches of uneven sizes (so the tree grows across every shape)."""
    _write(db, SIZE)
    for batch in (1, 2, 7, 64, 1, 100, 5000):
        with db.transaction() as session:
            sequence_batch(session, server_key, datetime.now(UTC), batch)
    return _entry_bytes_in_order(db)


def test_stored_roots_and_proofs_match_independent_implementations(
    db: Database, sequenced: list[bytes]
) -> None:
    assert len(sequenced) == SIZE
    theirs = pymerkle.InmemoryTree(algorithm="sha256")
    reference = MerkleTree()
    rng = random.Random(9162)  # noqa: S311 - a reproducible sample
    with db.sessions() as session:
        for size, entry in enumerate(sequenced, start=1):
            theirs.append_entry(entry)
            reference.append(leaf_hash(entry))
            stored_root = tree.root(session, size)
            assert stored_root == theirs.get_root(size) == reference.root(size), size
            for index in {0, size - 1, rng.randrange(size)}:
                proof = tree.inclusion_proof(session, index, size)
                assert proof == reference.inclusion_proof(index, size), (index, size)
                assert proof == theirs.prove_inclusion(index + 1, size).path[1:]
                assert verify_inclusion(reference.levels[0][index], index, size, proof, stored_root)
            for old in {1, size // 2, rng.randint(1, size)}:
                proof = tree.consistency_proof(session, old, size)
                assert proof == reference.consistency_proof(old, size), (old, size)
                assert verify_consistency(old, size, tree.root(session, old), stored_root, proof)
        heads = list(session.scalars(select(AuditTreeHead).order_by(AuditTreeHead.size)))
    assert [head.size for head in heads] == [1, 3, 10, 74, 75, 175, 300]
    assert all(head.root == theirs.get_root(head.size) for head in heads)


def test_an_untouched_log_verifies(db: Database, sequenced: list[bytes], server_key: KeyPair) -> None:
    with db.sessions() as session:
        report = verify(session, {server_key.kid: server_key.signing.public_key()})
    assert (report.ok, report.entries, report.heads) == (True, SIZE, 7)


def _findings(db: Database, server_key: KeyPair) -> list[str]:
    with db.sessions() as session:
        return [
            str(finding)
            for finding in verify(session, {server_key.kid: server_key.signing.public_key()}).findings
        ]


def test_an_edited_entry_is_named(db: Database, sequenced: list[bytes], server_key: KeyPair) -> None:
    with db.transaction() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 137).values(actor="someone-else"))
    assert _findings(db, server_key)[0].startswith("entry 137 edited")


def test_a_removed_entry_is_named(db: Database, sequenced: list[bytes], server_key: KeyPair) -> None:
    with db.transaction() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 42))
    assert _findings(db, server_key)[0].startswith("entry 42 removed")
    with db.transaction() as session:  # the newest entries, which no later entry betrays: the heads do
        session.execute(delete(AuditEntry).where(AuditEntry.seq >= 290))
    assert any(finding.startswith("entries 290-299 removed") for finding in _findings(db, server_key))


def test_an_inserted_entry_is_named(db: Database, sequenced: list[bytes], server_key: KeyPair) -> None:
    with db.transaction() as session:  # make room at 200, then put a well-formed entry there
        session.execute(update(AuditEntry).where(AuditEntry.seq >= 200).values(seq=AuditEntry.seq + 10_000))
        session.execute(
            update(AuditEntry).where(AuditEntry.seq >= 10_200).values(seq=AuditEntry.seq - 10_000 + 1)
        )
        forged = _draft(9999, agency="fr-ocrb")
        session.execute(
            insert(AuditEntry).values(
                txid=0,
                seq=200,
                at=forged.at,
                agency_id=forged.agency_id,
                kid=forged.kid,
                actor=forged.actor,
                method=forged.method,
                route=forged.route,
                status=forged.status,
                records=sorted(forged.records),
                request_id=forged.request_id,
                signature_sha256=forged.signature_sha256,
            )
        )
        row = session.scalars(select(AuditEntry).where(AuditEntry.seq == 200)).one()
        row.leaf = leaf_hash(entry_bytes(row, 200))
    assert _findings(db, server_key)[0].startswith("entry 200 inserted")


def test_reordered_entries_are_named(db: Database, sequenced: list[bytes], server_key: KeyPair) -> None:
    with db.transaction() as session:  # swap 70 and 71
        session.execute(update(AuditEntry).where(AuditEntry.seq == 70).values(seq=-1))
        session.execute(update(AuditEntry).where(AuditEntry.seq == 71).values(seq=70))
        session.execute(update(AuditEntry).where(AuditEntry.seq == -1).values(seq=71))
    assert _findings(db, server_key)[0].startswith("entry 70 reordered: it was entry 71")


def test_a_rewrite_that_recomputes_the_tree_is_caught_by_the_signed_heads(
    db: Database, sequenced: list[bytes], server_key: KeyPair
) -> None:
    """An operator who edits an entry and recomputes its leaf and every node still cannot match the
    roots the server signed."""
    with db.transaction() as session:
        row = session.scalars(select(AuditEntry).where(AuditEntry.seq == 150)).one()
        row.status = 404
        row.leaf = leaf_hash(entry_bytes(row, 150))
        session.execute(delete(AuditNode))
        stored = session.scalars(select(AuditEntry.leaf).order_by(AuditEntry.seq))
        compact = tree.CompactRange()
        made = [node for leaf in stored if leaf is not None for node in compact.append(leaf)]
        nodes = [{"level": level, "index": index, "hash": digest} for (level, index), digest in made]
        session.execute(insert(AuditNode), nodes)
    findings = _findings(db, server_key)
    assert findings[0].startswith(
        "the log differs from the signed tree head of size 175: an entry from 75 to 174"
    )


def test_kix_audit_verify_exits_non_zero_and_names_the_entry(
    db: Database, sequenced: list[bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys_dir = tmp_path / "cli-keys"
    server_key = load_server_keys(keys_dir, create=True)[0]
    with db.transaction() as session:  # re-sign every head with the key the CLI will read
        session.execute(delete(AuditTreeHead))
    _write(db, 3, start=SIZE)
    sequence(db, server_key, datetime.now(UTC))
    monkeypatch.setenv("KIX_DATABASE_URL", db.url)
    monkeypatch.setenv("KIX_KEYS_DIR", str(keys_dir))
    runner = CliRunner()
    clean = runner.invoke(cli, ["audit", "verify"])
    assert clean.exit_code == 0, clean.output
    assert f"{SIZE + 3} entries, 1 signed tree heads: ok" in clean.output
    with db.transaction() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 7).values(route="/v1/whoami"))
    tampered = runner.invoke(cli, ["audit", "verify"])
    assert tampered.exit_code == 1
    assert "TAMPERED: entry 7 edited" in tampered.output


@pytest.mark.skipif(POSTGRES_URL is None, reason="needs PostgreSQL (KIX_TEST_POSTGRES_URL)")
def test_concurrent_writers_and_sequencers_number_entries_gap_free_in_commit_order(
    db: Database, server_key: KeyPair
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL variant of this test")
    writers, per_writer = 4, 30
    done = threading.Event()
    errors: list[BaseException] = []
    committed: dict[int, list[str]] = {writer: [] for writer in range(writers)}

    def write(writer: int) -> None:
        rng = random.Random(writer)  # noqa: S311 - test timing
        try:
            for number in range(per_writer):
                draft = _draft(writer * 1000 + number, agency=f"agency-{writer}")
                with db.transaction() as session:
                    append(session, draft)
                    # Hold some transactions open so that later ones commit first.
                    time.sleep(rng.choice((0, 0, 0.002, 0.02)))
                committed[writer].append(draft.request_id)
        except BaseException as exc:  # reported below
            errors.append(exc)

    def sequence_until_done() -> None:
        try:
            while not done.is_set():
                sequence(db, server_key, datetime.now(UTC))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(writers)]
    sequencers = [threading.Thread(target=sequence_until_done) for _ in range(2)]
    for thread in threads + sequencers:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    done.set()
    for thread in sequencers:
        thread.join(timeout=60)
    assert not errors, errors[0]
    sequence(db, server_key, datetime.now(UTC))
    with db.sessions() as session:
        rows = session.execute(select(AuditEntry.seq, AuditEntry.request_id).order_by(AuditEntry.seq)).all()
        heads = session.scalar(text("SELECT count(*) FROM audit_tree_heads"))
        report = verify(session, {server_key.kid: server_key.signing.public_key()})
    assert [seq for seq, _ in rows] == list(range(writers * per_writer))  # gap-free, each once
    position = {request_id: int(seq) for seq, request_id in rows if seq is not None}
    for writer, request_ids in committed.items():  # each writer's entries in the order it committed them
        assert [position[request_id] for request_id in request_ids] == sorted(
            position[request_id] for request_id in request_ids
        ), writer
    assert report.ok, report.findings
    assert (heads or 0) > 1


@given(
    seq=st.integers(min_value=0, max_value=2**62),
    text=st.text(max_size=40),
    records=st.lists(st.text(max_size=36), max_size=5),
    status=st.integers(min_value=100, max_value=599),
    moment=st.datetimes(timezones=st.just(UTC)),
)
def test_the_fast_canonical_form_is_exactly_canonical_json(
    seq: int, text: str, records: list[str], status: int, moment: datetime
) -> None:
    """The leaf bytes, built by hand for speed, are json.dumps of the entry's fields with sorted keys."""
    draft = _draft(1)
    row = AuditEntry(
        at=moment,
        agency_id=text,
        kid=draft.kid,
        actor=text[::-1],
        method="GET",
        route=draft.route,
        status=status,
        records=records,
        request_id=draft.request_id,
        signature_sha256=draft.signature_sha256,
    )
    expected = json.dumps(entry_fields(row, seq), sort_keys=True, separators=(",", ":")).encode()
    assert entry_bytes(row, seq) == expected


def test_verifying_in_several_processes_finds_the_same(
    db: Database, sequenced: list[bytes], server_key: KeyPair, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.services.audit.verify.PARALLEL_FROM", 10)
    keys = {server_key.kid: server_key.signing.public_key()}
    with db.sessions() as session:
        report = verify(session, keys, database_url=db.url, workers=2)
    assert (report.ok, report.entries) == (True, SIZE)
    with db.transaction() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 211).values(status=201))
        session.execute(update(AuditEntry).where(AuditEntry.seq == 70).values(seq=-1))
        session.execute(update(AuditEntry).where(AuditEntry.seq == 71).values(seq=70))
        session.execute(update(AuditEntry).where(AuditEntry.seq == -1).values(seq=71))
    with db.sessions() as session:
        findings = verify(session, keys, database_url=db.url, workers=2).findings
    assert str(findings[0]).startswith("entry 70 reordered: it was entry 71")


def test_entries_with_any_characters_verify_on_every_backend(db: Database, server_key: KeyPair) -> None:
    """On PostgreSQL the database hashes printable-ASCII entries itself; others are hashed in Python.
    Both must give the leaves the sequencer stored, and an edit of either kind is still caught."""
    with db.transaction() as session:
        append(session, _draft(1))
        odd = replace(_draft(2), actor='Zoë "Z" \\ O\\u0001', route="/v1/tab\there")
        append(session, odd)
        append(session, _draft(3))
    sequence(db, server_key, datetime.now(UTC))
    keys = {server_key.kid: server_key.signing.public_key()}
    with db.sessions() as session:
        assert verify(session, keys, database_url=db.url, workers=2).ok
    with db.transaction() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 1).values(actor="Zoe"))
    with db.sessions() as session:
        findings = verify(session, keys, database_url=db.url, workers=2).findings
    assert str(findings[0]).startswith("entry 1 edited")
