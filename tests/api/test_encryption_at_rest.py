"""Encryption at rest: planted secrets never reach the database in clear, a tampered or swapped ciphertext
is refused (never wrong data), the master key can be rotated while serving and the old one destroyed,
and a purged record is unreadable for good."""

import shutil
import sqlite3
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from app.cli import cli
from app.client import KixProblem
from app.config import Settings
from app.crypto.storage_keys import FileKeySource, StorageKeys
from app.db import Database
from app.main import create_app
from app.models import Record
from app.services.vault.custody import WrongMasterKey
from tests.conftest import Member
from tests.records_data import alert, lead, rules, suspect

VICTIM = "Zoraida Quintanilla-Etxeberria"
SUSPECT = "Bartholomew Okonkwo-Vasquez"
PASSPORT = "QX9182736"
IBAN = "DE89370400440532013000"
SECRET_NOTE = "informant lives above the Farmacia Centrale"


def _dump(database_url: str) -> str:
    """Everything the database holds, as text: `sqlite3 kix.db .dump`, or pg_dump."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(str(url.database))
        try:
            return "\n".join(connection.iterdump())
        finally:
            connection.close()
    pg_dump = shutil.which("pg_dump") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))), None
    )
    assert pg_dump, "pg_dump is needed for this test"
    command = [
        str(pg_dump),
        "--data-only",
        "-h",
        url.host or "127.0.0.1",
        "-U",
        url.username or "postgres",
        str(url.database),
    ]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_planted_secrets_are_not_in_the_database(enrol: Any, settings: Settings) -> None:
    owner: Member = enrol("it-dcsa")
    partner: Member = enrol("de-bka")
    body = alert(victim={"name": VICTIM, "sex": "female"}, modus_operandi=f"Seen with {SUSPECT}")
    created = owner.client.create_record("alerts", body, idempotency_key="plant-1")
    documents = [{"kind": "passport", "number": PASSPORT, "issuing_country": "NG"}]
    owner.client.create_record("suspects", suspect(names=[{"full_name": SUSPECT}], documents=documents))
    owner.client.create_record("leads", lead(identifiers={"iban": IBAN}))
    partner.client.get_record("alerts", created["id"])
    partner.client.contribute("alerts", created["id"], "note", SECRET_NOTE)
    owner.client.update_record("alerts", created["id"], {"urgency": "low"}, etag=created["etag"])
    owner.client.withdraw_record("alerts", created["id"], f"{VICTIM} found safe")
    # Through the API, everything still reads.
    assert owner.client.get_record("alerts", created["id"])["victim"]["name"] == VICTIM
    assert owner.client.contributions("alerts", created["id"])["items"][0]["text"] == SECRET_NOTE

    dump = _dump(settings.database_url)
    for planted in (
        VICTIM,
        "Quintanilla",
        SUSPECT,
        "Okonkwo",
        PASSPORT,
        IBAN,
        "370400440532013000",
        SECRET_NOTE,
        "Farmacia",
    ):
        assert planted not in dump, f"{planted!r} is stored in clear"
    assert created["id"] in dump  # the dump is real: it holds the records' metadata


def _first_two(db: Database) -> tuple[Record, Record]:
    with db.sessions() as session:
        first, second = session.scalars(
            select(Record).where(Record.kind == "alert").order_by(Record.id)
        ).all()[:2]
    return first, second


@pytest.mark.parametrize("what", ["victim swapped between records", "ciphertext edited", "data keys swapped"])
def test_tampered_rows_fail_closed(enrol: Any, db: Database, what: str) -> None:
    owner: Member = enrol("it-dcsa")
    owner.client.create_record("alerts", alert(victim={"name": "First Victim"}))
    owner.client.create_record("alerts", alert(victim={"name": "Second Victim"}))
    first, second = _first_two(db)
    with db.transaction() as session:
        if what == "victim swapped between records":
            session.execute(
                update(Record)
                .where(Record.id == first.id)
                .values(body=first.body | {"victim": second.body["victim"]})
            )
        elif what == "ciphertext edited":
            token = first.body["victim"]
            edited = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
            session.execute(
                update(Record).where(Record.id == first.id).values(body=first.body | {"victim": edited})
            )
        else:
            session.execute(update(Record).where(Record.id == first.id).values(data_key=second.data_key))
    with pytest.raises(KixProblem) as caught:
        owner.client.get_record("alerts", first.id)
    assert (caught.value.status, caught.value.type) == (500, "urn:kix:problem:data-integrity")
    assert "Victim" not in str(caught.value.problem)
    assert owner.client.get_record("alerts", second.id)["victim"]["name"] == "Second Victim"


def test_a_wrong_master_key_is_refused_at_start(settings: Settings, db: Database, enrol: Any) -> None:
    enrol("it-dcsa").client.create_record("alerts", alert())
    source = FileKeySource(settings.keys_dir)
    right = source.load()
    source.save(StorageKeys.generate())  # someone restores the wrong key file
    with pytest.raises(WrongMasterKey):
        create_app(settings, database=db)
    source.save(right)
    create_app(settings, database=db)


def test_rotate_master_while_serving_then_destroy_the_old_key(
    enrol: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch, app: Any, db: Database
) -> None:
    owner: Member = enrol("it-dcsa")
    ids = [
        owner.client.create_record("alerts", alert(victim={"name": f"Victim {i}"}))["id"] for i in range(30)
    ]
    # Every table with a data key, not only records: a crisis room and a joint case must survive too.
    room = owner.client.open_crisis(ids[0], [])
    case = owner.client.open_case("Operation Rotation", summary="Sealed under its own data key")
    app.state.vault.refresh_seconds = 0  # pick up the new key file at once (default: within 10 s)
    monkeypatch.setenv("KIX_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KIX_KEYS_DIR", str(settings.keys_dir))
    failures: list[BaseException] = []
    stop = threading.Event()

    def keep_serving() -> None:
        while not stop.is_set():
            try:
                owner.client.get_record("alerts", ids[0])
                ids.append(
                    owner.client.create_record("alerts", alert(victim={"name": "During rotation"}))["id"]
                )
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)
                return

    worker = threading.Thread(target=keep_serving)
    worker.start()
    try:
        result = CliRunner().invoke(cli, ["keys", "rotate-master"])
        assert result.exit_code == 0, result.output
    finally:
        stop.set()
        worker.join()
    assert failures == []
    dropped = CliRunner().invoke(cli, ["keys", "drop-master", "--version", "1"])
    assert dropped.exit_code == 0, dropped.output
    keys = FileKeySource(settings.keys_dir).load()
    assert sorted(keys.master.versions) == [2]
    for record_id in ids:
        assert owner.client.get_record("alerts", record_id)["victim"] is not None
    with db.engine.connect() as connection:  # no data key of any table is left under the dropped key
        for table in ("records", "crisis_rooms", "joint_cases"):
            keys_left = connection.execute(text(f"SELECT data_key FROM {table}")).scalars().all()  # noqa: S608
            assert keys_left, table
            assert all(key.startswith("k2.") for key in keys_left), table
    owner.client.add_crisis_entry(room["id"], "note", "still readable")
    assert owner.client.crisis(room["id"])["entries"][0]["text"] == "still readable"
    assert owner.client.get_case(case["id"])["summary"] == "Sealed under its own data key"


def test_purge_destroys_the_data_key(enrol: Any, db: Database) -> None:
    owner: Member = enrol("it-dcsa")
    partner: Member = enrol("de-bka")
    created = owner.client.create_record("alerts", alert(rules=rules()))
    with pytest.raises(KixProblem) as refused:
        partner.client.purge_record("alerts", created["id"])
    assert refused.value.status == 403
    assert owner.client.purge_record("alerts", created["id"])["status"] == "purged"
    with db.sessions() as session:
        row = session.get(Record, created["id"])
        assert row is not None
        assert row.data_key is None
        assert (row.body, row.purged_at is not None) == ({}, True)  # not even ciphertext is left
    for client in (owner.client, partner.client):
        with pytest.raises(KixProblem) as gone:
            client.get_record("alerts", created["id"])
        assert gone.value.status == 410
