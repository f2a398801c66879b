"""Contributions, consent for onward sharing, and withdrawal/correction notices with receipts."""

from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select

from app.client import KixProblem
from app.db import Database
from app.models import AuditEntry, RecordView
from app.services.audit.context import RequestAudit
from app.services.identity.authentication import Caller
from tests.conftest import Member
from tests.records_data import alert, rules


def _problem(call: Any, *args: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(KixProblem) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.type.removeprefix("urn:kix:problem:")


@pytest.fixture
def trio(enrol: Any) -> tuple[Member, Member, Member]:
    return enrol("it-dcsa"), enrol("de-bka"), enrol("fr-ocrb")


def test_contributions_reach_the_owner_and_stay_private_between_recipients(
    trio: tuple[Member, Member, Member],
) -> None:
    owner, bka, ocrb = trio
    record = owner.client.create_record(
        "alerts", alert(rules=rules(mode="agencies", agencies=["de-bka", "fr-ocrb"]))
    )
    bka.client.contribute("alerts", record["id"], "sighting", "Seen in Frankfurt, grey van")
    ocrb.client.contribute("alerts", record["id"], "hit_report", "Phone hit near Lyon")
    owner_view = owner.client.contributions("alerts", record["id"])["items"]
    assert [(c["author"], c["kind"]) for c in owner_view] == [
        ("de-bka", "sighting"),
        ("fr-ocrb", "hit_report"),
    ]
    assert owner_view[0]["actor"] == "analyst-1"
    assert [c["author"] for c in bka.client.contributions("alerts", record["id"])["items"]] == ["de-bka"]
    assert [c["author"] for c in ocrb.client.contributions("alerts", record["id"])["items"]] == ["fr-ocrb"]


def test_onward_sharing_needs_the_owners_consent(trio: tuple[Member, Member, Member]) -> None:
    owner, bka, ocrb = trio
    record = owner.client.create_record("alerts", alert(rules=rules(mode="agencies", agencies=["de-bka"])))
    # The recipient can not re-distribute: only the owner changes the rules.
    change = {"rules": {"distribution": {"mode": "agencies", "agencies": ["de-bka", "fr-ocrb"]}}}
    assert _problem(bka.client.update_record, "alerts", record["id"], change, etag='"v1"') == (
        403,
        "forbidden",
    )
    asked = bka.client.ask_onward_sharing("alerts", record["id"], "fr-ocrb", "French leg of the ransom route")
    assert asked["status"] == "pending"
    assert _problem(ocrb.client.get_record, "alerts", record["id"]) == (404, "not-found")
    assert [r["id"] for r in owner.client.share_requests("alerts", record["id"])["items"]] == [asked["id"]]
    refused = owner.client.decide_onward_sharing("alerts", record["id"], asked["id"], False, "Not yet")
    assert (refused["status"], refused["decision_reason"]) == ("refused", "Not yet")
    assert _problem(ocrb.client.get_record, "alerts", record["id"]) == (404, "not-found")
    again = bka.client.ask_onward_sharing("alerts", record["id"], "fr-ocrb", "Now urgent")
    owner.client.decide_onward_sharing("alerts", record["id"], again["id"], True, "Agreed")
    assert ocrb.client.get_record("alerts", record["id"])["id"] == record["id"]
    assert owner.client.get_record("alerts", record["id"])["rules"]["distribution"]["consented"] == [
        "fr-ocrb"
    ]
    assert _problem(owner.client.decide_onward_sharing, "alerts", record["id"], again["id"], False, "x") == (
        409,
        "invalid-transition",
    )


def test_only_the_owner_decides(trio: tuple[Member, Member, Member]) -> None:
    owner, bka, ocrb = trio
    record = owner.client.create_record("alerts", alert(rules=rules(mode="agencies", agencies=["de-bka"])))
    asked = bka.client.ask_onward_sharing("alerts", record["id"], "fr-ocrb", "please")
    assert _problem(
        bka.client.decide_onward_sharing, "alerts", record["id"], asked["id"], True, "self-serve"
    ) == (
        403,
        "forbidden",
    )
    assert _problem(ocrb.client.ask_onward_sharing, "alerts", record["id"], "de-bka", "x") == (
        404,
        "not-found",
    )


def test_withdrawal_and_correction_reach_every_agency_that_saw_it(
    trio: tuple[Member, Member, Member],
) -> None:
    owner, bka, ocrb = trio
    record = owner.client.create_record("alerts", alert())
    bka.client.get_record("alerts", record["id"])  # seen by BKA (detail) ...
    ocrb.client.list_records("alerts")  # ... and by OCRB (in a list)
    owner.client.update_record("alerts", record["id"], {"urgency": "medium"}, etag=record["etag"])
    owner.client.withdraw_record("alerts", record["id"], "Victim was never missing")

    for member in (bka, ocrb):
        pending = member.client.notices("alerts")["items"]
        assert [(n["kind"], n["record_id"]) for n in pending] == [
            ("correction", record["id"]),
            ("withdrawal", record["id"]),
        ]
    withdrawal = bka.client.notices("alerts")["items"][1]
    assert withdrawal["message"] == "Victim was never missing"
    acked = bka.client.acknowledge_notice("alerts", withdrawal["id"])
    assert acked["acknowledged_at"] is not None
    assert [n["kind"] for n in bka.client.notices("alerts")["items"]] == ["correction"]

    receipts = owner.client.notice_receipts("alerts", record["id"])["items"]
    by_kind = {n["kind"]: n for n in receipts}
    assert by_kind["withdrawal"]["unacknowledged"] == ["fr-ocrb"]
    assert by_kind["correction"]["unacknowledged"] == ["de-bka", "fr-ocrb"]
    assert _problem(bka.client.notice_receipts, "alerts", record["id"]) == (403, "forbidden")
    assert _problem(ocrb.client.acknowledge_notice, "suspects", withdrawal["id"]) == (404, "not-found")


def test_owner_allowing_onward_sharing_grants_in_advance(trio: tuple[Member, Member, Member]) -> None:
    owner, bka, ocrb = trio
    open_rules = rules(mode="agencies", agencies=["de-bka"]) | {
        "restrictions": {"no_onward_sharing": False, "no_judicial_use_without_consent": True}
    }
    record = owner.client.create_record("alerts", alert(rules=open_rules))
    asked = bka.client.ask_onward_sharing("alerts", record["id"], "fr-ocrb", "French leg")
    assert asked["status"] == "granted"
    assert ocrb.client.get_record("alerts", record["id"])["id"] == record["id"]
    assert [r["status"] for r in owner.client.share_requests("alerts", record["id"])["items"]] == ["granted"]


def test_notices_of_a_purged_record_still_list(trio: tuple[Member, Member, Member]) -> None:
    owner, bka, _ = trio
    record = owner.client.create_record("alerts", alert())
    bka.client.get_record("alerts", record["id"])
    owner.client.withdraw_record("alerts", record["id"], "mistaken identity")
    owner.client.purge_record("alerts", record["id"])
    notices = bka.client.notices("alerts")["items"]
    assert [(n["kind"], n["message"]) for n in notices] == [
        ("withdrawal", "[purged: the record's data key is destroyed]")
    ]


def test_a_view_is_noted_once_with_the_request_that_made_it(
    trio: tuple[Member, Member, Member], db: Database
) -> None:
    """An agency's first view of another's record is noted with that request's audit entry, at the
    request's time; a later view, and the owner's own reads, note nothing."""
    owner, bka, _ = trio
    record = owner.client.create_record("alerts", alert())
    owner.client.get_record("alerts", record["id"])
    owner.client.list_records("alerts")
    assert _views_of(db, record["id"]) == []

    bka.client.get_record("alerts", record["id"])
    bka.client.get_record("alerts", record["id"])
    bka.client.list_records("alerts")
    with db.sessions() as session:
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.agency_id == "de-bka", AuditEntry.method == "GET")
            .order_by(AuditEntry.id)
        ).all()
    assert [entry.route for entry in entries] == ["/v1/alerts/{record_id}"] * 2 + ["/v1/alerts"]
    assert _views_of(db, record["id"]) == [("de-bka", entries[0].at)]


def test_a_failed_answer_notes_no_view() -> None:
    """What a request disclosed is noted with its entry only if its answer succeeded."""
    caller = Caller("de-bka", "k-1", "analyst-1", frozenset(), X25519PrivateKey.generate().public_key())
    audit = RequestAudit(datetime.now(UTC), caller, "GET", "r-1", "0" * 64, seen={"a-record"})
    assert audit.draft("/v1/alerts/{record_id}", 200).seen == {"a-record"}
    assert audit.draft("/v1/alerts/{record_id}", 500).seen == frozenset()


def _views_of(db: Database, record_id: str) -> list[tuple[str, datetime]]:
    with db.sessions() as session:
        rows = session.execute(
            select(RecordView.agency_id, RecordView.first_seen_at).where(RecordView.record_id == record_id)
        )
        return [(agency_id, seen_at) for agency_id, seen_at in rows]
