"""Joint cases: who reads a case (owner, participant, former participant, invited-not-accepted, stranger),
the one disclosure rule (linking never widens a record's audience; only its owner's recorded consent does,
and only while the participant remains one), typed links with a confidence, and the link graph."""

from typing import Any

import pytest
from sqlalchemy import text

from app.client import KixProblem
from app.db import Database
from tests.conftest import Member
from tests.records_data import alert, cooperation_request, lead, rules, suspect


def _problem(call: Any, *args: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(KixProblem) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.type.removeprefix("urn:kix:problem:")


@pytest.fixture
def agencies(enrol: Any) -> dict[str, Member]:
    return {name: enrol(name) for name in ("it-dcsa", "de-bka", "fr-ocrb", "es-udyco", "nl-nfiu")}


def test_the_access_matrix_of_a_case(agencies: dict[str, Member]) -> None:
    owner, participant, former, invitee, stranger = (
        agencies[name].client for name in ("it-dcsa", "de-bka", "fr-ocrb", "es-udyco", "nl-nfiu")
    )
    case = owner.open_case("Operation Aspromonte", summary="Ransom network", invite=["de-bka", "fr-ocrb"])
    assert case["your_role"] == "owner"
    assert [(p["agency"], p["status"]) for p in case["participants"]] == [
        ("de-bka", "invited"),
        ("fr-ocrb", "invited"),
    ]
    participant.answer_case(case["id"], accept=True)
    former.answer_case(case["id"], accept=True)
    owner.invite_to_case(case["id"], ["es-udyco"])
    private = owner.create_record("alerts", alert(rules=rules(mode="owner_only")))
    owner.add_to_case(case["id"], private["id"], share=True)
    former.leave_case(case["id"])

    # Owner and participant read the case, its records and its graph.
    for reader in (owner, participant):
        read = reader.get_case(case["id"])
        assert [r["record"] for r in read["records"]] == [private["id"]]
        assert [n["id"] for n in reader.case_graph(case["id"])["nodes"]] == [private["id"]]
        assert reader.get_record("alerts", private["id"])["id"] == private["id"]
    assert participant.get_case(case["id"])["your_role"] == "participant"
    for lister, role in ((owner, "owner"), (participant, "participant"), (invitee, "invited")):
        assert [(c["id"], c["your_role"]) for c in lister.cases()["items"]] == [(case["id"], role)]

    # Invited, not yet accepted: sees the invitation, none of the records, no graph.
    invited = invitee.get_case(case["id"])
    assert (invited["your_role"], invited["records"]) == ("invited", [])
    assert invited["title"] == "Operation Aspromonte"
    assert _problem(invitee.case_graph, case["id"]) == (404, "not-found")
    assert _problem(invitee.get_record, "alerts", private["id"]) == (404, "not-found")
    assert _problem(invitee.add_to_case, case["id"], private["id"]) == (404, "not-found")

    # A participant who left, and a stranger: the case does not exist for them.
    for outsider in (former, stranger):
        assert _problem(outsider.get_case, case["id"]) == (404, "not-found")
        assert _problem(outsider.case_graph, case["id"]) == (404, "not-found")
        assert _problem(outsider.get_record, "alerts", private["id"]) == (404, "not-found")
        assert _problem(outsider.add_to_case, case["id"], private["id"]) == (404, "not-found")
        assert outsider.cases()["items"] == []

    # Once the invitee accepts, it sees what its owner shared; declining an invitation is final until
    # asked again.
    invitee.answer_case(case["id"], accept=True)
    assert invitee.get_record("alerts", private["id"])["id"] == private["id"]
    assert _problem(invitee.answer_case, case["id"], accept=False) == (409, "conflict")


def test_linking_never_widens_a_record_s_audience_without_its_owner_s_consent(
    agencies: dict[str, Member], db: Database
) -> None:
    owner, participant, third = (agencies[name].client for name in ("it-dcsa", "de-bka", "fr-ocrb"))
    case = owner.open_case("Joint case", invite=["de-bka", "fr-ocrb"])
    participant.answer_case(case["id"], accept=True)
    third.answer_case(case["id"], accept=True)
    # de-bka sees an alert of it-dcsa's (by distribution) and links it in; fr-ocrb still does not see it.
    seen = owner.create_record("alerts", alert(rules=rules(mode="agencies", agencies=["de-bka"])))
    participant.add_to_case(case["id"], seen["id"])
    assert _problem(third.get_record, "alerts", seen["id"]) == (404, "not-found")
    assert [r["record"] for r in third.get_case(case["id"])["records"]] == []
    # Only the owner may consent, and a participant's attempt changes nothing.
    assert _problem(participant.add_to_case, case["id"], seen["id"], share=True) == (403, "forbidden")
    assert _problem(participant.share_in_case, case["id"], seen["id"]) == (403, "forbidden")
    assert _problem(third.get_record, "alerts", seen["id"]) == (404, "not-found")
    # The owner's consent is recorded and widens the audience to the participants.
    consented = owner.share_in_case(case["id"], seen["id"])
    assert consented["shared"] is True
    assert consented["consented_by"] == "analyst-1"
    assert consented["consented_at"] is not None
    assert third.get_record("alerts", seen["id"])["id"] == seen["id"]
    # Withdrawn consent, a participant removed, a closed case: the sight ends each time.
    owner.share_in_case(case["id"], seen["id"], share=False)
    assert _problem(third.get_record, "alerts", seen["id"]) == (404, "not-found")
    owner.share_in_case(case["id"], seen["id"])
    owner.remove_from_case(case["id"], "fr-ocrb")
    assert _problem(third.get_record, "alerts", seen["id"]) == (404, "not-found")
    assert _problem(third.get_case, case["id"]) == (404, "not-found")
    assert participant.get_record("alerts", seen["id"])["id"] == seen["id"]  # by distribution still
    own = owner.create_record("alerts", alert(rules=rules(mode="owner_only")))
    owner.add_to_case(case["id"], own["id"], share=True)
    assert participant.get_record("alerts", own["id"])["id"] == own["id"]
    owner.close_case(case["id"])
    assert _problem(participant.get_record, "alerts", own["id"]) == (404, "not-found")
    assert _problem(owner.add_to_case, case["id"], seen["id"]) == (409, "conflict")
    with db.engine.connect() as connection:  # the title is sealed at rest
        stored = connection.execute(text("SELECT title FROM joint_cases")).scalars().all()
    assert stored
    assert all("Joint case" not in value for value in stored)


def test_an_owner_only_record_takes_back_its_case_consents(agencies: dict[str, Member]) -> None:
    owner, participant = agencies["it-dcsa"].client, agencies["de-bka"].client
    case = owner.open_case("Case", invite=["de-bka"])
    participant.answer_case(case["id"], accept=True)
    record = owner.create_record("alerts", alert())
    owner.add_to_case(case["id"], record["id"], share=True)
    owner.update_record(
        "alerts", record["id"], {"rules": {"distribution": {"mode": "owner_only"}}}, etag='"v1"'
    )
    assert _problem(participant.get_record, "alerts", record["id"]) == (404, "not-found")
    assert owner.get_case(case["id"])["records"][0]["shared"] is False


def test_bad_input_changes_nothing(agencies: dict[str, Member]) -> None:
    owner, participant, stranger = (agencies[name].client for name in ("it-dcsa", "de-bka", "nl-nfiu"))
    case = owner.open_case("Case", invite=["de-bka"])
    hidden = stranger.create_record("alerts", alert(rules=rules(mode="owner_only")))
    assert _problem(owner.add_to_case, case["id"], hidden["id"]) == (404, "not-found")
    assert owner.get_case(case["id"])["records"] == []
    assert _problem(owner.invite_to_case, case["id"], ["no-such-agency"]) == (422, "validation-failed")
    assert _problem(participant.invite_to_case, case["id"], ["nl-nfiu"]) == (404, "not-found")  # not yet in
    participant.answer_case(case["id"], accept=True)
    assert _problem(participant.invite_to_case, case["id"], ["nl-nfiu"]) == (403, "forbidden")
    assert _problem(participant.close_case, case["id"]) == (403, "forbidden")
    assert _problem(owner.leave_case, case["id"]) == (409, "conflict")
    assert [p["agency"] for p in owner.get_case(case["id"])["participants"]] == ["de-bka"]
    with pytest.raises(KixProblem) as caught:
        owner.request("POST", "/v1/cases", json={"title": "", "owner": "nl-nfiu"})
    assert caught.value.status == 422


def test_typed_links_and_the_graph(agencies: dict[str, Member]) -> None:
    owner, participant = agencies["it-dcsa"].client, agencies["de-bka"].client
    case = owner.open_case("Graph", invite=["de-bka"])
    participant.answer_case(case["id"], accept=True)
    kidnapping = owner.create_record("alerts", alert())
    phone = "+393331234567"
    first = owner.create_record("suspects", suspect(phones=[phone]))
    second = participant.create_record(
        "suspects",
        suspect(names=[{"full_name": "Marco Bellini", "script": "Latn"}], documents=[], phones=[phone]),
    )
    account = participant.create_record("leads", lead())
    for record in (kidnapping, first, second, account):
        (owner if record["owner"] == "it-dcsa" else participant).add_to_case(case["id"], record["id"])
    made = participant.link_in_case(case["id"], second["id"], kidnapping["id"], "suspect_in", "probable")
    assert (made["confidence"], made["case"], made["author"]) == ("probable", case["id"], "de-bka")
    participant.link_in_case(case["id"], account["id"], second["id"], "paid_to", "confirmed")
    # Both ends must be records of the case the author sees.
    outside = owner.create_record("alerts", alert())
    assert _problem(owner.link_in_case, case["id"], outside["id"], first["id"], "related", "possible") == (
        404,
        "not-found",
    )
    graph = owner.case_graph(case["id"])
    labels = {node["id"]: node["label"] for node in graph["nodes"]}
    assert labels[first["id"]] == "Mohammed Al-Rashid"
    assert labels[second["id"]] == "Marco Bellini"
    assert labels[kidnapping["id"]].startswith("ransom_extortion IT")
    assert {(e["source"], e["target"], e["type"], e["confidence"]) for e in graph["edges"]} == {
        (second["id"], kidnapping["id"], "suspect_in", "probable"),
        (account["id"], second["id"], "paid_to", "confirmed"),
    }
    # The two suspects share a phone number: found through the blind indexes.
    assert {"kind": "phone", "records": sorted([first["id"], second["id"]])} in graph["shared_identifiers"]
    # A key without suspects:read sees no suspect nodes.
    narrow = agencies["it-dcsa"]
    assert narrow.client.case_graph(case["id"])["nodes"]  # sanity: the full key sees them


def test_the_graph_leaves_out_kinds_the_key_may_not_read(enrol: Any) -> None:
    owner = enrol("it-dcsa")
    narrow = enrol("de-bka", key_scopes=["cases:read", "cases:write", "alerts:read"])
    case = owner.client.open_case("Scopes", invite=["de-bka"])
    narrow.client.answer_case(case["id"], accept=True)
    alert_id = owner.client.create_record("alerts", alert())["id"]
    suspect_id = owner.client.create_record("suspects", suspect())["id"]
    for record_id in (alert_id, suspect_id):
        owner.client.add_to_case(case["id"], record_id)
    assert [node["id"] for node in narrow.client.case_graph(case["id"])["nodes"]] == [alert_id]


def test_reading_a_case_s_records_is_in_their_owners_access_logs(agencies: dict[str, Member]) -> None:
    owner, participant = agencies["it-dcsa"].client, agencies["de-bka"].client
    case = owner.open_case("Logged", invite=["de-bka"])
    participant.answer_case(case["id"], accept=True)
    record = owner.create_record("alerts", alert(rules=rules(mode="owner_only")))
    owner.add_to_case(case["id"], record["id"], share=True)
    participant.case_graph(case["id"])
    participant.get_case(case["id"])
    log = owner.request("GET", f"/v1/alerts/{record['id']}/access-log")["items"]
    reads = {(item["agency"], item["route"]) for item in log}
    assert ("de-bka", "/v1/cases/{case_id}/graph") in reads
    assert ("de-bka", "/v1/cases/{case_id}") in reads


def test_requests_and_crisis_rooms_in_a_case_show_only_to_their_parties(agencies: dict[str, Member]) -> None:
    owner, party, other = (agencies[name].client for name in ("it-dcsa", "de-bka", "fr-ocrb"))
    case = owner.open_case("With requests", invite=["de-bka", "fr-ocrb"])
    party.answer_case(case["id"], accept=True)
    other.answer_case(case["id"], accept=True)
    kidnapping = owner.create_record("alerts", alert())
    owner.add_to_case(case["id"], kidnapping["id"])
    request = owner.create_request(cooperation_request("de-bka", linked_records=[kidnapping["id"]]))
    room = owner.open_crisis(kidnapping["id"], [])
    owner.refer_in_case(case["id"], "request", request["id"])
    owner.refer_in_case(case["id"], "crisis", room["id"])
    # fr-ocrb is in the case but party to neither: it can not link them, and does not see them.
    assert _problem(other.refer_in_case, case["id"], "request", request["id"]) == (404, "not-found")
    assert other.get_case(case["id"])["references"] == []
    assert {node["kind"] for node in other.case_graph(case["id"])["nodes"]} == {"alert"}
    # de-bka, the addressee, sees the request joined to the record it concerns; not the room.
    seen = party.get_case(case["id"])["references"]
    assert [(ref["kind"], ref["id"], ref["concerns"]) for ref in seen] == [
        ("request", request["id"], [kidnapping["id"]])
    ]
    edges = {(e["source"], e["target"], e["type"]) for e in party.case_graph(case["id"])["edges"]}
    assert edges == {(request["id"], kidnapping["id"], "concerns")}
    owner_graph = owner.case_graph(case["id"])
    assert {node["kind"] for node in owner_graph["nodes"]} == {"alert", "request", "crisis"}
    assert _problem(party.unrefer_in_case, case["id"], "request", request["id"]) == (403, "forbidden")
    owner.unrefer_in_case(case["id"], "crisis", room["id"])
    assert [ref["kind"] for ref in owner.get_case(case["id"])["references"]] == ["request"]
