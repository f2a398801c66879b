"""Consent to onward sharing and access, on the workflow engine: asking reveals nothing of the audience,
the owner revokes, a new distribution revokes what it no longer covers, and every step is recorded."""

from typing import Any

import pytest

from app.client import KixProblem
from app.schemas.matching import AccessRequestRead
from app.schemas.records import ConsentState, ShareRequestRead
from tests.conftest import Member
from tests.records_data import alert, rules


def _problem(call: Any, *args: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(KixProblem) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.type.removeprefix("urn:kix:problem:")


def _sees(member: Member, record_id: str) -> bool:
    try:
        member.client.get_record("alerts", record_id)
    except KixProblem as problem:
        if problem.status != 404:
            raise
        return False
    return True


@pytest.fixture
def members(enrol: Any) -> dict[str, Member]:
    return {
        name: enrol(name) for name in ("ag-owner", "ag-recipient", "ag-insider", "ag-outsider", "ag-fourth")
    }


def _comparable(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer with what differs between any two requests (ids, times, the target named) left out."""
    varying = {"id", "target", "created_at", "due_at", "decided_at"}
    steps = [{k: v for k, v in step.items() if k != "at"} for step in answer["transitions"]]
    return {k: v for k, v in answer.items() if k not in varying} | {"transitions": steps}


def test_finding_01_asking_to_share_reveals_nothing_of_the_audience(members: dict[str, Member]) -> None:
    owner, recipient = members["ag-owner"], members["ag-recipient"]
    shared = rules(mode="agencies", agencies=["ag-recipient", "ag-insider"])
    record = owner.client.create_record("alerts", alert(rules=shared))
    # The insider already sees the record, the outsider does not: the recipient gets the same answer.
    to_insider = recipient.client.ask_onward_sharing("alerts", record["id"], "ag-insider", "task force")
    to_outsider = recipient.client.ask_onward_sharing("alerts", record["id"], "ag-outsider", "task force")
    assert _comparable(to_insider) == _comparable(to_outsider)
    assert to_insider["status"] == to_outsider["status"] == "pending"
    # Granting is a no-op for the insider (no consent added), and lets the outsider in.
    owner.client.decide_onward_sharing("alerts", record["id"], to_insider["id"], True, "fine")
    owner.client.decide_onward_sharing("alerts", record["id"], to_outsider["id"], True, "fine")
    assert owner.client.get_record("alerts", record["id"])["rules"]["distribution"]["consented"] == [
        "ag-outsider"
    ]
    assert _sees(members["ag-outsider"], record["id"])


def test_finding_05_a_read_only_key_can_not_ask_to_share(enrol: Any, members: dict[str, Member]) -> None:
    owner = members["ag-owner"]
    reader = enrol("ag-reader", key_scopes=["alerts:read", "requests:read"])
    record = owner.client.create_record("alerts", alert(rules=rules(mode="agencies", agencies=["ag-reader"])))
    assert _problem(reader.client.ask_onward_sharing, "alerts", record["id"], "ag-outsider", "x") == (
        403,
        "forbidden",
    )
    assert owner.client.share_requests("alerts", record["id"])["items"] == []


def test_finding_05_the_owner_revokes_a_consent(members: dict[str, Member]) -> None:
    owner, recipient, outsider = members["ag-owner"], members["ag-recipient"], members["ag-outsider"]
    record = owner.client.create_record(
        "alerts", alert(rules=rules(mode="agencies", agencies=["ag-recipient"]))
    )
    asked = recipient.client.ask_onward_sharing("alerts", record["id"], "ag-outsider", "leg in France")
    owner.client.decide_onward_sharing("alerts", record["id"], asked["id"], True, "agreed")
    assert _sees(outsider, record["id"])
    revoked = owner.client.revoke_consent("alerts", record["id"], "ag-outsider", "the operation ended")
    assert revoked == {"record_id": record["id"], "agency": "ag-outsider", "revoked": True}
    assert not _sees(outsider, record["id"])
    [request] = owner.client.share_requests("alerts", record["id"])["items"]
    assert request["status"] == "revoked"
    assert [(step["name"], step["party"], step["note"]) for step in request["transitions"]] == [
        ("open", "requester", "leg in France"),
        ("grant", "owner", "agreed"),
        ("revoke", "owner", "the operation ended"),
    ]
    # Nothing left to revoke; only the owner may revoke.
    assert owner.client.revoke_consent("alerts", record["id"], "ag-outsider", "again")["revoked"] is False
    assert _problem(recipient.client.revoke_consent, "alerts", record["id"], "ag-outsider", "x") == (
        403,
        "forbidden",
    )


def test_finding_05_a_new_distribution_revokes_the_consents_it_no_longer_covers(
    members: dict[str, Member],
) -> None:
    owner, recipient = members["ag-owner"], members["ag-recipient"]
    outsider, fourth = members["ag-outsider"], members["ag-fourth"]
    shared = rules(mode="agencies", agencies=["ag-recipient", "ag-insider"])
    record = owner.client.create_record("alerts", alert(rules=shared))
    # ag-recipient passes it to the outsider, who passes it on to a fourth agency: a chain of consents.
    first = recipient.client.ask_onward_sharing("alerts", record["id"], "ag-outsider", "a")
    owner.client.decide_onward_sharing("alerts", record["id"], first["id"], True, "ok")
    second = outsider.client.ask_onward_sharing("alerts", record["id"], "ag-fourth", "b")
    owner.client.decide_onward_sharing("alerts", record["id"], second["id"], True, "ok")
    assert _sees(fourth, record["id"])
    # The recipient leaves the distribution: the chain it started no longer stands.
    change = {"rules": {"distribution": {"mode": "agencies", "agencies": ["ag-insider"]}}}
    updated = owner.client.update_record("alerts", record["id"], change, etag='"v1"')
    assert updated["revoked_consents"] == ["ag-fourth", "ag-outsider"]
    assert updated["rules"]["distribution"]["consented"] == []
    assert not _sees(outsider, record["id"])
    assert not _sees(fourth, record["id"])
    assert _sees(members["ag-insider"], record["id"])
    states = {r["target"]: r["status"] for r in owner.client.share_requests("alerts", record["id"])["items"]}
    assert states == {"ag-outsider": "revoked", "ag-fourth": "revoked"}


def test_finding_05_owner_only_revokes_every_consent(members: dict[str, Member]) -> None:
    owner, recipient, outsider = members["ag-owner"], members["ag-recipient"], members["ag-outsider"]
    record = owner.client.create_record("alerts", alert())  # all members
    asked = recipient.client.ask_onward_sharing("alerts", record["id"], "ag-outsider", "x")
    owner.client.decide_onward_sharing("alerts", record["id"], asked["id"], True, "ok")  # a no-op: all see it
    other = owner.client.create_record(
        "alerts", alert(rules=rules(mode="agencies", agencies=["ag-recipient"]))
    )
    asked = recipient.client.ask_onward_sharing("alerts", other["id"], "ag-outsider", "x")
    owner.client.decide_onward_sharing("alerts", other["id"], asked["id"], True, "ok")
    updated = owner.client.update_record(
        "alerts", other["id"], {"rules": {"distribution": {"mode": "owner_only"}}}, etag='"v1"'
    )
    assert updated["revoked_consents"] == ["ag-outsider"]
    assert not _sees(outsider, other["id"])
    assert not _sees(recipient, other["id"])
    # A change that leaves the covered consents alone revokes nothing, and says so.
    unchanged = owner.client.update_record("alerts", record["id"], {"urgency": "low"}, etag='"v1"')
    assert unchanged["revoked_consents"] == []


def test_the_requester_withdraws_and_illegal_moves_name_what_is_allowed(members: dict[str, Member]) -> None:
    owner, recipient = members["ag-owner"], members["ag-recipient"]
    record = owner.client.create_record(
        "alerts", alert(rules=rules(mode="agencies", agencies=["ag-recipient"]))
    )
    asked = recipient.client.ask_onward_sharing("alerts", record["id"], "ag-outsider", "x")
    assert _problem(
        recipient.client.decide_onward_sharing, "alerts", record["id"], asked["id"], True, "me"
    ) == (
        403,
        "forbidden",
    )
    withdrawn = recipient.client.withdraw_share_request("alerts", record["id"], asked["id"], "not needed")
    assert (withdrawn["status"], withdrawn["due_at"], withdrawn["overdue"]) == ("withdrawn", None, False)
    with pytest.raises(KixProblem) as refused:
        owner.client.decide_onward_sharing("alerts", record["id"], asked["id"], True, "late")
    assert (refused.value.status, refused.value.type) == (409, "urn:kix:problem:invalid-transition")
    assert "nothing is allowed now" in refused.value.detail
    assert _problem(members["ag-outsider"].client.share_requests, "alerts", record["id"]) == (
        404,
        "not-found",
    )


def test_finding_15_request_states_are_one_vocabulary(app: Any) -> None:
    schema = app.openapi()["components"]["schemas"]
    assert ShareRequestRead.model_fields["status"].annotation is ConsentState
    assert AccessRequestRead.model_fields["status"].annotation is ConsentState
    assert schema["ConsentState"]["enum"] == [state.value for state in ConsentState]
    for read in ("ShareRequestRead", "AccessRequestRead"):
        assert schema[read]["properties"]["status"] == {"$ref": "#/components/schemas/ConsentState"}


def test_an_owner_lists_what_waits_on_it_across_its_records(members: dict[str, Member]) -> None:
    owner, recipient, outsider = members["ag-owner"], members["ag-recipient"], members["ag-outsider"]
    shared = rules(mode="agencies", agencies=["ag-recipient"])
    first = owner.client.create_record("alerts", alert(rules=shared))
    second = owner.client.create_record("alerts", alert(rules=shared))
    asked = [
        recipient.client.ask_onward_sharing("alerts", record["id"], "ag-fourth", "task force")
        for record in (first, second)
    ]
    owner.client.decide_onward_sharing("alerts", first["id"], asked[0]["id"], False, "not now")
    everything = owner.client.all_share_requests("alerts")["items"]
    assert [item["id"] for item in everything] == [asked[0]["id"], asked[1]["id"]]
    waiting = owner.client.all_share_requests("alerts", pending=True)["items"]
    assert [(item["id"], item["record_id"]) for item in waiting] == [(asked[1]["id"], second["id"])]
    assert [item["id"] for item in recipient.client.all_share_requests("alerts")["items"]] == [
        item["id"] for item in asked
    ]
    assert outsider.client.all_share_requests("alerts")["items"] == []
    assert owner.client.all_share_requests("suspects")["items"] == []  # one kind at a time


def test_a_requester_no_longer_lists_requests_on_a_record_it_can_not_see(members: dict[str, Member]) -> None:
    owner, recipient = members["ag-owner"], members["ag-recipient"]
    record = owner.client.create_record(
        "alerts", alert(rules=rules(mode="agencies", agencies=["ag-recipient"]))
    )
    asked = recipient.client.ask_onward_sharing("alerts", record["id"], "ag-fourth", "task force")
    assert [item["id"] for item in recipient.client.all_share_requests("alerts")["items"]] == [asked["id"]]
    fresh = owner.client.get_record("alerts", record["id"])
    owner.client.update_record(
        "alerts", record["id"], {"rules": {"distribution": {"mode": "owner_only"}}}, etag=fresh["etag"]
    )
    assert not _sees(recipient, record["id"])
    assert recipient.client.all_share_requests("alerts")["items"] == []
    assert [item["id"] for item in owner.client.all_share_requests("alerts")["items"]] == [asked["id"]]
