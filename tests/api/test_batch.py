"""POST /v1/<kind>/batch: many records in one call and one transaction, a result per item; atomic batches
all or nothing; retries with an Idempotency-Key create nothing twice; each created record is announced."""

from typing import Any

import pytest
from sqlalchemy import func, select

from app.client import KixProblem
from app.db import Database
from app.models import Record
from tests.conftest import Member
from tests.records_data import alert, rules


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
