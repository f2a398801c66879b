"""app.services.audit.grouped on PostgreSQL: the channel's audit entries of concurrent requests, written in
groups."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app.db import Database
from app.db_driver import Driver
from app.models import AuditEntry, AuditEntryRecord
from app.services.audit.grouped import GroupedEntries, through_the_driver
from app.services.audit.log import EntryDraft
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="KIX_TEST_POSTGRES_URL is not set")
START = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)


def _draft(number: int, records: frozenset[str]) -> EntryDraft:
    return EntryDraft(
        at=START + timedelta(microseconds=number),
        agency_id="de-bka",
        kid="de-bka-1",
        actor=f"officer-{number}",
        method="POST",
        route="/v1/echo",
        status=200 + number % 3,
        records=records,
        request_id=uuid.uuid4().hex,
        signature_sha256=f"{number:064x}",
    )


def test_concurrent_entries_are_written_in_groups_each_whole(postgres_database: str) -> None:
    database = Database(postgres_database)
    entries = GroupedEntries(through_the_driver(database.driver(relaxed=False)))
    drafts = [_draft(n, frozenset({f"record-{n}-a", f"record-{n}-b"} if n % 2 else set())) for n in range(30)]

    async def all_at_once() -> None:
        await asyncio.gather(*(entries.append(draft) for draft in drafts))

    try:
        asyncio.run(all_at_once())
        with database.transaction(write=False) as session:
            ours = select(AuditEntry).where(AuditEntry.request_id.in_([draft.request_id for draft in drafts]))
            written = {row.request_id: row for row in session.scalars(ours)}
            touched = session.execute(
                select(AuditEntryRecord.entry_id, AuditEntryRecord.record_id).where(
                    AuditEntryRecord.entry_id.in_([entry.id for entry in written.values()])
                )
            ).all()
        assert set(written) == {draft.request_id for draft in drafts}
        for draft in drafts:
            entry = written[draft.request_id]
            assert (entry.at, entry.actor, entry.status, entry.signature_sha256) == (
                draft.at,
                draft.actor,
                draft.status,
                draft.signature_sha256,
            )
            assert entry.records == sorted(draft.records)
            assert {record for entry_id, record in touched if entry_id == entry.id} == draft.records
        # Written in fewer statements than entries: a group's entries share their transaction.
        assert len({entry.txid for entry in written.values()}) < len(drafts)
    finally:
        database.dispose()


def test_a_failed_group_fails_each_of_its_requests() -> None:
    entries = GroupedEntries(
        through_the_driver(Driver("postgresql+psycopg://postgres@127.0.0.1:9/kix", relaxed=False))
    )

    async def all_at_once() -> list[BaseException | None]:
        outcomes = await asyncio.gather(
            *(entries.append(_draft(n, frozenset())) for n in range(5)), return_exceptions=True
        )
        return list(outcomes)

    assert all(isinstance(outcome, OperationalError) for outcome in asyncio.run(all_at_once()))
