"""/v1/cases: joint cases, the records linked into them, typed links, and the link graph."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from app.api.deps import CursorsDep, DbSession, Now, VaultDep, require
from app.models import JointCase
from app.schemas.cases import (
    CaseCreate,
    CaseGraphRead,
    CaseInvite,
    CaseLinkCreate,
    CasePage,
    CaseRead,
    CaseRecordAdd,
    CaseRecordRead,
    CaseRecordRemoved,
    CaseReferenceAdd,
    CaseReferenceRead,
    CaseReferenceRemoved,
    CaseStatus,
    ParticipantStatus,
    ParticipationRead,
    ReferenceKind,
)
from app.schemas.common import PageInfo, Scope, Slug
from app.schemas.records import LinkRead, RecordId
from app.services.analysis import case_records, case_references, cases
from app.services.analysis.graph import case_graph
from app.services.identity.authentication import Caller
from app.services.records.store import Actor
from app.services.vault import Vault

router = APIRouter(prefix="/v1/cases", tags=["analysis"])
Reader = Annotated[Caller, Depends(require(Scope.CASES_READ))]
Writer = Annotated[Caller, Depends(require(Scope.CASES_WRITE))]


def _case(session: Session, vault: Vault, agency_id: str, case: JointCase) -> dict[str, Any]:
    access = cases.find_case(session, case.id, agency_id, invitees=True)
    title, summary = cases.title_and_summary(vault, case)
    records = (
        [] if access.role == cases.INVITED else case_records.visible_case_records(session, agency_id, case.id)
    )
    return {
        "id": case.id,
        "owner": case.owner_id,
        "status": case.status,
        "title": title,
        "summary": summary,
        "your_role": access.role,
        "participants": [
            {
                "agency": p.agency_id,
                "status": p.status,
                "invited_by": p.invited_by,
                "invited_at": p.invited_at,
                "answered_at": p.answered_at,
            }
            for p in cases.participants(session, case.id)
        ],
        "records": [_record(linked, record) for linked, record in records],
        "references": []
        if access.role == cases.INVITED
        else [_reference(found) for found in case_references.visible_references(session, agency_id, case.id)],
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "closed_at": case.closed_at,
    }


def _reference(found: case_references.Referenced) -> dict[str, Any]:
    return {
        "kind": found.reference.kind,
        "id": found.reference.ref_id,
        "label": found.label,
        "owner": found.owner,
        "status": found.status,
        "concerns": found.concerns,
        "added_by": found.reference.added_by,
        "added_at": found.reference.added_at,
    }


def _record(linked: Any, record: Any) -> dict[str, Any]:
    return {
        "record": linked.record_id,
        "kind": record.kind,
        "owner": record.owner_id,
        "added_by": linked.added_by,
        "added_at": linked.added_at,
        "shared": linked.shared,
        "consented_by": linked.consented_by,
        "consented_at": linked.consented_at,
    }


@router.post("", status_code=201, response_model=CaseRead, summary="Open a joint case and invite agencies")
def open_case(body: CaseCreate, caller: Writer, session: DbSession, vault: VaultDep, now: Now) -> Any:
    case = cases.open_case(session, vault, Actor.of(caller), body.title, body.summary, body.invite, now=now)
    return _case(session, vault, caller.agency_id, case)


@router.get("", response_model=CasePage, summary="Cases you own, take part in, or are invited to")
def list_(
    caller: Reader,
    session: DbSession,
    vault: VaultDep,
    cursors: CursorsDep,
    status: Annotated[CaseStatus | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    scope = f"cases:{caller.agency_id}:{status}"
    after = cursors.decode(cursor, scope) if cursor else None
    found = cases.cases_of(
        session, caller.agency_id, status=status.value if status else None, after=after, limit=limit + 1
    )
    page = found[:limit]
    next_cursor = None
    if len(found) > limit:
        last = page[-1][0]
        next_cursor = cursors.encode(scope, [last.created_at.isoformat(), last.id])
    items = [
        {
            "id": case.id,
            "owner": case.owner_id,
            "status": case.status,
            "title": cases.title_and_summary(vault, case)[0],
            "your_role": role,
            "created_at": case.created_at,
        }
        for case, role in page
    ]
    return {"items": items, "page": PageInfo(next_cursor=next_cursor)}


@router.get("/{case_id}", response_model=CaseRead, summary="A case, its participants and the records you see")
def get(case_id: RecordId, caller: Reader, session: DbSession, vault: VaultDep) -> Any:
    access = cases.find_case(session, case_id, caller.agency_id, invitees=True)
    return _case(session, vault, caller.agency_id, access.case)


@router.get(
    "/{case_id}/graph", response_model=CaseGraphRead, summary="The case's link graph as you may see it"
)
def graph(case_id: RecordId, caller: Reader, session: DbSession, vault: VaultDep) -> Any:
    return case_graph(session, vault, caller, case_id)


@router.post("/{case_id}/participants", response_model=CaseRead, summary="Owner: invite more agencies")
def invite(
    case_id: RecordId, body: CaseInvite, caller: Writer, session: DbSession, vault: VaultDep, now: Now
) -> Any:
    case = cases.invite(session, Actor.of(caller), case_id, body.agencies, now=now)
    return _case(session, vault, caller.agency_id, case)


@router.delete(
    "/{case_id}/participants/{agency_id}", response_model=CaseRead, summary="Owner: remove a participant"
)
def remove_participant(
    case_id: RecordId, agency_id: Slug, caller: Writer, session: DbSession, vault: VaultDep, now: Now
) -> Any:
    case = cases.remove_participant(session, Actor.of(caller), case_id, agency_id, now=now)
    return _case(session, vault, caller.agency_id, case)


@router.post("/{case_id}/accept", response_model=CaseRead, summary="Accept an invitation to the case")
def accept(case_id: RecordId, caller: Writer, session: DbSession, vault: VaultDep, now: Now) -> Any:
    case = cases.answer(session, Actor.of(caller), case_id, accept=True, now=now)
    return _case(session, vault, caller.agency_id, case)


@router.post("/{case_id}/decline", response_model=ParticipationRead, summary="Decline an invitation")
def decline(case_id: RecordId, caller: Writer, session: DbSession, now: Now) -> Any:
    cases.answer(session, Actor.of(caller), case_id, accept=False, now=now)
    return {"case": case_id, "agency": caller.agency_id, "status": ParticipantStatus.DECLINED}


@router.post(
    "/{case_id}/leave", response_model=ParticipationRead, summary="Leave the case (no longer see through it)"
)
def leave(case_id: RecordId, caller: Writer, session: DbSession, now: Now) -> Any:
    cases.leave(session, Actor.of(caller), case_id, now=now)
    return {"case": case_id, "agency": caller.agency_id, "status": ParticipantStatus.LEFT}


@router.post("/{case_id}/close", response_model=CaseRead, summary="Owner: close the case")
def close(case_id: RecordId, caller: Writer, session: DbSession, vault: VaultDep, now: Now) -> Any:
    case = cases.close_case(session, Actor.of(caller), case_id, now=now)
    return _case(session, vault, caller.agency_id, case)


@router.post(
    "/{case_id}/records",
    status_code=201,
    response_model=CaseRecordRead,
    summary="Link a record you see into the case (its owner may also consent to share it)",
)
def add_record(case_id: RecordId, body: CaseRecordAdd, caller: Writer, session: DbSession, now: Now) -> Any:
    actor = Actor.of(caller)
    linked = case_records.add_record(
        session, actor, case_id, body.record, share=body.share_with_participants, now=now
    )
    return _record_read(session, caller.agency_id, case_id, linked.record_id)


def _record_read(session: Session, agency_id: str, case_id: str, record_id: str) -> dict[str, Any]:
    for linked, record in case_records.visible_case_records(session, agency_id, case_id):
        if record.id == record_id:
            return _record(linked, record)
    raise AssertionError("a record just linked is visible to who linked it")


@router.put(
    "/{case_id}/records/{record_id}/consent",
    response_model=CaseRecordRead,
    summary="The record's owner: consent that the case's participants see it",
)
def consent(case_id: RecordId, record_id: RecordId, caller: Writer, session: DbSession, now: Now) -> Any:
    case_records.set_consent(session, Actor.of(caller), case_id, record_id, share=True, now=now)
    return _record_read(session, caller.agency_id, case_id, record_id)


@router.delete(
    "/{case_id}/records/{record_id}/consent",
    response_model=CaseRecordRead,
    summary="The record's owner: withdraw that consent",
)
def withdraw_consent(
    case_id: RecordId, record_id: RecordId, caller: Writer, session: DbSession, now: Now
) -> Any:
    case_records.set_consent(session, Actor.of(caller), case_id, record_id, share=False, now=now)
    return _record_read(session, caller.agency_id, case_id, record_id)


@router.delete(
    "/{case_id}/records/{record_id}",
    response_model=CaseRecordRemoved,
    summary="Unlink a record (who linked it, its owner, or the case's owner)",
)
def remove_record(
    case_id: RecordId, record_id: RecordId, caller: Writer, session: DbSession, now: Now
) -> Any:
    case_records.remove_record(session, Actor.of(caller), case_id, record_id, now=now)
    return {"record": record_id}


@router.post(
    "/{case_id}/references",
    status_code=201,
    response_model=CaseReferenceRead,
    summary="Link a cooperation request you are a party to, or a crisis room you are in",
)
def add_reference(
    case_id: RecordId, body: CaseReferenceAdd, caller: Writer, session: DbSession, now: Now
) -> Any:
    found = case_references.add_reference(
        session, Actor.of(caller), case_id, body.kind.value, body.id, now=now
    )
    return _reference(found)


@router.delete(
    "/{case_id}/references/{kind}/{ref_id}",
    response_model=CaseReferenceRemoved,
    summary="Unlink a request or room (who linked it, or the case's owner)",
)
def remove_reference(
    case_id: RecordId, kind: ReferenceKind, ref_id: RecordId, caller: Writer, session: DbSession, now: Now
) -> Any:
    case_references.remove_reference(session, Actor.of(caller), case_id, kind.value, ref_id, now=now)
    return {"kind": kind, "id": ref_id}


@router.post(
    "/{case_id}/links",
    status_code=201,
    response_model=LinkRead,
    summary="A typed link, with your confidence, between two records of the case you see",
)
def link(case_id: RecordId, body: CaseLinkCreate, caller: Writer, session: DbSession, now: Now) -> Any:
    made = case_records.link_records(
        session, Actor.of(caller), case_id, body.source, body.target, body.type, body.confidence, now=now
    )
    return LinkRead(
        id=made.id,
        record_id=body.source,
        other=body.target,
        type=made.type,
        author=made.author_id,
        actor=made.actor,
        created_at=made.created_at,
        confidence=made.confidence,
        case=made.case_id,
    )
