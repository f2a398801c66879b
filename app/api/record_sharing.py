"""Around a record: contributions by recipients, onward-sharing consent, and withdrawal/correction notices."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from app.api.deps import DbSession, require
from app.schemas.records import (
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
)
from app.services import notices, sharing
from app.services.authentication import Caller
from app.services.kinds import KINDS, KindSpec
from app.services.records import Actor, get_owned
from app.services.sharing import ContributionView, ShareRequestView
from app.services.vault import Vault


def _vault(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


def _contribution(view: ContributionView) -> ContributionRead:
    item = view.contribution
    return ContributionRead.model_validate(
        {
            "id": item.id,
            "record_id": item.record_id,
            "author": item.author_id,
            "actor": item.actor,
            "kind": item.kind,
            "text": view.text,
            "created_at": item.created_at,
        }
    )


def _share_request(view: ShareRequestView) -> ShareRequestRead:
    item = view.request
    return ShareRequestRead.model_validate(
        {
            "id": item.id,
            "record_id": item.record_id,
            "requester": item.requester_id,
            "target": item.target_id,
            "reason": view.reason,
            "status": item.status,
            "decision_reason": view.decision_reason,
            "created_at": item.created_at,
            "decided_at": item.decided_at,
        }
    )


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

    @router.get("/notices", response_model=NoticeList, summary="Withdrawals and corrections addressed to you")
    def my_notices(
        request: Request,
        caller: Reader,
        session: DbSession,
        pending: Annotated[bool, Query(description="Unacknowledged only")] = True,
    ) -> Any:
        found = notices.notices_for(session, caller.agency_id, kind.kind.value, pending_only=pending)
        vault = _vault(request)
        items = [
            _notice(item.notice, notices.notice_message(session, item.notice, vault), item.acknowledged_at)
            for item in found
        ]
        return {"items": items}

    @router.post("/notices/{notice_id}/ack", response_model=NoticeRead, summary="Acknowledge a notice")
    def acknowledge(notice_id: RecordId, request: Request, caller: Reader, session: DbSession) -> Any:
        receipt = notices.acknowledge(session, caller.agency_id, kind.kind.value, notice_id, caller.actor)
        notice = notices.get_notice(session, receipt.notice_id)
        message = notices.notice_message(session, notice, _vault(request))
        return _notice(notice, message, receipt.acknowledged_at)

    @router.get(
        "/{record_id}/notices", response_model=NoticeReceiptsList, summary="Owner: who acknowledged what"
    )
    def receipts(record_id: RecordId, request: Request, caller: Reader, session: DbSession) -> Any:
        record = get_owned(session, kind, caller.agency_id, record_id)
        vault = _vault(request)
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
        record_id: RecordId, body: ContributionCreate, request: Request, caller: Writer, session: DbSession
    ) -> Any:
        actor = Actor(caller.agency_id, caller.actor)
        view = sharing.add_contribution(
            session, kind, actor, record_id, body.kind.value, body.text, _vault(request)
        )
        return _contribution(view)

    @router.get(
        "/{record_id}/contributions", response_model=ContributionList, summary="Contributions you may see"
    )
    def list_contributions(record_id: RecordId, request: Request, caller: Reader, session: DbSession) -> Any:
        views = sharing.contributions(session, kind, caller.agency_id, record_id, _vault(request))
        return {"items": [_contribution(view) for view in views]}

    @router.post(
        "/{record_id}/share-requests",
        status_code=201,
        response_model=ShareRequestRead,
        summary="Ask the owner's consent to pass the record on",
    )
    def ask(
        record_id: RecordId, body: ShareRequestCreate, request: Request, caller: Reader, session: DbSession
    ) -> Any:
        actor = Actor(caller.agency_id, caller.actor)
        vault = _vault(request)
        return _share_request(
            sharing.request_onward_sharing(session, kind, actor, record_id, body.target, body.reason, vault)
        )

    @router.get(
        "/{record_id}/share-requests", response_model=ShareRequestList, summary="Onward-sharing requests"
    )
    def list_requests(record_id: RecordId, request: Request, caller: Reader, session: DbSession) -> Any:
        views = sharing.share_requests(session, kind, caller.agency_id, record_id, _vault(request))
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
        request: Request,
        caller: Writer,
        session: DbSession,
    ) -> Any:
        actor = Actor(caller.agency_id, caller.actor)
        decided = sharing.decide_onward_sharing(
            session, kind, actor, record_id, request_id, body.grant, body.reason, _vault(request)
        )
        return _share_request(decided)

    return router


routers = [build_router(spec) for spec in KINDS.values()]
