"""Purge: a purged record leaves every list, count, cursor, link and match, answers 410 at its own address
to its former audience, and leaves no copy of its content anywhere in the database."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, select, text

from app.client import KixProblem
from app.clock import ShiftedClock
from app.config import sqlite_path
from app.db import Database
from app.scheduler import Scheduler
from app.services.vault import Vault
from tests.conftest import Member
from tests.records_data import alert, lead, rules, suspect


def _status(call: Any, *args: Any, **kwargs: Any) -> int:
    try:
        call(*args, **kwargs)
    except KixProblem as problem:
        return problem.status
    return 200


@pytest.fixture
def trio(enrol: Any) -> tuple[Member, Member, Member]:
    return enrol("it-dcsa"), enrol("de-bka"), enrol("fr-ocrb")


def test_finding_02_a_purged_record_leaves_every_list_and_only_its_address_says_410(
    trio: tuple[Member, Member, Member],
) -> None:
    owner, partner, outsider = trio
    to_partner = rules(mode="agencies", agencies=["de-bka"])
    keep = [owner.client.create_record("alerts", alert(rules=to_partner))["id"] for _ in range(3)]
    doomed = owner.client.create_record("alerts", alert(rules=to_partner))["id"]
    hub = owner.client.create_record("suspects", suspect(links=[*keep, doomed], rules=to_partner))["id"]
    page = partner.client.list_records("alerts", limit=2)  # a cursor taken before the purge
    owner.client.withdraw_record("alerts", doomed, "mistaken identity")
    owner.client.purge_record("alerts", doomed)

    for member in (owner, partner):
        client = member.client
        listed = [item["id"] for item in client.list_records("alerts")["items"]]
        assert listed == list(reversed(keep)), "no purged row, and no 410 for the whole page"
        assert [item["id"] for item in client.list_records("alerts", sort="urgency")["items"]] == list(
            reversed(keep)
        )
        assert client.count_records("alerts")["count"] == 3
        assert sorted(i["id"] for i in client.list_records("alerts", linked=hub)["items"]) == sorted(keep)
        assert client.list_records("suspects", linked=doomed)["items"] == []
        assert doomed not in client.get_record("suspects", hub)["links"]
        assert _status(client.get_record, "alerts", doomed) == 410
        for sub in (client.record_revisions, client.contributions, client.links):
            assert _status(sub, "alerts", doomed) == 404
    rest = partner.client.list_records("alerts", limit=2, cursor=page["page"]["next_cursor"])
    assert [item["id"] for item in rest["items"]] == [keep[1], keep[0]]
    # To an agency that never could see it, a purged record is as unknown as ever.
    assert _status(outsider.client.get_record, "alerts", doomed) == 404


def test_finding_02_purged_records_are_never_matched(trio: tuple[Member, Member, Member]) -> None:
    owner, partner, _ = trio
    record = owner.client.create_record("leads", lead())
    assert partner.client.match({"accounts": ["DE89370400440532013000"]})["references"] != []
    owner.client.purge_record("leads", record["id"])
    answer = partner.client.match({"accounts": ["DE89370400440532013000"]})
    assert (answer["references"], answer["hits"]) == ([], [])


MARKERS = {
    "victim": "Zoltana Purgewicz",
    "locality": "Villapurgata",
    "modus": "Taken at the Purgatorio roundabout",
    "case": "PURGE-CASE-4711",
    "contribution": "Seen at the purge-test harbour",
    "share": "purge-share-reason",
    "decision": "purge-decision-reason",
    "withdrawal": "purge-withdrawal-reason",
}


def _all_text(db: Database) -> str:
    """Every value of every row of every table, as text."""
    metadata = MetaData()
    metadata.reflect(db.engine)
    lines = []
    with db.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                lines.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(lines)


def test_finding_03_purge_destroys_every_copy(
    trio: tuple[Member, Member, Member], db: Database, settings: Any
) -> None:
    owner, partner, outsider = trio
    body = alert(
        victim={"name": MARKERS["victim"], "sex": "female"},
        place={"country": "IT", "locality": MARKERS["locality"]},
        modus_operandi=MARKERS["modus"],
        rules=rules(mode="agencies", agencies=["de-bka"]) | {"case_ref": MARKERS["case"]},
    )
    record = owner.client.create_record("alerts", body, idempotency_key="purge-key-1")
    partner.client.get_record("alerts", record["id"])
    partner.client.contribute("alerts", record["id"], "sighting", MARKERS["contribution"])
    asked = partner.client.ask_onward_sharing("alerts", record["id"], "fr-ocrb", MARKERS["share"])
    owner.client.decide_onward_sharing("alerts", record["id"], asked["id"], True, MARKERS["decision"])
    owner.client.update_record("alerts", record["id"], {"urgency": "low"}, etag=record["etag"])
    owner.client.withdraw_record("alerts", record["id"], MARKERS["withdrawal"])
    before = _all_text(db)
    assert record["id"] in before

    owner.client.purge_record("alerts", record["id"])

    after = _all_text(db)
    for name, marker in MARKERS.items():
        assert marker not in after, f"the {name} survived the purge"
    with db.engine.connect() as connection:
        count = lambda sql: connection.execute(text(sql), {"id": record["id"]}).scalar()  # noqa: E731
        assert count("SELECT count(*) FROM record_revisions WHERE record_id = :id") == 0
        assert count("SELECT count(*) FROM contributions WHERE record_id = :id") == 0
        assert count("SELECT count(*) FROM blind_indexes WHERE record_id = :id") == 0
        assert count("SELECT count(*) FROM idempotency_keys WHERE resource_id = :id") == 0
        assert count("SELECT count(*) FROM notices WHERE record_id = :id AND message IS NOT NULL") == 0
        notes = "SELECT count(*) FROM workflow_transitions WHERE item_id = :item AND note IS NOT NULL"
        assert connection.execute(text(notes), {"item": asked["id"]}).scalar() == 0
    # Who was told, who asked what when, stays for the audit; the texts read as purged.
    notice = partner.client.notices("alerts")["items"][-1]
    assert (notice["kind"], notice["message"]) == (
        "withdrawal",
        "[purged: the record's data key is destroyed]",
    )
    path = sqlite_path(settings.database_url)
    if path is not None:  # and the embedded database file holds no trace either (secure_delete)
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        raw = b"".join(p.read_bytes() for p in Path(path).parent.glob(Path(path).name + "*"))
        for name in ("victim", "locality", "modus", "contribution", "share"):
            assert MARKERS[name].encode() not in raw, f"the {name} is still in the database file"
    # A retry with the same key after the purge does not bring the record back: it creates a new one.
    again = owner.client.create_record("alerts", alert(), idempotency_key="purge-key-1")
    assert again["id"] != record["id"]


def test_idempotent_answers_expire_and_are_swept(
    trio: tuple[Member, Member, Member], db: Database, settings: Any, clock: ShiftedClock, vault: Vault
) -> None:
    owner = trio[0]
    body = alert()
    first = owner.client.create_record("alerts", body, idempotency_key="expiring")
    assert owner.client.create_record("alerts", body, idempotency_key="expiring")["id"] == first["id"]
    clock.advance(settings.idempotency_ttl + timedelta(seconds=1))
    # Expired: the key is free again, even before the sweep.
    assert owner.client.create_record("alerts", body, idempotency_key="expiring")["id"] != first["id"]
    owner.client.create_record("alerts", alert(), idempotency_key="another")
    clock.advance(settings.idempotency_ttl + timedelta(seconds=1))
    done = Scheduler(db, settings, clock).run_due()
    assert done["idempotency-expiry"] == 2
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM idempotency_keys")).scalar() == 0
