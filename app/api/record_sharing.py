"""Around a record: contributions by recipients, onward-sharing consent, and withdrawal/correction notices."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from app.api.deps import DbSession, require
from app.models import Contribution, ShareRequest
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


def _contribution(item: Contribution) -> ContributionRead:
    return ContributionRead.model_validate(
        {"id": item.id, "record_id": item.record_id, "author": item.author_id, "actor": item.actor,
         "kind": item.kind, "text": item.text, "created_at": item.created_at}
    )  # fmt: skip


def _share_request(item: ShareRequest) -> ShareRequestRead:
    return ShareRequestRead.model_validate(
        {"id": item.id, "record_id": item.record_id, "requester": item.requester_id, "target": item.target_id,
         "reason": item.reason, "status": item.status, "decision_reason": item.decision_reason,
         "created_at": item.created_at, "decided_at": item.decided_at}
    )  # fmt: skip


def build_router(kind: KindSpec) -> APIRouter:
    router = APIRouter(prefix=f"/v1/{kind.path}", tags=[kind.path])
    Reader = Annotated[Caller, Depends(require(kind.read_scope))]
    Writer = Annotated[Caller, Depends(require(kind.write_scope))]

    @router.get("/notices", response_model=NoticeList, summary="Withdrawals and corrections addressed to you")
    def my_notices(
        caller: Reader,
        session: DbSession,
        pending: Annotated[bool, Query(description="Unacknowledged only")] = True,
    ) -> Any:
        found = notices.notices_for(session, caller.agency_id, kind.kind.value, pending_only=pending)
        return {
            "items": [
                NoticeRead.model_validate(item.notice, from_attributes=True).model_copy(
                    update={"acknowledged_at": item.acknowledged_at}
                )
                for item in found
            ]
        }

    @router.post("/notices/{notice_id}/ack", response_model=NoticeRead, summary="Acknowledge a notice")
    def acknowledge(notice_id: RecordId, caller: Reader, session: DbSession) -> Any:
        receipt = notices.acknowledge(session, caller.agency_id, kind.kind.value, notice_id, caller.actor)
        found = notices.notices_for(session, caller.agency_id, kind.kind.value, pending_only=False)
        notice = next(item.notice for item in found if item.notice.id == notice_id)
        return NoticeRead.model_validate(notice, from_attributes=True).model_copy(
            update={"acknowledged_at": receipt.acknowledged_at}
        )

    @router.get(
        "/{record_id}/notices", response_model=NoticeReceiptsList, summary="Owner: who acknowledged what"
    )
    def receipts(record_id: RecordId, caller: Reader, session: DbSession) -> Any:
        record = get_owned(session, kind, caller.agency_id, record_id)
        items = []
        for notice, notice_receipts in notices.receipts_of(session, record.id):
            base = NoticeRead.model_validate(notice, from_attributes=True).model_dump()
            items.append(
                base
                | {
                    "receipts": [
                        {
                            "agency": r.agency_id,
                            "acknowledged_at": r.acknowledged_at,
                            "acknowledged_by": r.acknowledged_by,
                        }
                        for r in notice_receipts
                    ],
                    "unacknowledged": [r.agency_id for r in notice_receipts if r.acknowledged_at is None],
                }
            )
        return {"items": items}

    @router.post(
        "/{record_id}/contributions", status_code=201, response_model=ContributionRead, summary="Add a note"
    )
    def contribute(record_id: RecordId, body: ContributionCreate, caller: Writer, session: DbSession) -> Any:
        actor = Actor(caller.agency_id, caller.actor)
        return _contribution(
            sharing.add_contribution(session, kind, actor, record_id, body.kind.value, body.text)
        )

    @router.get(
        "/{record_id}/contributions", response_model=ContributionList, summary="Contributions you may see"
    )
    def list_contributions(record_id: RecordId, caller: Reader, session: DbSession) -> Any:
        return {
            "items": [
                _contribution(c) for c in sharing.contributions(session, kind, caller.agency_id, record_id)
            ]
        }

    @router.post(
        "/{record_id}/share-requests",
        status_code=201,
        response_model=ShareRequestRead,
        summary="Ask the owner's consent to pass the record on",
    )
    def ask(record_id: RecordId, body: ShareRequestCreate, caller: Reader, session: DbSession) -> Any:
        actor = Actor(caller.agency_id, caller.actor)
        return _share_request(
            sharing.request_onward_sharing(session, kind, actor, record_id, body.target, body.reason)
        )

    @router.get(
        "/{record_id}/share-requests", response_model=ShareRequestList, summary="Onward-sharing requests"
    )
    def list_requests(record_id: RecordId, caller: Reader, session: DbSession) -> Any:
        return {
            "items": [
                _share_request(r) for r in sharing.share_requests(session, kind, caller.agency_id, record_id)
            ]
        }

    @router.post(
        "/{record_id}/share-requests/{request_id}/decision",
        response_model=ShareRequestRead,
        summary="Owner: grant (the target can see the record from now on) or refuse",
    )
    def decide(
        record_id: RecordId, request_id: RecordId, body: ShareDecision, caller: Writer, session: DbSession
    ) -> Any:
        actor = Actor(caller.agency_id, caller.actor)
        decided = sharing.decide_onward_sharing(
            session, kind, actor, record_id, request_id, body.grant, body.reason
        )
        return _share_request(decided)

    return router


routers = [build_router(spec) for spec in KINDS.values()]
