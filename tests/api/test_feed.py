"""The change feed through the SDK: each agency's events, only what it may read, in order, from an
opaque cursor bound to it; long polls that wake when an event comes."""

import json
import threading
import time
from datetime import timedelta
from multiprocessing import get_context
from typing import Any

import pytest
from sqlalchemy import select

from app.api.feed import page_json
from app.client import KixClient, KixProblem
from app.clock import ShiftedClock
from app.config import Settings
from app.crypto.keys import KeyPair
from app.db import Database
from app.main import create_app
from app.models import Change, Event, Hit
from app.scheduler import Scheduler
from app.schemas.events import FeedPage
from app.services.events.fanout import BATCH, REQUEST_ROUNDS, fan_out
from app.services.events.feed import START, read
from app.services.vault import Vault
from tests.asgi import in_process_client
from tests.conftest import BASE_URL, POSTGRES_URL, Member
from tests.events_writer import write_events
from tests.records_data import alert, rules, suspect


def _problem(call: Any, *args: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(KixProblem) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.type.removeprefix("urn:kix:problem:")


def _events(member: Member, **options: Any) -> list[dict[str, Any]]:
    return list(member.client.feed.iter(follow=False, **options))


def _kinds(member: Member, **options: Any) -> list[tuple[str, str | None]]:
    return [(event["type"], event["record_id"]) for event in _events(member, **options)]


@pytest.fixture
def trio(enrol: Any) -> tuple[Member, Member, Member]:
    return enrol("it-dcsa"), enrol("de-bka"), enrol("fr-ocrb")


def _second_key(
    member: Member,
    admin: KixClient,
    server_jwks: dict[str, Any],
    http: Any,
    clock: ShiftedClock,
    scopes: list[str],
) -> KixClient:
    """Another key of the member's agency, with these scopes."""
    key = KeyPair.generate()
    admin.register_key(
        member.agency_id, {"kid": key.kid, "sign": key.sign_jwk, "encrypt": key.encrypt_jwk}, scopes
    )
    return KixClient(BASE_URL, key, server_jwks, http_client=http, clock=clock.timestamp)


def test_record_events_reach_exactly_the_audience_with_what_each_may_read(
    trio: tuple[Member, Member, Member],
    admin: KixClient,
    server_jwks: dict[str, Any],
    http: Any,
    clock: ShiftedClock,
) -> None:
    owner, partner, outsider = trio
    shared = rules(mode="agencies", agencies=["de-bka"])
    record = owner.client.create_record("alerts", alert(rules=shared, victim_recipients=["it-dcsa"]))
    [created] = _events(partner)
    assert (created["type"], created["record_id"]) == ("record.created", record["id"])
    assert created["record"]["id"] == record["id"]
    assert (created["record"]["victim"], created["record"]["victim_withheld"]) == (None, True)
    assert created["record"]["rules"]["distribution"]["agencies"] is None  # recipients learn no audience
    owner_event = _events(owner)[0]
    assert owner_event["record"]["victim"]["name"] == "Giulia Ferraro"
    assert owner_event["record"]["rules"]["distribution"]["agencies"] == ["de-bka"]
    assert _events(outsider) == []
    # A key of the owner without victims:read reads the same event without the victim block.
    narrow = _second_key(owner, admin, server_jwks, http, clock, ["alerts:read"])
    [seen] = list(narrow.feed.iter(follow=False))
    assert (seen["record"]["victim"], seen["record"]["victim_withheld"]) == (None, True)


def test_a_page_spliced_from_sealed_views_is_the_page_the_schema_encodes(
    trio: tuple[Member, Member, Member], db: Database, vault: Vault
) -> None:
    """The feed writes each record view as the JSON text it was sealed as (FeedItem.json_text): the page
    must be the one FeedPage would encode from the parsed events, for the owner, a recipient, and a key
    whose view is narrowed (the victim withheld)."""
    owner, partner, _ = trio
    shared = rules(mode="agencies", agencies=["de-bka"])
    owner.client.create_record("alerts", alert(rules=shared, victim_recipients=["it-dcsa"]))
    owner.client.create_record("suspects", suspect())
    notice = owner.client.create_record("alerts", alert(rules=shared))
    owner.client.withdraw_record("alerts", notice["id"], reason="entered in error")
    fan_out(db, vault)
    everything = frozenset({"alerts:read", "suspects:read", "victims:read", "requests:read"})
    readers = [
        (owner.agency_id, everything),
        (partner.agency_id, everything),
        (owner.agency_id, {"alerts:read"}),
    ]
    for agency_id, scopes in readers:
        with db.sessions() as session:
            items, _ = read(session, vault, agency_id, frozenset(scopes), START)
        assert items
        spliced = json.loads(page_json([item.json_text() for item in items], "a-cursor"))
        encoded = FeedPage.model_validate(
            {"items": [item.document() for item in items], "cursor": "a-cursor"}
        )
        assert spliced == json.loads(encoded.model_dump_json())
    assert any(item.record and item.record["victim_withheld"] for item in items)


def test_a_key_sees_only_the_events_its_scopes_allow(trio: tuple[Member, Member, Member], enrol: Any) -> None:
    owner, partner, _ = trio
    alerts_only = enrol("es-ucic", key_scopes=["alerts:read"])
    owner.client.create_record("alerts", alert())
    owner.client.create_record("suspects", suspect())
    assert [kind for kind, _ in _kinds(alerts_only)] == ["record.created"]
    assert [event["record"]["kind"] for event in _events(alerts_only)] == ["alert"]
    assert [event["record"]["kind"] for event in _events(partner)] == ["alert", "suspect"]


def test_an_agency_that_loses_access_gets_no_further_events(trio: tuple[Member, Member, Member]) -> None:
    owner, partner, _ = trio
    record = owner.client.create_record("alerts", alert(rules=rules(mode="agencies", agencies=["de-bka"])))
    assert _kinds(partner) == [("record.created", record["id"])]  # read (and so published) in time
    change = {"rules": {"distribution": {"mode": "agencies", "agencies": ["fr-ocrb"]}}}
    owner.client.update_record("alerts", record["id"], change, etag='"v1"')
    owner.client.update_record("alerts", record["id"], {"urgency": "low"}, etag='"v2"')
    assert _kinds(partner) == [("record.created", record["id"])]
    assert _kinds(trio[2]) == [("record.updated", record["id"])] * 2


def test_events_are_disclosed_under_the_rules_when_published(trio: tuple[Member, Member, Member]) -> None:
    """An event carries the record as its recipient may read it when the change is published (at once,
    when anyone reads the feed or the deliverer runs): an agency cut off before then is not told of it,
    as an old revision is disclosed under the record's current recipients."""
    owner, partner, third = trio
    record = owner.client.create_record("alerts", alert(rules=rules(mode="agencies", agencies=["de-bka"])))
    change = {"rules": {"distribution": {"mode": "agencies", "agencies": ["fr-ocrb"]}}}
    owner.client.update_record("alerts", record["id"], change, etag='"v1"')
    assert _kinds(partner) == []
    events = _events(third)
    assert [(e["type"], e["data"]["version"], e["record"]["version"]) for e in events] == [
        ("record.created", 1, 2),
        ("record.updated", 2, 2),
    ]


def test_paging_types_and_cursors(trio: tuple[Member, Member, Member]) -> None:
    owner, partner, outsider = trio
    ids = [owner.client.create_record("alerts", alert())["id"] for _ in range(5)]
    partner.client.contribute("alerts", ids[0], "note", "seen")
    first = partner.client.feed.page(limit=2)
    second = partner.client.feed.page(first["cursor"], limit=10)
    seen = [event["record_id"] for event in first["items"] + second["items"]]
    assert seen == [*ids, ids[0]]  # five creations, then the contribution, in order, once each
    again = partner.client.feed.page(second["cursor"])
    assert (again["items"], again["cursor"]) == ([], second["cursor"])
    assert [e["type"] for e in _events(owner, types=["contribution.added"])] == ["contribution.added"]
    assert _problem(partner.client.feed.page, types=["record.exploded"]) == (422, "validation-failed")
    assert _problem(outsider.client.feed.page, first["cursor"]) == (400, "invalid-cursor")  # another agency's
    tampered = first["cursor"][:-3] + ("A" if first["cursor"][-3] != "A" else "B") + first["cursor"][-2:]
    assert _problem(partner.client.feed.page, tampered) == (400, "invalid-cursor")


def test_a_query_hitting_several_owners_writes_one_change_and_each_owner_hears_of_each_hit(
    trio: tuple[Member, Member, Member], db: Database
) -> None:
    """The outbox costs a query one change row however many records it hits; the fan-out makes one
    hit.recorded event of each hit, for that record's owner alone, carrying that hit's id."""
    first, second, querier = trio
    hidden = rules(mode="owner_only", discoverable=True)
    owned = {
        first.agency_id: {
            first.client.create_record("suspects", suspect(rules=hidden))["id"] for _ in range(2)
        },
        second.agency_id: {second.client.create_record("suspects", suspect(rules=hidden))["id"]},
    }
    for member in trio:
        _events(member)  # the creations fanned out: only the query's change is left to write
    hits = querier.client.match({"documents": ["N1234567"]})["hits"]
    assert len(hits) == 3
    with db.sessions() as session:
        changes = list(session.scalars(select(Change)))
    assert [(change.type, len(change.data["each"])) for change in changes] == [("hit.recorded", 3)]
    with db.sessions() as session:
        hit_rows = {row.id: row for row in session.scalars(select(Hit))}
    assert {hit["hit_id"] for hit in hits} == set(hit_rows)
    for member in (first, second):
        told = [e for e in _events(member) if e["type"] == "hit.recorded"]
        assert {e["record_id"] for e in told} == owned[member.agency_id]
        assert len({e["event_id"] for e in told}) == len(told) == len(owned[member.agency_id])
        for event in told:
            row = hit_rows[event["data"]["hit_id"]]
            assert (row.record_id, row.owner_id) == (event["record_id"], member.agency_id)
            assert event["data"]["querier"] == querier.agency_id
            assert event["data"]["querier_can_see"] is False
    assert [e for e in _events(querier) if e["type"] == "hit.recorded"] == []


def test_the_feed_tells_of_requests_hits_notices_deadlines_keys_and_agencies(
    trio: tuple[Member, Member, Member],
    admin: KixClient,
    db: Database,
    settings: Settings,
    clock: ShiftedClock,
    server_jwks: dict[str, Any],
    http: Any,
) -> None:
    owner, partner, outsider = trio
    partner_scopes = sorted(partner.client.whoami()["scopes"])
    hidden = owner.client.create_record(
        "suspects", suspect(rules=rules(mode="owner_only", discoverable=True))
    )
    _events(owner)  # publishes the creation, as the deliverer would within moments
    hit = outsider.client.match({"documents": ["N1234567"]})["hits"][0]
    asked = outsider.client.request_access(hit["hit_id"], "same passport")
    clock.advance(timedelta(hours=49))
    Scheduler(db, settings, clock).run_due()
    owner.client.decide_access(asked["id"], True, "agreed")
    owner_events = _kinds(owner)
    assert owner_events[1:] == [
        ("hit.recorded", hidden["id"]),
        ("access_request.opened", None),
        ("deadline.warning", None),
        ("access_request.changed", hidden["id"]),
    ]
    outsider_events = _kinds(outsider)
    assert outsider_events == [
        ("access_request.opened", None),  # which record it matched is not told before the grant
        ("deadline.warning", None),
        ("record.shared", hidden["id"]),
        ("access_request.changed", hidden["id"]),
    ]
    shared = owner.client.create_record("alerts", alert())
    partner.client.get_record("alerts", shared["id"])
    owner.client.withdraw_record("alerts", shared["id"], "mistaken")
    assert ("notice.issued", shared["id"]) in _kinds(partner)
    spare = _second_key(partner, admin, server_jwks, http, clock, ["alerts:read"])
    admin.suspend_agency("de-bka")
    admin.reactivate_agency("de-bka")
    admin.revoke_key(partner.key.kid)
    told = [
        (e["type"], e["data"])
        for e in spare.feed.iter(follow=False, types=["agency.status_changed", "key.status_changed"])
    ]
    assert told == [
        ("agency.status_changed", {"agency": "de-bka", "status": "suspended"}),
        ("agency.status_changed", {"agency": "de-bka", "status": "active"}),
        ("key.status_changed", {"kid": partner.key.kid, "change": "revoked", "scopes": partner_scopes}),
    ]


def test_purge_leaves_only_a_purged_event(trio: tuple[Member, Member, Member]) -> None:
    owner, partner, third = trio
    record = owner.client.create_record("alerts", alert())
    assert [e["record"]["id"] for e in _events(partner)] == [record["id"]]  # published with the record
    owner.client.purge_record("alerts", record["id"])
    events = _events(partner)
    assert [e["type"] for e in events] == ["record.created", "record.purged"]
    assert [e["record"] for e in events] == [None, None]  # the content went with the purge
    # Purged before it was published: its audience hears only that it is gone.
    second = owner.client.create_record("alerts", alert())
    owner.client.purge_record("alerts", second["id"])
    assert [(e["type"], e["record_id"], e["record"]) for e in _events(third)] == [
        ("record.created", record["id"], None),
        ("record.purged", record["id"], None),
        ("record.purged", second["id"], None),
    ]


def test_a_read_fans_out_a_backlog_a_few_batches_at_a_time_with_no_event_lost(
    trio: tuple[Member, Member, Member], db: Database
) -> None:
    """After a backfill, a feed read publishes at most REQUEST_ROUNDS batches of the waiting changes before
    it answers (the rest is for later reads and the deliverer loop): it never waits for all of it."""
    owner, partner, _ = trio
    backlog = REQUEST_ROUNDS * BATCH + 1
    created: list[str] = []
    for start in range(0, backlog, 500):
        answer = owner.client.create_records("alerts", [alert()] * min(500, backlog - start))
        created += [result["id"] for result in answer["results"]]
    page = partner.client.feed.page(limit=1, types=["record.created"])
    with db.sessions() as session:
        assert len(session.scalars(select(Change.id)).all()) == 1  # one change is still to publish
    assert [event["record_id"] for event in page["items"]] == created[:1]
    announced = [event["record_id"] for event in _events(partner, types=["record.created"])]
    assert announced == created  # all of them, in order, once each


def test_a_long_poll_returns_as_soon_as_an_event_comes(trio: tuple[Member, Member, Member]) -> None:
    owner, partner, _ = trio
    start = partner.client.feed.page()
    threading.Timer(0.5, lambda: owner.client.create_record("alerts", alert())).start()
    began = time.monotonic()
    page = partner.client.feed.page(start["cursor"], wait=10)
    waited = time.monotonic() - began
    assert [e["type"] for e in page["items"]] == ["record.created"]
    assert 0.4 < waited < 3
    began = time.monotonic()
    assert partner.client.feed.page(page["cursor"], wait=1.2)["items"] == []
    assert time.monotonic() - began >= 1.1


def test_a_restarted_server_continues_from_the_cursor(
    trio: tuple[Member, Member, Member], settings: Settings, db: Database, server_jwks: dict[str, Any]
) -> None:
    owner, partner, _ = trio
    ids = [owner.client.create_record("alerts", alert())["id"] for _ in range(4)]
    half = partner.client.feed.page(limit=2)
    restarted = create_app(settings, database=db)
    with in_process_client(restarted, BASE_URL) as http:
        client = KixClient(BASE_URL, partner.key, server_jwks, http_client=http)
        rest = client.feed.page(half["cursor"])
    assert [e["record_id"] for e in half["items"] + rest["items"]] == ids


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (KIX_TEST_POSTGRES_URL)")
def test_concurrent_writers_on_postgresql_every_event_seen_once_in_order(
    enrol: Any, settings: Settings, db: Database, vault: Vault
) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("the PostgreSQL variant of this test")
    member: Member = enrol("de-bka")
    writers, per_writer = 4, 40
    seen: list[str] = []
    done = threading.Event()

    def publish() -> None:  # another node's deliverer, publishing beside the reader's own fan-outs
        while not done.is_set():
            fan_out(db, vault, batch=5)
            time.sleep(0.003)

    def follow() -> None:
        position = START
        while True:
            finished = done.is_set()
            fan_out(db, vault, batch=3)
            with db.transaction(write=False) as session:
                items, position = read(
                    session, vault, "de-bka", frozenset({"requests:read"}), position, limit=7
                )
            seen.extend(item.event_id for item in items)
            if finished and not items:
                return
            time.sleep(0.005)

    reader, publisher = threading.Thread(target=follow), threading.Thread(target=publish)
    reader.start()
    publisher.start()
    with get_context("spawn").Pool(writers) as pool:
        results = pool.starmap(
            write_events, [(settings.database_url, member.agency_id, n, per_writer) for n in range(writers)]
        )
    done.set()
    reader.join(timeout=60)
    publisher.join(timeout=60)
    written = [event_id for batch in results for event_id in batch]
    assert len(seen) == len(set(seen)), "an event was read twice"
    assert sorted(seen) == sorted(written), "an event was never read"
    with db.sessions() as session:  # and in the feed's one order
        ordered = list(
            session.scalars(
                select(Event.event_id).where(Event.agency_id == "de-bka").order_by(Event.txid, Event.id)
            )
        )
    assert seen == ordered
