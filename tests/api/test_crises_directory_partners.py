"""Crisis rooms, the directory of competent authorities with victim services, private partners, and
prosecution outcomes on suspect records."""

from typing import Any

import pytest
from sqlalchemy import text

from app.client import KixClient, KixProblem
from app.db import Database
from tests.conftest import ALL_BUT_ADMIN, Member, agency_body
from tests.records_data import alert, cooperation_request, lead, rules, suspect
from tests.services.test_visibility_shape import statements


def _problem(call: Any, *args: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(KixProblem) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.type.removeprefix("urn:kix:problem:")


@pytest.fixture
def trio(enrol: Any) -> tuple[Member, Member, Member]:
    return enrol("it-dcsa"), enrol("de-bka"), enrol("fr-ocrb")


def test_a_crisis_room_from_opening_to_its_outcome(trio: tuple[Member, Member, Member], db: Database) -> None:
    owner, invited, outsider = trio
    record = owner.client.create_record("alerts", alert(rules=rules(mode="owner_only")))
    room = owner.client.open_crisis(record["id"], ["de-bka"])
    assert (room["status"], room["members"]) == ("open", ["de-bka"])
    assert invited.client.get_record("alerts", record["id"])["id"] == record["id"]  # members see the alert
    assert _problem(outsider.client.crisis, room["id"]) == (404, "not-found")
    assert _problem(outsider.client.get_record, "alerts", record["id"]) == (404, "not-found")
    invited.client.add_crisis_entry(
        room["id"], "proof_of_life", "Video received 14:02, victim holding today's paper"
    )
    owner.client.add_crisis_entry(room["id"], "ransom_demand", "2 BTC by Friday")
    timeline = invited.client.crisis(room["id"])["entries"]
    assert [(e["kind"], e["author"]) for e in timeline] == [
        ("proof_of_life", "de-bka"),
        ("ransom_demand", "it-dcsa"),
    ]
    with db.engine.connect() as connection:  # sealed at rest
        stored = connection.execute(text("SELECT text FROM crisis_entries")).scalars().all()
    # The whole phrase: a space never occurs in the ciphertext's base64url, while "BTC" alone can by chance.
    assert all(value.startswith("f1.") and "2 BTC by Friday" not in value for value in stored)
    urgent = cooperation_request("de-bka", kind="urgent_assistance", crisis=room["id"])
    assert owner.client.create_request(urgent)["crisis"] == room["id"]
    assert _problem(outsider.client.create_request, cooperation_request("de-bka", crisis=room["id"])) == (
        422,
        "validation-failed",
    )
    assert _problem(invited.client.close_crisis, room["id"], "rescued", {"ransom_paid": False}) == (
        403,
        "forbidden",
    )
    closed = owner.client.close_crisis(
        room["id"], "rescued", {"ransom_paid": True, "amount": "25000.00", "currency": "EUR"}
    )
    assert (closed["status"], closed["outcome"], closed["concessions"]["ransom_paid"]) == (
        "closed",
        "rescued",
        True,
    )
    assert owner.client.get_record("alerts", record["id"])["status"] == "rescued"
    assert _problem(invited.client.get_record, "alerts", record["id"]) == (404, "not-found")  # sight ends
    assert _problem(invited.client.add_crisis_entry, room["id"], "note", "late") == (409, "conflict")
    assert [r["id"] for r in invited.client.crises()["items"]] == [room["id"]]  # the record of it stays


def test_a_crisis_room_only_on_an_active_alert_of_ones_own(trio: tuple[Member, Member, Member]) -> None:
    owner, other, _ = trio
    record = owner.client.create_record("alerts", alert())
    assert _problem(other.client.open_crisis, record["id"], []) == (403, "forbidden")
    owner.client.update_record("alerts", record["id"], {"status": "released"}, etag='"v1"')
    assert _problem(owner.client.open_crisis, record["id"], []) == (409, "conflict")


DIRECTORY_ENTRY = {
    "accepts": ["mutual_legal_assistance", "extradition"],
    "languages": ["it", "en"],
    "legal_bases": ["UNTOC", "European Convention on Mutual Assistance in Criminal Matters"],
    "central_authority_for": ["mutual_legal_assistance"],
    "contact": {
        "phone": "+390600000000",
        "secure_email": "desk@example.org",
        "hours": "24/7",
        "languages": ["it"],
    },
}


def test_each_agency_edits_its_own_directory_entry(
    trio: tuple[Member, Member, Member], admin: KixClient
) -> None:
    owner, other, _ = trio
    published = owner.client.put_directory_entry("it-dcsa", DIRECTORY_ENTRY)
    assert published["central_authority_for"] == ["mutual_legal_assistance"]
    assert _problem(other.client.put_directory_entry, "it-dcsa", DIRECTORY_ENTRY) == (403, "forbidden")
    admin.put_directory_entry("de-bka", DIRECTORY_ENTRY | {"accepts": ["information"]})
    found = other.client.directory(accepts="extradition")["items"]
    assert [entry["agency"] for entry in found] == ["it-dcsa"]
    by_authority = other.client.directory(central_authority_for="mutual_legal_assistance")["items"]
    assert {entry["agency"] for entry in by_authority} == {"it-dcsa", "de-bka"}
    assert other.client.directory_entry("fr-ocrb")["accepts"] == []  # not published yet
    assert _problem(other.client.put_directory_entry, "it-dcsa", DIRECTORY_ENTRY | {"accepts": ["nonsense"]})[
        0
    ] in (
        403,
        422,
    )


def test_victim_services_by_country_kept_by_administrators(
    trio: tuple[Member, Member, Member], admin: KixClient
) -> None:
    owner, _, _ = trio
    service = {
        "country": "IT",
        "name": "Rete Dafne",
        "kinds": ["psychological", "legal"],
        "contact": {"phone": "+390110000000", "email": "help@example.org"},
        "languages": ["it", "en"],
    }
    assert _problem(owner.client.add_victim_service, service) == (403, "forbidden")
    added = admin.add_victim_service(service)
    admin.add_victim_service(service | {"country": "DE", "name": "Weisser Ring", "kinds": ["financial"]})
    assert [s["name"] for s in owner.client.victim_services(country="IT")["items"]] == ["Rete Dafne"]
    assert [s["name"] for s in owner.client.victim_services(kind="financial")["items"]] == ["Weisser Ring"]
    admin.remove_victim_service(added["id"])
    assert owner.client.victim_services(country="IT")["items"] == []


@pytest.fixture
def partner(enrol: Any, admin: KixClient, server_jwks: dict[str, Any], http: Any, clock: Any) -> Member:
    from app.crypto.keys import KeyPair

    admin.create_agency(agency_body("fr-tracfin", country="FR") | {"kind": "fiu"})
    body = agency_body("fr-bank", country="FR", scopes=["leads:read", "leads:write"])
    admin.create_agency(body | {"kind": "private_partner", "designated_fiu": "fr-tracfin"})
    key = KeyPair.generate()
    admin.register_key(
        "fr-bank",
        {"kid": key.kid, "sign": key.sign_jwk, "encrypt": key.encrypt_jwk},
        ["leads:read", "leads:write"],
    )
    client = KixClient("http://kix.test", key, server_jwks, http_client=http, clock=clock.timestamp)
    return Member("fr-bank", key, client)


def test_a_private_partner_submits_to_its_fiu_and_sees_nothing_else(
    partner: Member,
    trio: tuple[Member, Member, Member],
    admin: KixClient,
    server_jwks: dict[str, Any],
    http: Any,
    clock: Any,
) -> None:
    police = trio[0]
    fiu_key = _fiu_client(admin, server_jwks, http, clock)
    shared = police.client.create_record("leads", lead())  # for all members: not for partners
    assert _problem(partner.client.create_record, "leads", lead(rules=rules(mode="all_members"))) == (
        422,
        "validation-failed",
    )
    to_fiu = rules(mode="agencies", agencies=["fr-tracfin"])
    submitted = partner.client.create_record("leads", lead(rules=to_fiu))
    assert [item["id"] for item in partner.client.list_records("leads")["items"]] == [submitted["id"]]
    assert partner.client.count_records("leads")["count"] == 1
    assert _problem(partner.client.get_record, "leads", shared["id"]) == (404, "not-found")
    assert partner.client.lead_intake(submitted["id"])["status"] == "received"
    assert fiu_key.get_record("leads", submitted["id"])["owner"] == "fr-bank"
    fiu_key.set_lead_intake(submitted["id"], "under_analysis")
    assert partner.client.lead_intake(submitted["id"])["status"] == "under_analysis"
    assert _problem(partner.client.set_lead_intake, submitted["id"], "closed") == (403, "forbidden")
    assert _problem(police.client.lead_intake, submitted["id"]) == (404, "not-found")
    assert _problem(partner.client.match, {"accounts": ["DE89370400440532013000"]}) == (403, "forbidden")
    assert _problem(partner.client.list_records, "alerts") == (403, "forbidden")
    # Nobody can send a partner anything.
    to_partner = rules(mode="agencies", agencies=["fr-bank"])
    assert _problem(police.client.create_record, "alerts", alert(rules=to_partner)) == (
        422,
        "validation-failed",
    )
    assert _problem(admin.create_group, {"id": "g", "name": "G", "members": ["fr-bank"]})[0] == 422
    shared_lead = [shared["id"]]  # a request's addressee and copied agencies see the records it names
    for request in (
        cooperation_request("fr-bank", linked_records=shared_lead),
        cooperation_request("fr-tracfin", copied=["fr-bank"], linked_records=shared_lead),
    ):
        assert _problem(police.client.create_request, request) == (422, "validation-failed")
    events = list(partner.client.feed.iter(follow=False))
    assert {e["record_id"] for e in events if e["record_id"]} == {submitted["id"]}
    # And a partner holds no other scope.
    refused = agency_body("xx-bank", scopes=ALL_BUT_ADMIN) | {
        "kind": "private_partner",
        "designated_fiu": "fr-tracfin",
    }
    assert _problem(admin.create_agency, refused)[0] == 422


def _fiu_client(admin: KixClient, server_jwks: dict[str, Any], http: Any, clock: Any) -> KixClient:
    """A key of the FIU the partner fixture made."""
    from app.crypto.keys import KeyPair

    key = KeyPair.generate()
    admin.register_key(
        "fr-tracfin", {"kid": key.kid, "sign": key.sign_jwk, "encrypt": key.encrypt_jwk}, ALL_BUT_ADMIN
    )
    return KixClient("http://kix.test", key, server_jwks, http_client=http, clock=clock.timestamp)


def test_prosecution_outcomes_on_a_suspect(trio: tuple[Member, Member, Member]) -> None:
    owner, other, _ = trio
    outcome = {"kind": "extradited", "on": "2026-10-15", "jurisdiction": "IT", "reference": "EXT 12/2026"}
    created = owner.client.create_record("suspects", suspect(outcomes=[outcome]))
    assert other.client.get_record("suspects", created["id"])["outcomes"] == [outcome]
    assert (
        _problem(owner.client.create_record, "suspects", suspect(outcomes=[outcome | {"kind": "pardoned"}]))[
            0
        ]
        == 422
    )


def test_a_partner_lists_and_counts_only_its_own_rows(
    partner: Member, trio: tuple[Member, Member, Member], db: Database
) -> None:
    """A partner sees only what it submitted: its lists and counts say so outright (owner = itself, on
    top of the visibility rule), so the owner index finds its few rows among everyone's."""
    with statements(db) as seen:
        for member in (partner, trio[0]):
            member.client.list_records("leads")
            member.client.count_records("leads")
    reads = [s for s in seen if "FROM records" in s and "records.owner_id =" in s]
    partner_list, partner_count, police_list, police_count = reads
    for own_only in (partner_list, partner_count):
        assert own_only.count("records.owner_id =") == 2  # in the rule, and on its own
    for everyone in (police_list, police_count):
        assert everyone.count("records.owner_id =") == 1
