"""/v1/crises: crisis rooms for live kidnappings."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from app.api.deps import DbSession, Now, VaultDep, require
from app.models import CrisisRoom
from app.schemas.common import Scope
from app.schemas.crises import (
    CrisisClose,
    CrisisCreate,
    CrisisInvite,
    CrisisList,
    CrisisRead,
    EntryCreate,
    EntryRead,
)
from app.schemas.records import RecordId
from app.services.identity.authentication import Caller
from app.services.records.store import Actor
from app.services.vault import Vault
from app.services.workflows import crises

router = APIRouter(prefix="/v1/crises", tags=["cooperation"])
Reader = Annotated[Caller, Depends(require(Scope.ALERTS_READ))]
Writer = Annotated[Caller, Depends(require(Scope.ALERTS_WRITE))]


def _room(room: CrisisRoom, vault: Vault, entries: list[Any] | None = None) -> dict[str, Any]:
    return {
        "id": room.id,
        "alert": room.alert_id,
        "owner": room.owner_id,
        "members": room.members,
        "status": room.status,
        "outcome": room.outcome,
        "concessions": crises.concessions(vault, room),
        "opened_at": room.opened_at,
        "closed_at": room.closed_at,
        "entries": [_entry(entry, text) for entry, text in entries or []],
    }


def _entry(entry: Any, text: str) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "author": entry.author_id,
        "actor": entry.actor,
        "text": text,
        "at": entry.at,
    }


@router.post(
    "", status_code=201, response_model=CrisisRead, summary="Open a crisis room on an active alert of yours"
)
def open_room(body: CrisisCreate, caller: Writer, session: DbSession, vault: VaultDep, now: Now) -> Any:
    room = crises.open_room(session, vault, Actor.of(caller), body.alert, body.members, now=now)
    return _room(room, vault)


@router.get("", response_model=CrisisList, summary="Crisis rooms you are in")
def list_(caller: Reader, session: DbSession, vault: VaultDep) -> Any:
    return {"items": [_room(room, vault) for room in crises.rooms_of(session, caller.agency_id)]}


@router.get("/{room_id}", response_model=CrisisRead, summary="A room and its timeline")
def get(room_id: RecordId, caller: Reader, session: DbSession, vault: VaultDep) -> Any:
    room, entries = crises.timeline(session, vault, caller.agency_id, room_id)
    return _room(room, vault, entries)


@router.post("/{room_id}/entries", status_code=201, response_model=EntryRead, summary="Add to the timeline")
def add_entry(
    room_id: RecordId, body: EntryCreate, caller: Writer, session: DbSession, vault: VaultDep, now: Now
) -> Any:
    entry, text = crises.add_entry(
        session, vault, Actor.of(caller), room_id, body.kind.value, body.text, now=now
    )
    return _entry(entry, text)


@router.post("/{room_id}/members", response_model=CrisisRead, summary="Owner: invite more agencies")
def invite(
    room_id: RecordId, body: CrisisInvite, caller: Writer, session: DbSession, vault: VaultDep, now: Now
) -> Any:
    return _room(crises.invite(session, Actor.of(caller), room_id, body.members, now=now), vault)


@router.post(
    "/{room_id}/close",
    response_model=CrisisRead,
    summary="Owner: close with the outcome (the alert takes it) and the concessions made",
)
def close(
    room_id: RecordId, body: CrisisClose, caller: Writer, session: DbSession, vault: VaultDep, now: Now
) -> Any:
    made = body.concessions.model_dump(mode="json")
    room = crises.close_room(session, vault, Actor.of(caller), room_id, body.outcome, made, now=now)
    return _room(room, vault)
