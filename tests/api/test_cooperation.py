"""Cooperation requests: every action from every state by every party, exactly as allowed; what each
party sees; the records a request names; what bad input gets."""

from datetime import timedelta
from typing import Any

import pytest

from app.client import KixClient, KixProblem
from app.clock import ShiftedClock
from app.config import Settings
from app.db import Database
from app.scheduler import Scheduler
from tests.records_data import alert, cooperation_request, lead, rules, suspect

STATES = [
    "draft",
    "submitted",
    "acknowledged",
    "in_progress",
    "information_requested",
    "executed",
    "partially_executed",
    "refused",
    "withdrawn",
]
ACTIONS = [
    "submit",
    "acknowledge",
    "start",
    "request_information",
    "provide_information",
    "execute",
    "execute_partially",
    "refuse",
    "withdraw",
]
# Written out by hand from the issue, not read from the code: (state, party) -> {action: new state}.
ALLOWED: dict[tuple[str, str], dict[str, str]] = {
    ("draft", "requester"): {"submit": "submitted", "withdraw": "withdrawn"},
    ("submitted", "requester"): {"withdraw": "withdrawn"},
    ("submitted", "addressee"): {"acknowledge": "acknowledged", "refuse": "refused"},
    ("acknowledged", "requester"): {"withdraw": "withdrawn"},
    ("acknowledged", "addressee"): {
        "start": "in_progress",
        "request_information": "information_requested",
        "refuse": "refused",
    },
    ("in_progress", "requester"): {"withdraw": "withdrawn"},
    ("in_progress", "addressee"): {
        "request_information": "information_requested",
        "execute": "executed",
        "execute_partially": "partially_executed",
        "refuse": "refused",
    },
    ("information_requested", "requester"): {"provide_information": "in_progress", "withdraw": "withdrawn"},
    ("information_requested", "addressee"): {"refuse": "refused"},
}
PATHS = {  # how to bring a request to each state: (party, action) steps after creation
    "draft": [],
    "submitted": [("requester", "submit")],
    "acknowledged": [("requester", "submit"), ("addressee", "acknowledge")],
    "in_progress": [("requester", "submit"), ("addressee", "acknowledge"), ("addressee", "start")],
    "information_requested": [
        ("requester", "submit"),
        ("addressee", "acknowledge"),
        ("addressee", "request_information"),
    ],
    "executed": [
        ("requester", "submit"),
        ("addressee", "acknowledge"),
        ("addressee", "start"),
        ("addressee", "execute"),
    ],
    "partially_executed": [
        ("requester", "submit"),
        ("addressee", "acknowledge"),
        ("addressee", "start"),
        ("addressee", "execute_partially"),
    ],
    "refused": [("requester", "submit"), ("addressee", "refuse")],
    "withdrawn": [("requester", "withdraw")],
}


def _act(client: KixClient, request_id: str, action: str) -> Any:
    extra: dict[str, Any] = {"note": "because"}
    if action == "refuse":
        extra["grounds"] = ["insufficient_information"]
    return client.act_on_request(request_id, action, **extra)


def _status(call: Any, *args: Any) -> tuple[int, str | None]:
    try:
        return 200, call(*args)["state"]
    except KixProblem as problem:
        return problem.status, problem.type.removeprefix("urn:kix:problem:")


@pytest.fixture
def parties(enrol: Any) -> dict[str, KixClient]:
    return {
        "requester": enrol("de-bka").client,
        "addressee": enrol("it-dcsa").client,
        "copied": enrol("fr-ocrb").client,
        "stranger": enrol("es-ucic").client,
    }


def _make(parties: dict[str, KixClient], state: str) -> str:
    body = cooperation_request("it-dcsa", copied=["fr-ocrb"], submit=False)
    request_id: str = parties["requester"].create_request(body)["id"]
    for party, action in PATHS[state]:
        _act(parties[party], request_id, action)
    assert parties["requester"].get_request(request_id)["state"] == state
    return request_id


def test_every_action_from_every_state_by_every_party(parties: dict[str, KixClient]) -> None:
    for state in STATES:
        shared = _make(parties, state)
        for party in ("requester", "addressee", "copied", "stranger"):
            allowed = ALLOWED.get((state, party), {})
            for action in ACTIONS:
                if action in allowed:  # a fresh request each time: it moves
                    assert _status(_act, parties[party], _make(parties, state), action) == (
                        200,
                        allowed[action],
                    )
                    continue
                got = _status(_act, parties[party], shared, action)
                if party == "stranger" or (state == "draft" and party != "requester"):
                    assert got == (404, "not-found"), (state, party, action)
                elif party == "copied" or any(action in ALLOWED.get((s, party), {}) for s in STATES) is False:
                    assert got == (403, "forbidden"), (state, party, action)
                else:
                    assert got[0] in (403, 409), (state, party, action, got)
                    may_ever = any(action in moves for (s, p), moves in ALLOWED.items() if p == party)
                    assert got == ((409, "invalid-transition") if may_ever else (403, "forbidden")), (
                        state,
                        party,
                        action,
                    )
        assert parties["requester"].get_request(shared)["state"] == state  # refusals changed nothing


def test_a_refused_move_names_what_is_allowed(parties: dict[str, KixClient]) -> None:
    request_id = _make(parties, "submitted")
    with pytest.raises(KixProblem) as refused:
        _act(parties["addressee"], request_id, "execute")
    assert refused.value.status == 409
    assert "allowed: acknowledge, refuse" in refused.value.detail
    view = parties["addressee"].get_request(request_id)
    assert view["allowed_actions"] == ["acknowledge", "refuse"]
    assert parties["copied"].get_request(request_id)["allowed_actions"] == []


def test_who_sees_a_request_and_the_records_it_names(parties: dict[str, KixClient]) -> None:
    requester, addressee = parties["requester"], parties["addressee"]
    person = requester.create_record("suspects", suspect(rules=rules(mode="owner_only")))
    body = cooperation_request("it-dcsa", copied=["fr-ocrb"], linked_records=[person["id"]], submit=False)
    draft = requester.create_request(body)
    assert _status(addressee.get_request, draft["id"]) == (404, "not-found")  # a draft is the requester's
    assert _status(addressee.get_record, "suspects", person["id"])[0] == 404
    _act(requester, draft["id"], "submit")
    assert addressee.get_record("suspects", person["id"])["id"] == person["id"]  # while it is open
    assert parties["copied"].get_record("suspects", person["id"])["id"] == person["id"]
    assert _status(parties["stranger"].get_record, "suspects", person["id"])[0] == 404
    assert [r["id"] for r in addressee.requests(role="addressee")["items"]] == [draft["id"]]
    assert [r["id"] for r in parties["copied"].requests(role="copied")["items"]] == [draft["id"]]
    assert parties["stranger"].requests()["items"] == []
    _act(requester, draft["id"], "withdraw")
    assert _status(addressee.get_record, "suspects", person["id"])[0] == 404  # closed: sight ends


def test_bad_requests_are_refused_and_change_nothing(parties: dict[str, KixClient], admin: KixClient) -> None:
    requester = parties["requester"]
    not_mine = parties["addressee"].create_record("suspects", suspect())
    alert_record = requester.create_record("alerts", alert())
    bad = {
        "a record of another agency": cooperation_request("it-dcsa", linked_records=[not_mine["id"]]),
        "freezing an alert": cooperation_request(
            "it-dcsa",
            kind="freezing",
            asset_order={
                "leads": [alert_record["id"]],
                "amount": "1.00",
                "currency": "EUR",
                "order_reference": "x",
            },
        ),
        "extradition without ground": cooperation_request(
            "it-dcsa",
            kind="extradition",
            extradition={
                "person": not_mine["id"],
                "warrant": {"issued_by": "AG", "reference": "1", "issued_on": "2026-01-01"},
                "offence": "kidnapping",
                "dual_criminality": "both",
            },
        ),
        "to oneself": cooperation_request("de-bka"),
        "to nobody": cooperation_request("xx-none"),
    }
    for name, body in bad.items():
        assert _status(requester.create_request, body)[0] == 422, name
    big = cooperation_request(
        "it-dcsa", attachments=[{"name": "x", "media_type": "text/plain", "content": "a" * 300_000}]
    )
    assert _status(requester.create_request, big) == (413, "body-too-large")
    assert requester.requests()["items"] == []
    # An addressee that does not accept the kind: 422 naming who does in its country.
    entry = {
        "accepts": ["information"],
        "languages": ["it"],
        "contact": {"phone": "+390600000000", "secure_email": "desk@example.org", "hours": "24/7"},
    }
    parties["addressee"].put_directory_entry("it-dcsa", entry)
    admin.create_agency(
        {
            "id": "it-mg",
            "country": "DE",
            "name": "Ministero della Giustizia",
            "kind": "central_authority",
            "scopes": ["requests:read", "requests:write"],
            "contact": {"name": "Desk", "phone": "+390611111111", "email": "mg@example.org"},
        }
    )
    admin.put_directory_entry("it-mg", entry | {"accepts": ["mutual_legal_assistance", "extradition"]})
    with pytest.raises(KixProblem) as refused:
        requester.create_request(cooperation_request("it-dcsa"))
    assert refused.value.status == 422
    assert "it is accepted by it-mg" in refused.value.detail
    assert requester.create_request(cooperation_request("it-mg"))["state"] == "submitted"


def test_executing_a_freezing_request_freezes_the_lead_and_its_lapse_is_warned(
    parties: dict[str, KixClient], db: Database, settings: Settings, clock: ShiftedClock
) -> None:
    requester, addressee = parties["requester"], parties["addressee"]
    asset = requester.create_record("leads", lead())
    expires = (clock.now() + timedelta(days=20)).date().isoformat()
    order = {
        "leads": [asset["id"]],
        "amount": "120000.00",
        "currency": "EUR",
        "order_reference": "GIP 77/2026",
    }
    body = cooperation_request("it-dcsa", kind="freezing", asset_order=order | {"order_expires_on": expires})
    request = requester.create_request(body)
    assert addressee.get_record("leads", asset["id"])["status"] == "traced"  # the addressee sees the asset
    for action in ("acknowledge", "start", "execute"):
        _act(addressee, request["id"], action)
    frozen = requester.get_record("leads", asset["id"])
    assert (frozen["status"], frozen["freeze_expires_on"], frozen["version"]) == ("frozen", expires, 2)
    revision = requester.record_revisions("leads", asset["id"])["items"][-1]
    assert revision["changed_by"] == "de-bka"
    scheduler = Scheduler(db, settings, clock)
    scheduler.run_due()
    clock.advance(timedelta(days=7))  # 13 days left: the 14-day warning
    assert scheduler.run_due()["freeze-lapses"] == 1
    clock.advance(timedelta(days=11, hours=1))  # under 48 hours left
    assert scheduler.run_due()["freeze-lapses"] == 1
    clock.advance(timedelta(minutes=11))
    assert scheduler.run_due()["freeze-lapses"] == 0  # each warned once
    lapsing = [e["data"]["threshold"] for e in requester.feed.iter(follow=False, types=["freeze.lapsing"])]
    assert lapsing == ["14d", "48h"]


def test_deadlines_by_kind_and_urgency_and_their_warnings(
    parties: dict[str, KixClient], db: Database, settings: Settings, clock: ShiftedClock
) -> None:
    requester, addressee = parties["requester"], parties["addressee"]
    urgent = requester.create_request(
        cooperation_request("it-dcsa", kind="urgent_assistance", urgency="critical")
    )
    ordinary = requester.create_request(cooperation_request("it-dcsa", urgency="medium"))
    hours = lambda r: (  # noqa: E731
        (_parse(r["due_at"]) - _parse(r["created_at"])).total_seconds() / 3600
    )
    assert round(hours(urgent)) == 1
    assert round(hours(ordinary)) == 5 * 24
    scheduler = Scheduler(db, settings, clock)
    clock.advance(timedelta(minutes=50))  # under a quarter of the hour left
    scheduler.run_due()
    clock.advance(timedelta(minutes=15))  # past it
    scheduler.run_due()
    assert addressee.get_request(urgent["id"])["overdue"] is True
    warnings = [
        (e["data"]["warning"], e["data"]["request_id"])
        for e in addressee.feed.iter(follow=False, types=["deadline.warning"])
    ]
    assert warnings == [("due_soon", urgent["id"]), ("overdue", urgent["id"])]
    _act(addressee, urgent["id"], "acknowledge")
    assert addressee.get_request(urgent["id"])["overdue"] is False


def _parse(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)
