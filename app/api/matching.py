"""/v1/matches (hit/no-hit), /v1/hits (owners see hits on their records), /v1/access-requests."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from app.api.deps import DbSession, Now, SettingsDep, VaultDep, require
from app.api.presenters import consent_request
from app.models import AccessRequest
from app.schemas.common import Scope
from app.schemas.matching import (
    AccessDecision,
    AccessRequestCreate,
    AccessRequestList,
    AccessRequestRead,
    AccessWithdrawal,
    HitList,
    MatchRequest,
    MatchResponse,
)
from app.schemas.records import ConsentState, RecordId
from app.services.budgets import Budget
from app.services.identity.authentication import Caller
from app.services.matching.search import MAX_RESULTS, run_match
from app.services.records.consents import RequestView
from app.services.records.store import Actor
from app.services.workflows import access_requests as access

router = APIRouter(prefix="/v1", tags=["matching"])
Matcher = Annotated[Caller, Depends(require(Scope.MATCHES_QUERY))]
RequestReader = Annotated[Caller, Depends(require(Scope.REQUESTS_READ))]
RequestWriter = Annotated[Caller, Depends(require(Scope.REQUESTS_WRITE))]


def _access(view: RequestView, caller: Caller) -> dict[str, Any]:
    item = view.item
    assert isinstance(item, AccessRequest)  # noqa: S101 - access_requests returns views of access requests
    # The requester learns which record it matched only once the owner grants access.
    show_record = caller.agency_id == item.owner_id or item.state == ConsentState.GRANTED.value
    return consent_request(view) | {
        "hit_id": item.hit_id,
        "record_id": item.record_id if show_record else None,
    }


@router.post(
    "/matches",
    response_model=MatchResponse,
    summary="Hit/no-hit: is any of this known elsewhere?",
    description="Each value tested (name, date of birth, document, account, wallet, phone) spends one unit "
    "of the agency's hourly budget; the answer says how many are left. An answer carries at most "
    f"{MAX_RESULTS} references and hits together, the best first (by the identifiers that matched, then "
    "by how many criteria matched, then exact before strong, then by score); `truncated` says more "
    "records matched, and a narrower query (a date of birth, a document) ranks the right one first.",
    responses={429: {"description": "The hourly budget is spent: see Retry-After and remaining_budget"}},
)
def match(
    body: MatchRequest, caller: Matcher, session: DbSession, vault: VaultDep, settings: SettingsDep, now: Now
) -> Any:
    budget = Budget.per_hour(settings.match_budget_per_hour)
    outcome = run_match(session, vault, caller, body, budget, now=now)
    return {
        "query_id": outcome.query_id,
        "references": outcome.references,
        "hits": outcome.hits,
        "remaining_budget": outcome.remaining_budget,
        "truncated": outcome.truncated,
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
    hit_id: RecordId,
    body: AccessRequestCreate,
    caller: RequestWriter,
    session: DbSession,
    vault: VaultDep,
    now: Now,
) -> Any:
    return _access(access.ask(session, vault, Actor.of(caller), hit_id, body.reason, now=now), caller)


@router.get(
    "/access-requests", response_model=AccessRequestList, summary="Access requests you made or must decide"
)
def list_access(caller: RequestReader, session: DbSession, vault: VaultDep, now: Now) -> Any:
    return {"items": [_access(view, caller) for view in access.listed(session, vault, caller.agency_id, now)]}


@router.post(
    "/access-requests/{request_id}/decision",
    response_model=AccessRequestRead,
    summary="Owner: grant (the requester sees the record from now on) or refuse, with a reason",
)
def decide_access(
    request_id: RecordId,
    body: AccessDecision,
    caller: RequestWriter,
    session: DbSession,
    vault: VaultDep,
    now: Now,
) -> Any:
    view = access.decide(session, vault, Actor.of(caller), request_id, body.grant, body.reason, now=now)
    return _access(view, caller)


@router.post(
    "/access-requests/{request_id}/withdraw",
    response_model=AccessRequestRead,
    summary="Requester: take a pending request back",
)
def withdraw_access(
    request_id: RecordId,
    body: AccessWithdrawal,
    caller: RequestWriter,
    session: DbSession,
    vault: VaultDep,
    now: Now,
) -> Any:
    view = access.withdraw(session, vault, Actor.of(caller), request_id, body.reason, now=now)
    return _access(view, caller)
