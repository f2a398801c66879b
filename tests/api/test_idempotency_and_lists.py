"""Idempotency-Key on creates, and keyset lists: stable pages, filters, urgency order, tampered cursors."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.client import KixClient, KixProblem
from app.config import Settings
from app.crypto.keystore import load_server_keys
from tests.conftest import Member, agency_body
from tests.live import kix_server
from tests.records_data import alert, lead, suspect


def _problem(call: Any, *args: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(KixProblem) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.type.removeprefix("urn:kix:problem:")


def test_a_retried_create_returns_the_first_answer(enrol: Any) -> None:
    member: Member = enrol("it-dcsa")
    body = alert()
    first = member.client.create_record("alerts", body, idempotency_key="dcsa-2026-11-26-001")
    retry = member.client.create_record("alerts", body, idempotency_key="dcsa-2026-11-26-001")
    assert retry == first
    assert member.client.count_records("alerts")["count"] == 1
    other = member.client.create_record("alerts", body, idempotency_key="dcsa-2026-11-26-002")
    assert other["id"] != first["id"]


def test_a_reused_key_with_another_body_is_422(enrol: Any) -> None:
    member: Member = enrol("it-dcsa")
    member.client.create_record("alerts", alert(urgency="high"), idempotency_key="k-1")
    assert _problem(member.client.create_record, "alerts", alert(urgency="low"), idempotency_key="k-1") == (
        422,
        "idempotency-key-reused",
    )
    assert member.client.count_records("alerts")["count"] == 1


def test_keys_are_per_agency(enrol: Any) -> None:
    dcsa: Member = enrol("it-dcsa")
    bka: Member = enrol("de-bka")
    body = alert()
    mine = dcsa.client.create_record("alerts", body, idempotency_key="shared-key")
    theirs = bka.client.create_record("alerts", body, idempotency_key="shared-key")
    assert (mine["owner"], theirs["owner"]) == ("it-dcsa", "de-bka")


@pytest.mark.live
def test_racing_retries_on_two_workers_create_one_record(
    settings: Settings, admin: KixClient, enrol: Any, tmp_path: Any
) -> None:
    member: Member = enrol("it-dcsa")
    server_key, _ = load_server_keys(settings.keys_dir, create=True)
    body = alert()
    with kix_server(settings.database_url, settings.keys_dir, "--workers", "2") as url:

        def create(_: int) -> str:
            with KixClient(url, member.key, server_key.public_jwks()) as client:
                return str(client.create_record("alerts", body, idempotency_key="race-1")["id"])

        with ThreadPoolExecutor(max_workers=8) as pool:
            ids = set(pool.map(create, range(16)))
    assert len(ids) == 1
    assert member.client.count_records("alerts")["count"] == 1


def test_pages_are_stable_under_concurrent_inserts(enrol: Any) -> None:
    member: Member = enrol("it-dcsa")
    created = [member.client.create_record("suspects", suspect())["id"] for _ in range(7)]
    first = member.client.list_records("suspects", limit=3)
    member.client.create_record("suspects", suspect())  # arrives while the client pages
    seen = [item["id"] for item in first["items"]]
    cursor = first["page"]["next_cursor"]
    while cursor:
        page = member.client.list_records("suspects", limit=3, cursor=cursor)
        seen += [item["id"] for item in page["items"]]
        cursor = page["page"]["next_cursor"]
    assert seen == list(reversed(created))  # newest first, each exactly once, nothing skipped


def test_cursors_are_tamper_proof_and_bound_to_their_filters(enrol: Any) -> None:
    member: Member = enrol("it-dcsa")
    for _ in range(3):
        member.client.create_record("alerts", alert())
    cursor = member.client.list_records("alerts", limit=1)["page"]["next_cursor"]
    flipped = cursor[:-3] + ("A" if cursor[-3] != "A" else "B") + cursor[-2:]
    assert _problem(member.client.list_records, "alerts", cursor=flipped) == (400, "invalid-cursor")
    assert _problem(member.client.list_records, "alerts", cursor="garbage!") == (400, "invalid-cursor")
    assert _problem(member.client.list_records, "alerts", cursor=cursor, status="closed") == (
        400,
        "invalid-cursor",
    )
    assert len(member.client.list_records("alerts", cursor=cursor)["items"]) == 2


def test_filters_and_urgency_order(enrol: Any, admin: KixClient) -> None:
    member: Member = enrol("it-dcsa")
    admin.create_agency(agency_body("fr-ocrb", country="FR"))
    now = datetime.now(UTC)
    low = member.client.create_record("alerts", alert(urgency="low", category="express"))
    critical = member.client.create_record("alerts", alert(urgency="critical"))
    old = member.client.create_record(
        "alerts",
        alert(urgency="high", occurred_at=(now - timedelta(days=40)).isoformat(), place={"country": "FR"}),
    )
    medium = member.client.create_record("alerts", alert(urgency="medium"))

    def ids(**filters: Any) -> list[str]:
        return [item["id"] for item in member.client.list_records("alerts", **filters)["items"]]

    assert ids(sort="urgency") == [critical["id"], old["id"], medium["id"], low["id"]]
    assert ids() == [medium["id"], old["id"], critical["id"], low["id"]]
    for sort in ("urgency", "recent"):  # page by page, one a page: the same order, each once
        assert _one_by_one(member, sort=sort, status="active") == ids(sort=sort, status="active")
    assert ids(category="express") == [low["id"]]
    assert ids(urgency="high") == [old["id"]]
    assert ids(country="FR") == [old["id"]]
    assert ids(occurred_to=(now - timedelta(days=30)).isoformat()) == [old["id"]]
    assert ids(occurred_from=(now - timedelta(days=30)).isoformat(), sort="urgency") == [
        critical["id"],
        medium["id"],
        low["id"],
    ]
    assert ids(owner="de-bka") == []
    assert _problem(member.client.list_records, "alerts", category="pirate")[0] == 422
    assert _problem(member.client.list_records, "alerts", limit=1000)[0] == 422
    lead_record = member.client.create_record("leads", lead(links=[low["id"]]))
    assert ids(linked=lead_record["id"]) == [low["id"]]


def _one_by_one(member: Member, **filters: Any) -> list[str]:
    """Every alert of a list, asked one a page through its cursors."""
    seen: list[str] = []
    cursor = None
    while True:
        page = member.client.list_records("alerts", limit=1, cursor=cursor, **filters)
        seen += [item["id"] for item in page["items"]]
        cursor = page["page"]["next_cursor"]
        if cursor is None:
            return seen
