"""The audit log through the real app: an entry for every authenticated request (accepted or refused),
written with the change it records; signed tree heads, inclusion and consistency proofs the SDK checks;
owners' access logs; and the administrators' query."""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.client import KixProblem
from app.client.audit import AuditVerificationError, MemoryHeadStore
from app.crypto.encoding import b64url_encode
from app.db import Database
from app.models import AuditEntry, Record
from app.services.audit import log as audit_log
from app.services.audit.log import sign_head
from tests.conftest import Member
from tests.records_data import alert, rules


def _entries(db: Database) -> list[AuditEntry]:
    with db.sessions() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _status(call: Any, *args: Any, **kwargs: Any) -> int:
    with pytest.raises(KixProblem) as caught:
        call(*args, **kwargs)
    return caught.value.status


@pytest.fixture
def pair(enrol: Any) -> tuple[Member, Member]:
    return enrol("it-dcsa"), enrol("de-bka", key_scopes=["alerts:read"])


def test_every_authenticated_request_leaves_one_entry_accepted_or_refused(
    pair: tuple[Member, Member], db: Database, http: httpx.Client
) -> None:
    it, de = pair
    before = len(_entries(db))
    it.client.whoami()
    missing = str(uuid.uuid4())
    assert _status(it.client.get_record, "alerts", missing) == 404
    assert _status(de.client.create_record, "alerts", alert(rules=rules())) == 403
    assert _status(it.client.create_record, "alerts", alert(rules=rules(), urgency="whenever")) == 422
    assert _status(it.client.request, "GET", "/v1/no-such-route/giulia-ferraro") == 404
    assert http.get("/v1/whoami").status_code == 401  # unauthenticated: counted and logged, not appended
    entries = _entries(db)[before:]
    seen = [(entry.agency_id, entry.method, entry.route, entry.status) for entry in entries]
    assert seen == [
        ("it-dcsa", "GET", "/v1/whoami", 200),
        ("it-dcsa", "GET", "/v1/alerts/{record_id}", 404),
        ("de-bka", "POST", "/v1/alerts", 403),
        ("it-dcsa", "POST", "/v1/alerts", 422),
        ("it-dcsa", "GET", "(not routed)", 404),  # a path no route took is not kept: it could say anything
    ]
    first = entries[0]
    assert (first.kid, first.actor) == (it.key.kid, "analyst-1")
    assert len(bytes.fromhex(first.signature_sha256)) == 32
    assert len({entry.request_id for entry in entries}) == 5
    with db.sessions() as session:  # the refused create changed nothing
        assert session.scalar(select(func.count()).select_from(Record)) == 0
    # No personal data: the victim's name is nowhere in the log.
    assert all(b"iulia" not in audit_log.entry_bytes(entry, 0) for entry in entries)


def test_a_change_and_its_entry_commit_together(
    pair: tuple[Member, Member], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    it, de = pair
    created = it.client.create_record("alerts", alert(rules=rules()))
    entry = _entries(db)[-1]
    assert (entry.route, entry.status, entry.records) == ("/v1/alerts", 201, [created["id"]])
    stale = {"urgency": "low"}
    assert _status(it.client.update_record, "alerts", created["id"], stale, etag='"v9"') == 412
    refused = _entries(db)[-1]  # refused inside the route: its changes rolled back, its entry kept
    assert (refused.route, refused.status) == ("/v1/alerts/{record_id}", 412)

    def broken(*_args: Any) -> None:
        raise RuntimeError("the log is unavailable")

    # If the entry cannot be written, neither is the change.
    monkeypatch.setattr("app.api.deps.append_entry", broken)
    assert _status(it.client.create_record, "alerts", alert(rules=rules())) == 500
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Record)) == 1
    assert _entries(db)[-1].status == 500  # the failure itself is logged by the channel


def test_owners_see_who_touched_their_records(pair: tuple[Member, Member], enrol: Any) -> None:
    it, de = pair
    created = it.client.create_record("alerts", alert(rules=rules()))
    de.client.get_record("alerts", created["id"])
    de.client.list_records("alerts")
    log = it.client.request("GET", f"/v1/alerts/{created['id']}/access-log")
    seen = [(item["agency"], item["method"], item["route"], item["status"]) for item in log["items"]]
    assert seen == [
        ("it-dcsa", "POST", "/v1/alerts", 201),
        ("de-bka", "GET", "/v1/alerts/{record_id}", 200),
        ("de-bka", "GET", "/v1/alerts", 200),
    ]
    assert log["items"][1]["actor"] == "analyst-1"
    assert _status(de.client.request, "GET", f"/v1/alerts/{created['id']}/access-log") == 403
    enrol("fr-ocrb")
    hidden = it.client.create_record("alerts", alert(rules=rules("agencies", agencies=["fr-ocrb"])))
    assert _status(de.client.request, "GET", f"/v1/alerts/{hidden['id']}/access-log") == 404


def test_the_sdk_checks_signed_heads_and_proofs(pair: tuple[Member, Member], app: FastAPI) -> None:
    it, de = pair
    it.client.create_record("alerts", alert(rules=rules()))
    first = it.client.audit.tree_head()
    de.client.whoami()
    second = it.client.audit.tree_head()  # checked against the first by a consistency proof
    assert second["size"] > first["size"]
    own = it.client.request("GET", "/v1/audit/entries", params={"agency": "it-dcsa"})
    ours = own["items"][0]
    assert it.client.audit.prove(ours["seq"])["request_id"] == ours["request_id"]
    theirs = it.client.request("GET", "/v1/audit/entries", params={"agency": "de-bka"})["items"]
    whoami = next(item for item in theirs if item["route"] == "/v1/whoami")
    assert _status(it.client.audit.prove, whoami["seq"]) == 404  # about another agency
    assert de.client.audit.prove(whoami["seq"])["route"] == "/v1/whoami"
    assert (
        _status(it.client.request, "GET", "/v1/audit/proofs/consistency", params={"from": 5, "to": 1}) == 422
    )


def test_the_sdk_catches_a_forked_or_rewritten_log(pair: tuple[Member, Member], app: FastAPI) -> None:
    it, _de = pair
    head = it.client.audit.tree_head()
    server_key = app.state.server_key
    # The operator signs another root for the same size: a fork.
    forged = sign_head(server_key, head["size"], b"\x01" * 32, datetime.now(UTC))
    fork = audit_log.as_head(forged).document()
    with pytest.raises(AuditVerificationError, match="forked"):
        it.client.audit.accept(fork)
    # Or a longer tree that does not extend the one seen: its consistency proof cannot verify.
    longer = audit_log.as_head(sign_head(server_key, head["size"] + 1, b"\x02" * 32, datetime.now(UTC)))
    it.client.whoami()
    it.client.audit.tree_head()  # the log really grew past head["size"]
    it.client.audit.store = MemoryHeadStore()
    it.client.audit.store.save(head)
    with pytest.raises(AuditVerificationError, match="rewritten"):
        it.client.audit.accept(longer.document())
    # A head signed by another key is refused outright.
    bad = dict(head, signature=b64url_encode(b"\x00" * 64))
    with pytest.raises(AuditVerificationError, match="signature"):
        it.client.audit.accept(bad)


def test_administrators_query_the_log(pair: tuple[Member, Member], admin: Any) -> None:
    it, de = pair
    it.client.whoami()
    de.client.whoami()
    page = it.client.request("GET", "/v1/audit/entries", params={"agency": "de-bka", "route": "/v1/whoami"})
    assert [(item["agency"], item["route"]) for item in page["items"]] == [("de-bka", "/v1/whoami")]
    assert _status(de.client.request, "GET", "/v1/audit/entries") == 403  # no audit:read
    first = it.client.request("GET", "/v1/audit/entries", params={"limit": 2})
    rest = it.client.request("GET", "/v1/audit/entries", params={"limit": 500, "after": first["cursor"]})
    ids = [item["request_id"] for item in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) >= 4
    naive = {"since": "2026-11-29T10:00:00"}
    assert _status(it.client.request, "GET", "/v1/audit/entries", params=naive) == 422


def test_the_scheduler_numbers_entries_and_signs_heads(
    pair: tuple[Member, Member], app: FastAPI, db: Database
) -> None:
    it, _de = pair
    it.client.whoami()
    done = app.state.scheduler.run_due()
    assert done["audit-sequencer"] >= 1
    with db.sessions() as session:
        head = audit_log.latest_head(session)
        pending = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.seq.is_(None)))
    assert head is not None
    assert pending == 0
    assert head.size == len(_entries(db))
    with db.sessions() as session:
        assert audit_log.tree.root(session, head.size) == head.root


def test_an_entry_number_past_the_largest_bigint_is_refused_not_a_server_error(
    pair: tuple[Member, Member],
) -> None:
    member = pair[0]
    huge = 2**63  # found by the contract fuzzer: it used to reach the database and overflow there
    for path, params in (
        ("/v1/audit/proofs/inclusion", {"leaf": huge}),
        ("/v1/audit/proofs/consistency", {"from": 1, "to": huge}),
        ("/v1/audit/proofs/consistency", {"from": huge, "to": 1}),
    ):
        assert _status(member.client.request, "GET", path, params=params) == 422, (path, params)
