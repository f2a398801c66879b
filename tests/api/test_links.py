"""Links between records: typed, attributed to their author, shown only where both ends are visible, and
removed only by their author or the owner of both ends; `linked=` never reveals a record."""

from typing import Any

import pytest

from app.client import KixProblem
from tests.conftest import Member
from tests.records_data import alert, rules, suspect


def _problem(call: Any, *args: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(KixProblem) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.type.removeprefix("urn:kix:problem:")


@pytest.fixture
def pair(enrol: Any) -> tuple[Member, Member]:
    return enrol("it-dcsa"), enrol("de-bka")


def test_finding_08_linked_treats_an_invisible_record_like_an_unknown_one(
    pair: tuple[Member, Member],
) -> None:
    owner, partner = pair
    hidden = owner.client.create_record("suspects", suspect(rules=rules(mode="owner_only")))
    shared = owner.client.create_record("alerts", alert(links=[hidden["id"]]))  # for all members
    unknown = "01a20000-0000-7000-8000-000000000000"
    assert [item["id"] for item in owner.client.list_records("alerts", linked=hidden["id"])["items"]] == [
        shared["id"]
    ]
    # The partner sees the alert, but not the suspect it links to: as if the suspect did not exist.
    by_hidden = partner.client.list_records("alerts", linked=hidden["id"])
    by_unknown = partner.client.list_records("alerts", linked=unknown)
    assert by_hidden == by_unknown == {"items": [], "page": {"next_cursor": None}}
    assert partner.client.get_record("alerts", shared["id"])["links"] == []


def test_finding_12_links_are_typed_attributed_and_survive_the_owners_update(
    pair: tuple[Member, Member],
) -> None:
    owner, partner = pair
    alert_record = owner.client.create_record("alerts", alert())
    own_suspect = owner.client.create_record("suspects", suspect())
    theirs = partner.client.create_record("suspects", suspect())
    owner.client.update_record("alerts", alert_record["id"], {"links": [own_suspect["id"]]}, etag='"v1"')
    made = partner.client.add_link("suspects", theirs["id"], alert_record["id"], "suspect_in")
    assert (made["type"], made["author"], made["actor"], made["other"]) == (
        "suspect_in",
        "de-bka",
        "analyst-1",
        alert_record["id"],
    )
    # The owner rewrites its own links: the partner's link stays.
    owner.client.update_record("alerts", alert_record["id"], {"links": []}, etag='"v2"')
    listed = owner.client.links("alerts", alert_record["id"])["items"]
    assert [(link["other"], link["type"], link["author"]) for link in listed] == [
        (theirs["id"], "suspect_in", "de-bka")
    ]
    # Only its author (or the owner of both ends) removes it.
    assert _problem(owner.client.remove_link, "alerts", alert_record["id"], made["id"]) == (403, "forbidden")
    assert partner.client.remove_link("suspects", theirs["id"], made["id"])["removed"] is True
    assert owner.client.links("alerts", alert_record["id"])["items"] == []


def test_the_owner_of_both_ends_removes_any_link_between_them(pair: tuple[Member, Member]) -> None:
    owner, partner = pair
    first = owner.client.create_record("alerts", alert())
    second = owner.client.create_record("suspects", suspect())
    made = partner.client.add_link("alerts", first["id"], second["id"], "same_person")
    assert owner.client.remove_link("suspects", second["id"], made["id"])["removed"] is True


def test_links_show_only_where_both_ends_are_visible(enrol: Any, pair: tuple[Member, Member]) -> None:
    owner, partner = pair
    third = enrol("fr-ocrb")
    private = partner.client.create_record(
        "suspects", suspect(rules=rules(mode="agencies", agencies=["it-dcsa"]))
    )
    public = owner.client.create_record("alerts", alert())
    partner.client.add_link("suspects", private["id"], public["id"], "suspect_in")
    assert [link["other"] for link in owner.client.links("alerts", public["id"])["items"]] == [private["id"]]
    assert third.client.links("alerts", public["id"])["items"] == []
    assert third.client.get_record("alerts", public["id"])["links"] == []
    # Linking to what one can not see is answered as for what does not exist.
    hidden = owner.client.create_record("alerts", alert(rules=rules(mode="owner_only")))
    assert _problem(third.client.add_link, "alerts", public["id"], hidden["id"]) == (404, "not-found")
    assert _problem(owner.client.add_link, "alerts", public["id"], public["id"]) == (422, "validation-failed")


def test_the_same_link_made_twice_is_one_link(pair: tuple[Member, Member]) -> None:
    owner, _ = pair
    first = owner.client.create_record("alerts", alert())
    second = owner.client.create_record("suspects", suspect())
    one = owner.client.add_link("alerts", first["id"], second["id"], "suspect_in")
    two = owner.client.add_link("suspects", second["id"], first["id"], "suspect_in")
    assert one["id"] == two["id"]
    assert len(owner.client.links("alerts", first["id"])["items"]) == 1
