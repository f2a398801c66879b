"""/v1/matches (hit/no-hit), /v1/hits (owners see hits on their records), /v1/access-requests."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from app.api.deps import DbSession, require
from app.config import Settings
from app.schemas.common import Scope
from app.schemas.matching import (
    AccessDecision,
    AccessRequestCreate,
    AccessRequestList,
    AccessRequestRead,
    HitList,
    MatchRequest,
    MatchResponse,
)
from app.schemas.records import RecordId
from app.services import access_requests as access
from app.services.authentication import Caller
from app.services.matching import run_match
from app.services.vault import Vault

router = APIRouter(prefix="/v1", tags=["matching"])
Matcher = Annotated[Caller, Depends(require(Scope.MATCHES_QUERY))]
RequestReader = Annotated[Caller, Depends(require(Scope.REQUESTS_READ))]
RequestWriter = Annotated[Caller, Depends(require(Scope.REQUESTS_WRITE))]


def _vault(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


def _access(view: access.AccessRequestView) -> dict[str, Any]:
    item = view.request
    return {
        "id": item.id,
        "hit_id": item.hit_id,
        "record_id": item.record_id if view.show_record else None,
        "owner": item.owner_id,
        "requester": item.requester_id,
        "reason": view.reason,
        "status": item.status,
        "decision_reason": view.decision_reason,
        "due_at": item.due_at,
        "overdue": view.overdue,
        "created_at": item.created_at,
        "decided_at": item.decided_at,
    }


@router.post("/matches", response_model=MatchResponse, summary="Hit/no-hit: is any of this known elsewhere?")
def match(body: MatchRequest, request: Request, caller: Matcher, session: DbSession) -> Any:
    settings: Settings = request.app.state.settings
    outcome = run_match(
        session, _vault(request), caller.agency_id, caller.actor, body, settings.match_budget_per_hour
    )
    return {
        "query_id": outcome.query_id,
        "references": outcome.references,
        "hits": outcome.hits,
        "remaining_budget": outcome.remaining_budget,
    }


@router.get("/hits", response_model=HitList, summary="Hits other agencies' queries made on your records")
def hits(caller: RequestReader, session: DbSession) -> Any:
    items = access.hits_on_records_of(session, caller.agency_id)
    return {
        "items": [
            {
                "id": hit.id,
                "record_id": hit.record_id,
                "querier": hit.querier_id,
                "strength": hit.strength,
                "matched_on": [part for part in hit.matched_on.split(",") if part],
                "querier_can_see": hit.visible,
                "created_at": hit.created_at,
            }
            for hit in items
        ]
    }


@router.post(
    "/hits/{hit_id}/access-requests",
    status_code=201,
    response_model=AccessRequestRead,
    summary="Ask the owner for access to the record behind your hit",
)
def ask_access(
    hit_id: RecordId, body: AccessRequestCreate, request: Request, caller: RequestWriter, session: DbSession
) -> Any:
    return _access(access.request_access(session, _vault(request), caller.agency_id, hit_id, body.reason))


@router.get(
    "/access-requests", response_model=AccessRequestList, summary="Access requests you made or must decide"
)
def list_access(request: Request, caller: RequestReader, session: DbSession) -> Any:
    return {
        "items": [
            _access(view) for view in access.access_requests(session, _vault(request), caller.agency_id)
        ]
    }


@router.post(
    "/access-requests/{request_id}/decision",
    response_model=AccessRequestRead,
    summary="Owner: grant (the requester joins the distribution) or refuse, with a reason",
)
def decide_access(
    request_id: RecordId, body: AccessDecision, request: Request, caller: RequestWriter, session: DbSession
) -> Any:
    view = access.decide_access(
        session, _vault(request), caller.agency_id, request_id, body.grant, body.reason
    )
    return _access(view)
