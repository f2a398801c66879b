"""Around a record: contributions by recipients, onward-sharing consent, and withdrawal/correction notices."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from app.api.deps import DbSession, Now, VaultDep, require
from app.api.presenters import consent_request, contribution
from app.models import ShareRequest
from app.schemas.common import Scope, Slug
from app.schemas.records import (
    ConsentRevoke,
    ConsentRevokeRead,
    ContributionCreate,
    ContributionList,
    ContributionRead,
    NoticeList,
    NoticeRead,
    NoticeReceiptsList,
    RecordId,
    ShareDecision,
    ShareRequestCreate,
    ShareRequestList,
    ShareRequestRead,
    ShareWithdrawal,
)
from app.services.identity.authentication import Caller
from app.services.records import contributions, notices
from app.services.records.consents import RequestView
from app.services.records.kinds import KINDS, KindSpec
from app.services.records.store import Actor, get_owned
from app.services.workflows import share_requests


def _share_request(view: RequestView) -> dict[str, Any]:
    item = view.item
    assert isinstance(item, ShareRequest)  # noqa: S101 - share_requests returns views of share requests
    return consent_request(view) | {"record_id": item.record_id, "target": item.target_id}


def _notice(notice: Any, message: str, acknowledged_at: Any = None) -> dict[str, Any]:
    return {
        "id": notice.id,
        "record_id": notice.record_id,
        "kind": notice.kind,
        "version": notice.version,
        "message": message,
        "created_at": notice.created_at,
        "acknowledged_at": acknowledged_at,
    }


def build_router(kind: KindSpec) -> APIRouter:
    router = APIRouter(prefix=f"/v1/{kind.path}", tags=[kind.path])
    Reader = Annotated[Caller, Depends(require(kind.read_scope))]
    Writer = Annotated[Caller, Depends(require(kind.write_scope))]
    RequestReader = Annotated[Caller, Depends(require(kind.read_scope, Scope.REQUESTS_READ))]
    # Asking to pass a record on, or taking the request back, changes who may see it: a write.
    Requester = Annotated[Caller, Depends(require(kind.read_scope, Scope.REQUESTS_WRITE))]
    Decider = Annotated[Caller, Depends(require(kind.write_scope, Scope.REQUESTS_WRITE))]

    @router.get(
        "/share-requests",
        response_model=ShareRequestList,
        summary="Onward-sharing requests on your records of this kind, or made by you",
    )
    def list_all_requests(
        caller: RequestReader,
        session: DbSession,
        vault: VaultDep,
        now: Now,
        pending: Annotated[bool, Query(description="Only those not decided yet")] = False,
    ) -> Any:
        views = share_requests.listed_for_agency(session, kind, caller.agency_id, vault, now, pending=pending)
        return {"items": [_share_request(view) for view in views]}

    @router.get("/notices", response_model=NoticeList, summary="Withdrawals and corrections addressed to you")
    def my_notices(
        caller: Reader,
        session: DbSession,
        vault: VaultDep,
        pending: Annotated[bool, Query(description="Unacknowledged only")] = True,
    ) -> Any:
        found = notices.notices_for(session, caller.agency_id, kind.kind.value, pending_only=pending)
        items = [
            _notice(item.notice, notices.notice_message(session, item.notice, vault), item.acknowledged_at)
            for item in found
        ]
        return {"items": items}

    @router.post("/notices/{notice_id}/ack", response_model=NoticeRead, summary="Acknowledge a notice")
    def acknowledge(
        notice_id: RecordId, caller: Reader, session: DbSession, vault: VaultDep, now: Now
    ) -> Any:
        receipt = notices.acknowledge(
            session, caller.agency_id, kind.kind.value, notice_id, caller.actor, now=now
        )
        notice = notices.get_notice(session, receipt.notice_id)
        return _notice(notice, notices.notice_message(session, notice, vault), receipt.acknowledged_at)

    @router.get(
        "/{record_id}/notices", response_model=NoticeReceiptsList, summary="Owner: who acknowledged what"
    )
    def receipts(record_id: RecordId, caller: Reader, session: DbSession, vault: VaultDep) -> Any:
        record = get_owned(session, kind, caller.agency_id, record_id)
        items = []
        for notice, notice_receipts in notices.receipts_of(session, record.id):
            receipts = [
                {
                    "agency": r.agency_id,
                    "acknowledged_at": r.acknowledged_at,
                    "acknowledged_by": r.acknowledged_by,
                }
                for r in notice_receipts
            ]
            unacknowledged = [r.agency_id for r in notice_receipts if r.acknowledged_at is None]
            message = notices.notice_message(session, notice, vault)
            items.append(_notice(notice, message) | {"receipts": receipts, "unacknowledged": unacknowledged})
        return {"items": items}

    @router.post(
        "/{record_id}/contributions", status_code=201, response_model=ContributionRead, summary="Add a note"
    )
    def contribute(
        record_id: RecordId,
        body: ContributionCreate,
        caller: Writer,
        session: DbSession,
        vault: VaultDep,
        now: Now,
    ) -> Any:
        view = contributions.add_contribution(
            session, kind, Actor.of(caller), record_id, body.kind.value, body.text, vault, now=now
        )
        return contribution(view)

    @router.get(
        "/{record_id}/contributions", response_model=ContributionList, summary="Contributions you may see"
    )
    def list_contributions(record_id: RecordId, caller: Reader, session: DbSession, vault: VaultDep) -> Any:
        views = contributions.contributions(session, kind, caller.agency_id, record_id, vault)
        return {"items": [contribution(view) for view in views]}

    @router.post(
        "/{record_id}/share-requests",
        status_code=201,
        response_model=ShareRequestRead,
        summary="Ask the owner's consent to pass the record on (the answer is the same whoever sees it)",
    )
    def ask(
        record_id: RecordId,
        body: ShareRequestCreate,
        caller: Requester,
        session: DbSession,
        vault: VaultDep,
        now: Now,
    ) -> Any:
        view = share_requests.ask(
            session, kind, Actor.of(caller), record_id, body.target, body.reason, vault, now=now
        )
        return _share_request(view)

    @router.get(
        "/{record_id}/share-requests", response_model=ShareRequestList, summary="Onward-sharing requests"
    )
    def list_requests(
        record_id: RecordId, caller: RequestReader, session: DbSession, vault: VaultDep, now: Now
    ) -> Any:
        views = share_requests.listed(session, kind, caller.agency_id, record_id, vault, now)
        return {"items": [_share_request(view) for view in views]}

    @router.post(
        "/{record_id}/share-requests/{request_id}/decision",
        response_model=ShareRequestRead,
        summary="Owner: grant (the target can see the record from now on) or refuse",
    )
    def decide(
        record_id: RecordId,
        request_id: RecordId,
        body: ShareDecision,
        caller: Decider,
        session: DbSession,
        vault: VaultDep,
        now: Now,
    ) -> Any:
        view = share_requests.decide(
            session, kind, Actor.of(caller), record_id, request_id, body.grant, body.reason, vault, now=now
        )
        return _share_request(view)

    @router.post(
        "/{record_id}/share-requests/{request_id}/withdraw",
        response_model=ShareRequestRead,
        summary="Requester: take a pending request back",
    )
    def withdraw_request(
        record_id: RecordId,
        request_id: RecordId,
        body: ShareWithdrawal,
        caller: Requester,
        session: DbSession,
        vault: VaultDep,
        now: Now,
    ) -> Any:
        view = share_requests.withdraw(
            session, kind, Actor.of(caller), record_id, request_id, body.reason, vault, now=now
        )
        return _share_request(view)

    @router.post(
        "/{record_id}/consents/{agency_id}/revoke",
        response_model=ConsentRevokeRead,
        summary="Owner: withdraw the consent that lets an agency see the record (onward sharing or access)",
    )
    def revoke_consent(
        record_id: RecordId,
        agency_id: Slug,
        body: ConsentRevoke,
        caller: Decider,
        session: DbSession,
        vault: VaultDep,
        now: Now,
    ) -> ConsentRevokeRead:
        revoked = share_requests.revoke(
            session, kind, Actor.of(caller), record_id, agency_id, body.reason, vault, now=now
        )
        return ConsentRevokeRead(record_id=record_id, agency=agency_id, revoked=revoked)

    return router


routers = [build_router(spec) for spec in KINDS.values()]
