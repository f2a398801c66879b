"""The audit entries the secure channel writes after a route, for concurrent requests written together: a
group in one transaction (a group commit).

Each entry must be committed, durably, before its request's answer leaves (app.api.channel). Written one
by one, each took a transaction of its own: on PostgreSQL a round trip, a commit waiting for its WAL flush
and about 140 us of the worker's CPU; on SQLite a hop to a worker thread and back, and a commit. Requests
that finish while a group is being written wait for the next group, so under load a group holds several
entries, and a single request still has its own written at once. Every entry of a group commits with it,
or none does: a failed group fails each of its requests (the channel then withholds their answers, as
for one entry).

On PostgreSQL a group is one statement (through_the_driver); an entry that notes record views
(`EntryDraft.seen`) is one of its own (log.postgres_entry). On SQLite, the channel writes a group in one
transaction in a worker thread.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Insert, bindparam, func, insert, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import column

from app.db_driver import Driver
from app.db_loop import PerLoop
from app.services.audit.log import ENTRIES, ENTRY_FIELDS, TOUCHED, EntryDraft, entry_values, postgres_entry
from app.services.sequencing import CURRENT_TXID

MOST_IN_A_GROUP = 200
GROUPS_AT_ONCE = 2  # statements in flight; more take less from each group, fewer make requests wait longer

# The group's entries as one JSON array of objects (one parameter, whatever their number), read back as
# rows; each entry's records, returned by its insert, become the rows of the records it touched.
_DRAFTS = (
    func.jsonb_to_recordset(bindparam("entries", type_=JSONB))
    .table_valued(*(column(name, ENTRIES.c[name].type) for name in ENTRY_FIELDS))
    .render_derived("drafts", with_types=True)
)
_NEW_ENTRIES = (
    insert(ENTRIES)
    .from_select([*ENTRY_FIELDS, "txid"], select(*(_DRAFTS.c[name] for name in ENTRY_FIELDS), CURRENT_TXID))
    .returning(ENTRIES.c.id, ENTRIES.c.records)
    .cte("new_entries")
)
_INSERT_ENTRIES: Insert = insert(TOUCHED).from_select(
    ["record_id", "entry_id"],
    select(func.json_array_elements_text(_NEW_ENTRIES.c.records), _NEW_ENTRIES.c.id),
)


def postgres_entries(drafts: list[EntryDraft]) -> tuple[Insert, dict[str, object]]:
    """The one statement that writes `drafts` (none noting views), with the records each touched."""
    rows = []
    for draft in drafts:
        row: dict[str, Any] = entry_values(draft)
        row["at"] = draft.at.isoformat(timespec="microseconds")
        rows.append(row)
    return _INSERT_ENTRIES, {"entries": rows}


class GroupedEntries:
    """Writes audit entries grouped per event loop: `write` writes and commits a group, or raises."""

    def __init__(self, write: Callable[[list[EntryDraft]], Awaitable[None]]) -> None:
        self._groups = PerLoop(lambda: _Groups(write), _nothing_to_close)

    async def append(self, draft: EntryDraft) -> None:
        """Return once `draft` is committed; raise what its group's writing raised."""
        await self._groups.get().append(draft)


def through_the_driver(driver: Driver) -> Callable[[list[EntryDraft]], Awaitable[None]]:
    """PostgreSQL: a group written in one statement through `driver` (durable commits); an entry that
    notes record views, in one of its own."""

    async def write(drafts: list[EntryDraft]) -> None:
        plain = [draft for draft in drafts if not draft.seen]
        for draft in drafts:
            if draft.seen:
                await driver.execute(*postgres_entry(draft))
        if len(plain) == 1:
            await driver.execute(*postgres_entry(plain[0]))
        elif plain:
            await driver.execute(*postgres_entries(plain))

    return write


class _Groups:
    """One event loop's entries waiting, and the writers (at most GROUPS_AT_ONCE) taking them in groups."""

    def __init__(self, write: Callable[[list[EntryDraft]], Awaitable[None]]) -> None:
        self._write = write
        self._waiting: list[tuple[EntryDraft, asyncio.Future[None]]] = []
        self._writers = 0

    async def append(self, draft: EntryDraft) -> None:
        loop = asyncio.get_running_loop()
        written = loop.create_future()
        self._waiting.append((draft, written))
        if self._writers < GROUPS_AT_ONCE:
            self._writers += 1
            loop.create_task(self._writing())
        await written

    async def _writing(self) -> None:
        """Write groups until none waits."""
        try:
            while self._waiting:
                group = self._waiting[:MOST_IN_A_GROUP]
                del self._waiting[:MOST_IN_A_GROUP]
                try:
                    await self._write([draft for draft, _ in group])
                except Exception as exc:  # noqa: BLE001 - told to each request of the group
                    for _, written in group:
                        if not written.done():
                            written.set_exception(exc)
                else:
                    for _, written in group:
                        if not written.done():
                            written.set_result(None)
        finally:
            self._writers -= 1


async def _nothing_to_close(_groups: _Groups) -> None:
    return None
