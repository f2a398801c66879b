"""The access matrix: agencies, groups, records in every distribution mode, and every read path checked for
every caller against exactly the expected set. Dropping the visibility predicate from any one path fails."""

from typing import Any

import pytest

from app.client import KixClient, KixProblem
from tests.conftest import Member
from tests.records_data import alert, rules, suspect

AGENCIES = ["ag-a", "ag-b", "ag-c", "ag-d", "ag-e"]


@pytest.fixture
def world(enrol: Any, admin: KixClient) -> dict[str, Any]:
    members: dict[str, Member] = {agency: enrol(agency) for agency in AGENCIES}
    admin.create_group({"id": "g-bc", "name": "B and C", "members": ["ag-b", "ag-c"]})
    admin.create_group({"id": "g-d", "name": "D", "members": ["ag-d"]})
    a, b = members["ag-a"].client, members["ag-b"].client
    records = {
        "a-owner-only": a.create_record("alerts", alert(rules=rules(mode="owner_only")))["id"],
        "a-to-b": a.create_record("alerts", alert(rules=rules(mode="agencies", agencies=["ag-b"])))["id"],
        "a-to-g-bc": a.create_record("alerts", alert(rules=rules(mode="groups", groups=["g-bc"])))["id"],
        "a-to-g-d": a.create_record("alerts", alert(rules=rules(mode="groups", groups=["g-d"])))["id"],
        "a-to-all": a.create_record("alerts", alert(rules=rules(mode="all_members")))["id"],
        "b-owner-only": b.create_record("alerts", alert(rules=rules(mode="owner_only")))["id"],
        "b-to-a-e": b.create_record("alerts", alert(rules=rules(mode="agencies", agencies=["ag-a", "ag-e"])))[
            "id"
        ],
    }
    # A hub that links to every alert: each caller must see only the links it may see.
    hub = a.create_record("suspects", suspect(links=[records[n] for n in records if n.startswith("a-")]))[
        "id"
    ]
    b.update_record("alerts", records["b-to-a-e"], {"links": [hub]}, etag='"v1"')
    return {"members": members, "records": records, "hub": hub}


EXPECTED = {
    "ag-a": {"a-owner-only", "a-to-b", "a-to-g-bc", "a-to-g-d", "a-to-all", "b-to-a-e"},
    "ag-b": {"a-to-b", "a-to-g-bc", "a-to-all", "b-owner-only", "b-to-a-e"},
    "ag-c": {"a-to-g-bc", "a-to-all"},
    "ag-d": {"a-to-g-d", "a-to-all"},
    "ag-e": {"a-to-all", "b-to-a-e"},
}

LINKED_TO_HUB = {"a-owner-only", "a-to-b", "a-to-g-bc", "a-to-g-d", "a-to-all", "b-to-a-e"}


def _names(world: dict[str, Any], ids: list[str]) -> set[str]:
    by_id = {record_id: name for name, record_id in world["records"].items()}
    return {by_id[record_id] for record_id in ids if record_id in by_id}


def _status(call: Any, *args: Any, **kwargs: Any) -> int:
    try:
        call(*args, **kwargs)
    except KixProblem as problem:
        return problem.status
    return 200


def _everything_seen_by(world: dict[str, Any], agency: str) -> dict[str, Any]:
    client: KixClient = world["members"][agency].client
    records: dict[str, str] = world["records"]

    def every_page(**filters: Any) -> list[str]:
        listed: list[str] = []
        cursor = None
        while True:  # small pages, so the keyset predicate is exercised too
            page = client.list_records("alerts", limit=2, cursor=cursor, **filters)
            listed += [item["id"] for item in page["items"]]
            cursor = page["page"]["next_cursor"]
            if cursor is None:
                return listed

    return {
        "get": {name for name, rid in records.items() if _status(client.get_record, "alerts", rid) == 200},
        "list": _names(world, every_page()),
        "urgency list": _names(world, every_page(sort="urgency")),
        "linked filter": _names(
            world, [i["id"] for i in client.list_records("alerts", linked=world["hub"])["items"]]
        ),
        "count": client.count_records("alerts")["count"],
        "revisions": {
            n for n, rid in records.items() if _status(client.record_revisions, "alerts", rid) == 200
        },
        "contributions": {
            n for n, rid in records.items() if _status(client.contributions, "alerts", rid) == 200
        },
        "share requests": {
            n for n, rid in records.items() if _status(client.share_requests, "alerts", rid) == 200
        },
        "links": {n for n, rid in records.items() if _status(client.links, "alerts", rid) == 200},
    }


@pytest.mark.parametrize("agency", AGENCIES)
def test_every_read_path_shows_exactly_the_visible_records(world: dict[str, Any], agency: str) -> None:
    expected = EXPECTED[agency]
    seen = _everything_seen_by(world, agency)
    assert seen == {
        "get": expected,
        "list": expected,
        "urgency list": expected,
        "linked filter": expected & LINKED_TO_HUB,
        "count": len(expected),
        "revisions": expected,
        "contributions": expected,
        "share requests": expected,
        "links": expected,
    }
    client: KixClient = world["members"][agency].client
    hub_status = _status(client.get_record, "suspects", world["hub"])
    if hub_status == 200:  # the hub is for all members, but its links are filtered per caller
        hub_links = _names(world, client.get_record("suspects", world["hub"])["links"])
        assert hub_links == expected & LINKED_TO_HUB


def test_group_membership_changes_apply_on_the_next_request(world: dict[str, Any], admin: KixClient) -> None:
    c: KixClient = world["members"]["ag-c"].client
    e: KixClient = world["members"]["ag-e"].client
    record_id = world["records"]["a-to-g-bc"]
    assert _status(c.get_record, "alerts", record_id) == 200
    admin.remove_group_member("g-bc", "ag-c")
    assert _status(c.get_record, "alerts", record_id) == 404
    assert c.count_records("alerts")["count"] == 1
    admin.add_group_member("g-bc", "ag-e")
    assert _status(e.get_record, "alerts", record_id) == 200


def test_every_route_about_a_hidden_record_answers_404(world: dict[str, Any]) -> None:
    """A record the caller may not see is, on every route that names it, exactly an unknown one."""
    stranger: KixClient = world["members"]["ag-c"].client
    hidden = world["records"]["a-owner-only"]
    other = world["records"]["a-to-all"]
    ghost = "01a20000-0000-7000-8000-000000000000"
    calls: list[tuple[Any, tuple[Any, ...]]] = [
        (stranger.get_record, ("alerts", hidden)),
        (stranger.withdraw_record, ("alerts", hidden, "x")),
        (stranger.purge_record, ("alerts", hidden)),
        (stranger.record_revisions, ("alerts", hidden)),
        (stranger.contribute, ("alerts", hidden, "note", "x")),
        (stranger.contributions, ("alerts", hidden)),
        (stranger.ask_onward_sharing, ("alerts", hidden, "ag-d", "x")),
        (stranger.share_requests, ("alerts", hidden)),
        (stranger.decide_onward_sharing, ("alerts", hidden, ghost, True, "x")),
        (stranger.withdraw_share_request, ("alerts", hidden, ghost, "x")),
        (stranger.revoke_consent, ("alerts", hidden, "ag-d", "x")),
        (stranger.notice_receipts, ("alerts", hidden)),
        (stranger.links, ("alerts", hidden)),
        (stranger.add_link, ("alerts", hidden, other)),
        (stranger.add_link, ("alerts", other, hidden)),  # from a visible record to a hidden one
        (stranger.remove_link, ("alerts", hidden, ghost)),
    ]
    for call, args in calls:
        assert _status(call, *args) == 404, call.__name__
    assert _status(stranger.update_record, "alerts", hidden, {"urgency": "low"}, etag='"v1"') == 404


def test_the_matrix_holds_after_purge_consent_and_recipient_changes(world: dict[str, Any]) -> None:
    members: dict[str, Member] = world["members"]
    a, b = members["ag-a"].client, members["ag-b"].client
    records = world["records"]
    # Purge one record every agency saw.
    a.purge_record("alerts", records["a-to-all"])
    # ag-b passes a record on to ag-c with ag-a's consent; then ag-a revokes it.
    asked = b.ask_onward_sharing("alerts", records["a-to-b"], "ag-c", "joint operation")
    a.decide_onward_sharing("alerts", records["a-to-b"], asked["id"], True, "agreed")
    expected = {agency: names - {"a-to-all"} for agency, names in EXPECTED.items()}
    expected["ag-c"] = expected["ag-c"] | {"a-to-b"}
    for agency in AGENCIES:
        seen = _everything_seen_by(world, agency)
        assert seen["list"] == seen["get"] == seen["revisions"] == expected[agency], agency
        assert seen["linked filter"] == expected[agency] & LINKED_TO_HUB, agency
        assert seen["count"] == len(expected[agency]), agency
    a.revoke_consent("alerts", records["a-to-b"], "ag-c", "operation over")
    seen_by_c = _everything_seen_by(world, "ag-c")
    assert seen_by_c["list"] == seen_by_c["get"] == expected["ag-c"] - {"a-to-b"}
    assert _status(members["ag-c"].client.get_record, "alerts", records["a-to-all"]) == 410
    assert _status(members["ag-c"].client.get_record, "alerts", records["a-to-b"]) == 404


def test_victim_blocks_follow_the_current_recipients_in_every_version(world: dict[str, Any]) -> None:
    members: dict[str, Member] = world["members"]
    a = members["ag-a"].client
    record = a.create_record("alerts", alert(victim_recipients=["ag-b", "ag-c"]))

    def readers() -> set[str]:
        found = set()
        for agency in AGENCIES[1:]:
            versions = members[agency].client.record_revisions("alerts", record["id"])["items"]
            current = members[agency].client.get_record("alerts", record["id"])
            readable = {v["body"]["victim"] is not None for v in versions} | {current["victim"] is not None}
            assert len(readable) == 1, agency  # every version and the record say the same
            if readable == {True}:
                found.add(agency)
        return found

    assert readers() == {"ag-b", "ag-c"}
    a.update_record("alerts", record["id"], {"victim_recipients": ["ag-c"]}, etag='"v1"')
    assert readers() == {"ag-c"}


@pytest.mark.parametrize("agency", AGENCIES)
def test_the_feed_tells_each_agency_exactly_of_the_records_it_may_read(
    world: dict[str, Any], agency: str
) -> None:
    client: KixClient = world["members"][agency].client
    events = list(client.feed.iter(follow=False))
    alerts = {
        name
        for name, record_id in world["records"].items()
        if any(e["record_id"] == record_id and e["type"].startswith("record.") for e in events)
    }
    assert alerts == EXPECTED[agency]
    # And each record as the agency could read it: the hub's links it may see, all of them and no other
    # (fanned out at the first feed read, when every link is made).
    hub_events = [event for event in events if event["record_id"] == world["hub"] and event["record"]]
    assert hub_events
    for event in hub_events:
        assert _names(world, event["record"]["links"]) == EXPECTED[agency] & LINKED_TO_HUB


def test_a_records_audience_is_exactly_who_may_see_it(world: dict[str, Any], db: Any) -> None:
    from sqlalchemy import select

    from app.models import Record
    from app.services.records.visibility import audience, audiences, visible_to

    record_ids = [*world["records"].values(), world["hub"]]
    with db.sessions() as session:
        for record_id in record_ids:
            told = {agency for agency, _ in audience(session, record_id) if agency in AGENCIES}
            sees = {
                agency
                for agency in AGENCIES
                if session.scalar(select(Record.id).where(Record.id == record_id, visible_to(agency)))
            }
            assert told == sees, record_id
        # The fan-out asks for many records' audiences at once: the same answer, record by record.
        at_once = audiences(session, [*record_ids, "no-such-record"])
        assert at_once == {record_id: audience(session, record_id) for record_id in record_ids} | {
            "no-such-record": []
        }


def test_requests_rooms_and_directory_entries_across_the_matrix(world: dict[str, Any]) -> None:
    from tests.records_data import cooperation_request

    members: dict[str, Member] = world["members"]
    a = members["ag-a"].client
    request = a.create_request(
        cooperation_request("ag-b", copied=["ag-c"], linked_records=[world["records"]["a-owner-only"]])
    )
    room = a.create_record("alerts", alert(rules=rules(mode="owner_only")))
    crisis = a.open_crisis(room["id"], ["ag-d"])
    entry = {
        "accepts": ["information"],
        "languages": ["en"],
        "contact": {"phone": "+4930123456", "secure_email": "desk@example.org", "hours": "24/7"},
    }
    expected = {
        # (sees the request, may act on it, sees the request's record, in the room, sees the room's alert)
        "ag-a": (True, True, True, True, True),
        "ag-b": (True, True, True, False, False),
        "ag-c": (True, False, True, False, False),
        "ag-d": (False, False, False, True, True),
        "ag-e": (False, False, False, False, False),
    }
    for agency, (sees, acts, record, in_room, alert_seen) in expected.items():
        client = members[agency].client
        assert (_status(client.get_request, request["id"]) == 200) is sees, agency
        assert bool(client.get_request(request["id"])["allowed_actions"] if sees else []) is acts, agency
        assert (_status(client.get_record, "alerts", world["records"]["a-owner-only"]) == 200) is record, (
            agency
        )
        assert (_status(client.crisis, crisis["id"]) == 200) is in_room, agency
        assert (_status(client.get_record, "alerts", room["id"]) == 200) is alert_seen, agency
        assert [r["id"] for r in client.requests()["items"]] == ([request["id"]] if sees else []), agency
        # Each agency publishes its own directory entry, and nobody else's.
        assert _status(client.put_directory_entry, agency, entry) == 200
        other = "ag-e" if agency != "ag-e" else "ag-a"
        assert _status(client.put_directory_entry, other, entry) == 403
