"""/v1/audit: the signed tree head and Merkle proofs any agency may check, and the administrators'
query of the whole log."""

from datetime import datetime
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request

from app.api.deps import AnyCaller, CursorsDep, DatabaseDep, DbSession, require
from app.clock import Clock
from app.crypto.keys import KeyPair
from app.db import Database
from app.errors import NotFound, ValidationFailed
from app.schemas.audit import AuditEntryList, ConsistencyProofRead, InclusionProofRead, TreeHeadRead
from app.schemas.common import Scope
from app.services.audit import queries
from app.services.audit.log import latest_head, sequence
from app.services.identity.authentication import Caller

router = APIRouter(prefix="/v1/audit", tags=["audit"])
# Entries are numbered in a BIGINT: a larger number names no entry, and the database could not take it.
SEQ_MAX = 2**63 - 1
Auditor = Annotated[Caller, Depends(require(Scope.AUDIT_READ))]


async def _sequencer(request: Request) -> Any:  # async: see app.api.deps
    server_key: KeyPair = request.app.state.server_key
    clock: Clock = request.app.state.clock

    def run(database: Database) -> int:
        return sequence(database, server_key, clock.now())

    return run


Sequencer = Annotated[Any, Depends(_sequencer)]


@router.get(
    "/tree-head",
    response_model=TreeHeadRead,
    summary="The latest tree head, signed by the server: keep it, and check the next one against it",
    description="Entries written up to this request are numbered and hashed into the tree first. Check "
    "the signature with the server key, then ask /v1/audit/proofs/consistency from the size you last "
    "held: an operator who rewrote or forked the log cannot produce a valid proof.",
)
async def tree_head(caller: AnyCaller, database: DatabaseDep, run: Sequencer) -> Any:
    await anyio.to_thread.run_sync(run, database)
    with database.transaction(write=False) as session:
        head = latest_head(session)
    if head is None:
        raise NotFound("the audit log is empty")
    return head.document()


@router.get(
    "/proofs/inclusion",
    response_model=InclusionProofRead,
    summary="Prove that an entry about your requests or records is in the signed tree",
    description="404 for an entry about another agency (not its own request, nor touching a record it "
    "owns), and for one not yet in a signed tree head.",
)
def inclusion_proof(
    caller: AnyCaller,
    session: DbSession,
    leaf: Annotated[int, Query(ge=0, le=SEQ_MAX, description="The entry's seq")],
) -> Any:
    return queries.inclusion(session, caller.agency_id, leaf)


@router.get(
    "/proofs/consistency",
    response_model=ConsistencyProofRead,
    summary="Prove that the tree of size `to` extends the tree of size `from` (RFC 9162 2.1.4)",
)
def consistency_proof(
    caller: AnyCaller,
    session: DbSession,
    first: Annotated[int, Query(alias="from", ge=0, le=SEQ_MAX)],
    second: Annotated[int, Query(alias="to", ge=0, le=SEQ_MAX)],
) -> Any:
    return queries.consistency(session, first, second)


@router.get(
    "/entries",
    response_model=AuditEntryList,
    summary="Query the whole log (audit:read): by agency, actor, route template and time",
)
def entries(
    caller: Auditor,
    session: DbSession,
    cursors: CursorsDep,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=128)] = None,
    route: Annotated[
        str | None, Query(max_length=200, description="A template: /v1/alerts/{record_id}")
    ] = None,
    since: Annotated[datetime | None, Query(description="From this time (inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="Before this time")] = None,
    after: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    if any(moment is not None and moment.tzinfo is None for moment in (since, until)):
        raise ValidationFailed("since and until need a time zone (2026-11-29T10:00:00Z)")
    scope = f"audit:{caller.agency_id}"
    position = int(cursors.decode(after, scope)[0]) if after else 0
    filters = queries.EntryFilters(agency, actor, route, since, until)
    found = queries.query(session, filters, position, limit)
    cursor = cursors.encode(scope, [found[-1].id]) if len(found) == limit else None
    return {"items": [queries.entry_document(entry) for entry in found], "cursor": cursor}
