"""/v1/requests: cooperation requests between agencies."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from app.api.deps import CursorsDep, DbSession, Now, VaultDep, require
from app.schemas.common import PageInfo, Scope
from app.schemas.cooperation import (
    RequestCreate,
    RequestKind,
    RequestPage,
    RequestRead,
    RequestRole,
    RequestState,
    RequestTransition,
)
from app.schemas.records import RecordId
from app.services.identity.authentication import Caller
from app.services.records.store import Actor
from app.services.workflows import cooperation
from app.services.workflows.cooperation_views import listed, view

router = APIRouter(prefix="/v1/requests", tags=["cooperation"])
Reader = Annotated[Caller, Depends(require(Scope.REQUESTS_READ))]
Writer = Annotated[Caller, Depends(require(Scope.REQUESTS_WRITE))]


@router.post(
    "",
    status_code=201,
    response_model=RequestRead,
    summary="Ask another agency: information, mutual legal assistance, extradition, freezing...",
    responses={413: {"description": "Attachments over the limit"}},
)
def create(body: RequestCreate, caller: Writer, session: DbSession, vault: VaultDep, now: Now) -> Any:
    request = cooperation.create(session, vault, Actor.of(caller), body, now=now)
    return view(session, vault, caller.agency_id, request, now)


@router.get("", response_model=RequestPage, summary="Requests you made, must answer, or are copied on")
def list_(
    caller: Reader,
    session: DbSession,
    vault: VaultDep,
    cursors: CursorsDep,
    now: Now,
    role: Annotated[RequestRole | None, Query()] = None,
    state: Annotated[RequestState | None, Query()] = None,
    kind: Annotated[RequestKind | None, Query()] = None,
    crisis: Annotated[RecordId | None, Query(description="Raised from this crisis room")] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    filters = {"role": role, "state": state, "kind": kind, "crisis": crisis}
    scope = f"requests:{caller.agency_id}:{sorted((k, str(v)) for k, v in filters.items())}"
    after = cursors.decode(cursor, scope) if cursor else None
    values = {"role": role, "state": state.value if state else None, "kind": kind.value if kind else None}
    rows = list(listed(session, caller.agency_id, **values, crisis=crisis, after=after, limit=limit + 1))
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = cursors.encode(scope, [page[-1].created_at.isoformat(), page[-1].id])
    items = [view(session, vault, caller.agency_id, request, now) for request in page]
    return {"items": items, "page": PageInfo(next_cursor=next_cursor)}


@router.get("/{request_id}", response_model=RequestRead, summary="One request, with every step")
def get(request_id: RecordId, caller: Reader, session: DbSession, vault: VaultDep, now: Now) -> Any:
    return view(
        session, vault, caller.agency_id, cooperation.find(session, caller.agency_id, request_id), now
    )


@router.post(
    "/{request_id}/transitions",
    response_model=RequestRead,
    summary="Act on a request: submit, acknowledge, start, ask or answer, execute, refuse, withdraw",
    description="409 names the actions allowed now; 403 when the caller may see the request but not act "
    "(a copied agency, or the wrong party).",
)
def act(
    request_id: RecordId,
    body: RequestTransition,
    caller: Writer,
    session: DbSession,
    vault: VaultDep,
    now: Now,
) -> Any:
    request = cooperation.find(session, caller.agency_id, request_id, lock=True)
    cooperation.move(session, vault, Actor.of(caller), request, body, now=now)
    return view(session, vault, caller.agency_id, request, now)
