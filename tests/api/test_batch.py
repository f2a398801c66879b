"""POST /v1/<kind>/batch: many records in one call and one transaction, a result per item; atomic batches
all or nothing; retries with an Idempotency-Key create nothing twice; each created record is announced."""

from typing import Any

import pytest
from sqlalchemy import func, select

from app.client import KixProblem
from app.db import Database
from app.models import AuditEntry, AuditEntryRecord, BlindIndex, Record, RecordGrant, RecordRevision
from tests.conftest import Member
from tests.records_data import alert, rules, suspect


def _records(db: Database) -> int:
    with db.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Record)) or 0)


@pytest.fixture
def pair(enrol: Any) -> tuple[Member, Member]:
    return enrol("it-dcsa"), enrol("de-bka")


def test_valid_items_are_created_and_invalid_ones_answered_with_their_problem(
    pair: tuple[Member, Member], db: Database
) -> None:
    owner, partner = pair
    items = [
        alert(),
        alert(urgency="loud"),  # not an urgency
        alert(rules=rules(mode="agencies", agencies=["xx-nobody"])),  # no such agency
        alert(place={"country": "FR", "region": "Île-de-France"}),
    ]
    answer = owner.client.create_records("alerts", items)
    assert (answer["created"], answer["invalid"]) == (2, 2)
    assert [result["status"] for result in answer["results"]] == ["created", "invalid", "invalid", "created"]
    assert [result["index"] for result in answer["results"]] == [0, 1, 2, 3]
    bad_urgency, unknown_agency = answer["results"][1]["problem"], answer["results"][2]["problem"]
    assert bad_urgency["status"] == 422
    assert bad_urgency["errors"][0]["loc"] == ["urgency"]
    assert "loud" not in str(bad_urgency)  # the rejected value is not echoed back
    assert (unknown_agency["status"], unknown_agency["type"]) == (422, "urn:kix:problem:validation-failed")
    assert "xx-nobody" in unknown_agency["detail"]
    first, last = answer["results"][0], answer["results"][3]
    assert first["etag"] == '"v1"'
    assert partner.client.get_record("alerts", last["id"])["place"]["country"] == "FR"
    assert _records(db) == 2
    # Each created record is announced to its audience, like a single create.
    events = partner.client.feed.iter(follow=False, types=["record.created"])
    created = {event["record_id"] for event in events}
    assert created == {first["id"], last["id"]}


def _rows_of(db: Database, record_id: str) -> dict[str, Any]:
    """What is stored of a record, less what differs between two records made from one body (ids, times,
    the sealed bytes and their key)."""
    with db.sessions() as session:
        record = session.get(Record, record_id)
        assert record is not None
        columns = {
            column: getattr(record, column)
            for column in ("kind", "owner_id", "status", "distribution", "discoverable", "rules", "version")
        }
        grants = session.execute(
            select(RecordGrant.grantee_type, RecordGrant.grantee_id).where(RecordGrant.record_id == record_id)
        )
        revisions = session.execute(
            select(
                RecordRevision.version, RecordRevision.status, RecordRevision.rules, RecordRevision.actor
            ).where(RecordRevision.record_id == record_id)
        )
        index = session.execute(
            select(BlindIndex.term, BlindIndex.digest).where(BlindIndex.record_id == record_id)
        )
        return columns | {
            "sealed fields": sorted(record.body),
            "grants": sorted(map(tuple, grants)),
            "revisions": sorted(map(tuple, revisions)),
            "blind index": sorted(map(tuple, index)),
        }


def test_a_batch_writes_each_record_as_a_single_create_does(
    pair: tuple[Member, Member], db: Database
) -> None:
    """A batch's rows are written in bulk (COPY on PostgreSQL), not through the ORM: the same rows all the
    same, found by hit/no-hit, readable, and listed in the batch's audit entry."""
    owner, partner = pair
    body = suspect(rules=rules(mode="agencies", agencies=["de-bka"]))
    single = owner.client.create_record("suspects", body)["id"]
    answer = owner.client.create_records("suspects", [body, suspect(rules=rules())])
    assert answer["created"] == 2
    batched, other = (result["id"] for result in answer["results"])
    assert _rows_of(db, batched) == _rows_of(db, single)
    assert _rows_of(db, batched)["blind index"]  # names, birth date and document indexed
    with db.sessions() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None
        assert (entry.route, sorted(entry.records)) == ("/v1/suspects/batch", sorted([batched, other]))
        touched = select(AuditEntryRecord.record_id).where(AuditEntryRecord.entry_id == entry.id)
        assert sorted(session.scalars(touched)) == sorted([batched, other])  # each owner's access log

    def as_read(record_id: str) -> dict[str, Any]:
        read = partner.client.get_record("suspects", record_id)
        return {key: value for key, value in read.items() if key not in {"id", "created_at", "updated_at"}}

    assert as_read(batched) == as_read(single)
    assert as_read(batched)["documents"][0]["number"] == "N1234567"
    found = partner.client.match({"documents": ["N1234567"]})
    assert {reference["record_id"] for reference in found["references"]} == {single, batched, other}


def test_an_atomic_batch_with_an_invalid_item_creates_nothing(
    pair: tuple[Member, Member], db: Database
) -> None:
    owner, _ = pair
    with pytest.raises(KixProblem) as refused:
        owner.client.create_records("alerts", [alert(), alert(urgency="loud"), alert()], atomic=True)
    assert refused.value.status == 422
    assert [item["index"] for item in refused.value.problem["items"]] == [1]
    assert _records(db) == 0
    answer = owner.client.create_records("alerts", [alert(), alert()], atomic=True)
    assert answer["created"] == 2


def test_batch_bounds_and_retries(pair: tuple[Member, Member], db: Database) -> None:
    owner, _ = pair
    for items in ([], [alert()] * 501):
        with pytest.raises(KixProblem) as refused:
            owner.client.create_records("alerts", items)
        assert refused.value.status == 422
    assert _records(db) == 0
    items = [alert(), alert()]
    first = owner.client.create_records("alerts", items, idempotency_key="backfill-1")
    again = owner.client.create_records("alerts", items, idempotency_key="backfill-1")
    assert again == first
    assert _records(db) == 2
    with pytest.raises(KixProblem) as reused:  # the same key for another batch
        owner.client.create_records("alerts", [alert()], idempotency_key="backfill-1")
    assert reused.value.status == 422


def test_a_batch_needs_the_kinds_write_scope(enrol: Any, db: Database) -> None:
    reader = enrol("nl-kmar", key_scopes=["alerts:read"])
    with pytest.raises(KixProblem) as refused:
        reader.client.create_records("alerts", [alert()])
    assert refused.value.status == 403
    assert _records(db) == 0
