"""/v1/feed: the caller's events, in order, from a cursor; with `wait`, a long poll."""

import asyncio
import json
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query, Response

from app.api.deps import AnyCaller, CursorsDep, DatabaseDep, SignalDep, VaultDep
from app.db import Database
from app.errors import ValidationFailed
from app.schemas.events import EventType, FeedPage
from app.services.events import feed
from app.services.events.fanout import REQUEST_ROUNDS, fan_out
from app.services.identity.authentication import Caller
from app.services.vault import Vault

router = APIRouter(prefix="/v1", tags=["events"])
# Readers re-check this often while they wait, so a signal lost between nodes only delays them.
RECHECK_SECONDS = 1.0


def _types(text: str | None) -> list[str]:
    wanted = [name.strip() for name in (text or "").split(",") if name.strip()]
    unknown = sorted(set(wanted) - {event_type.value for event_type in EventType})
    if unknown:
        raise ValidationFailed(f"types: no event type {', '.join(unknown)}")
    return wanted


def _read(
    database: Database, vault: Vault, caller: Caller, position: feed.Position, types: list[str], limit: int
) -> tuple[list[str], feed.Position]:
    """The next events as JSON texts, and the position after them."""
    fan_out(database, vault, rounds=REQUEST_ROUNDS)
    with database.transaction(write=False) as session:
        items, position = feed.read(
            session, vault, caller.agency_id, caller.scopes, position, types=types, limit=limit
        )
    return [item.json_text() for item in items], position


def page_json(events: list[str], cursor: str) -> str:
    """A FeedPage as JSON, from its events' JSON texts (FeedItem.json_text)."""
    return f'{{"items":[{",".join(events)}],"cursor":{json.dumps(cursor)}}}'


@router.get(
    "/feed",
    response_model=FeedPage,
    summary="Your events after a cursor, in order; with wait, held open until one comes",
    description="Every change you may know of: records you see created, updated, withdrawn, shared or "
    "purged; contributions and hits on your records; notices to acknowledge; requests you made or must "
    "decide, and their deadlines; your keys and agency. Pages have no gaps and no duplicates, whatever "
    "the writers do meanwhile. The cursor is bound to your agency. Each event is shown to a key only "
    "with the scope it needs (a record kind's read scope, or requests:read).",
)
async def read_feed(
    caller: AnyCaller,
    database: DatabaseDep,
    vault: VaultDep,
    cursors: CursorsDep,
    signal: SignalDep,
    after: Annotated[str | None, Query(max_length=500, description="A cursor from a previous page")] = None,
    types: Annotated[str | None, Query(max_length=1000, description="Comma-separated event types")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    wait: Annotated[
        float, Query(ge=0, le=30, description="Seconds to wait for an event when none is there")
    ] = 0,
) -> Response:
    scope = f"feed:{caller.agency_id}"
    position: feed.Position = feed.START
    if after is not None:
        txid, row = cursors.decode(after, scope)
        position = (int(txid), int(row))
    wanted = _types(types)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        events, position = await anyio.to_thread.run_sync(
            _read, database, vault, caller, position, wanted, limit
        )
        remaining = deadline - loop.time()
        if events or remaining <= 0:
            break
        await signal.wait(min(RECHECK_SECONDS, remaining))
    # Assembled here: FastAPI would parse and validate it again against the response model.
    return Response(page_json(events, cursors.encode(scope, list(position))), media_type="application/json")
