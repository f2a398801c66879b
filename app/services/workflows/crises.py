"""Crisis rooms for a live kidnapping: opened on an active alert by its owner, with invited agencies (who
see the alert while the room is open); a timeline of entries sealed at rest and readable only in the
room; urgent requests raised from it carry its id; closed with an outcome that moves the alert on, and
the concessions made (ransom paid or not, how much), which trends count."""

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.ids import uuid7
from app.models import Agency, CrisisEntry, CrisisRoom, RecordGrant
from app.schemas.crises import CrisisOutcome
from app.schemas.events import EventType
from app.services.events.outbox import emit
from app.services.records.kinds import ALERTS
from app.services.records.store import Actor, change_by_agreement, get_owned
from app.services.records.visibility import CRISIS_GRANT
from app.services.vault import RecordSecrets, Vault

OPEN, CLOSED = "open", "closed"


def sealer(vault: Vault, room: CrisisRoom) -> RecordSecrets:
    return RecordSecrets(vault, vault.data_key(room.data_key, f"crisis_rooms|{room.id}"), room.id)


def _members(room: CrisisRoom) -> list[str]:
    return sorted({room.owner_id, *room.members})


def find_room(session: Session, room_id: str, agency_id: str, *, lock: bool = False) -> CrisisRoom:
    """A room the agency is in (its owner or an invited member); 404 otherwise."""
    query = select(CrisisRoom).where(CrisisRoom.id == room_id)
    room = session.scalars(query.with_for_update() if lock else query).first()
    if room is None or agency_id not in _members(room):
        raise NotFound(f"no crisis room {room_id}")
    return room


def check_room_member(session: Session, room_id: str, agency_id: str) -> CrisisRoom:
    """A request raised from a room: the room must be open and the requester in it (422 otherwise)."""
    try:
        room = find_room(session, room_id, agency_id)
    except NotFound as exc:
        raise ValidationFailed(f"crisis: no open crisis room {room_id} of yours") from exc
    if room.status != OPEN:
        raise ValidationFailed(f"crisis: the room {room_id} is closed")
    return room


def _check_invited(session: Session, agency_ids: list[str], owner_id: str) -> list[str]:
    invited = sorted(set(agency_ids) - {owner_id})
    found = set(
        session.scalars(
            select(Agency.id).where(
                Agency.id.in_(invited), Agency.status == "active", Agency.kind != "private_partner"
            )
        )
    )
    missing = [agency for agency in invited if agency not in found]
    if missing:
        raise ValidationFailed(f"members: no agency {missing[0]} that can join a crisis room")
    return invited


def _grant_sight(session: Session, room: CrisisRoom) -> None:
    """Members see the alert while the room is open."""
    session.execute(
        delete(RecordGrant).where(
            RecordGrant.record_id == room.alert_id, RecordGrant.grantee_type == CRISIS_GRANT
        )
    )
    if room.status == OPEN:
        session.add_all(
            RecordGrant(record_id=room.alert_id, grantee_type=CRISIS_GRANT, grantee_id=agency)
            for agency in room.members
        )
    session.flush()


def _announce(session: Session, room: CrisisRoom, change: str, now: datetime, **data: Any) -> None:
    details = {"room_id": room.id, "alert_id": room.alert_id, "change": change, "status": room.status} | data
    emit(
        session,
        _members(room),
        EventType.CRISIS_CHANGED,
        now=now,
        data=details,
        record_id=room.alert_id,
        scope=ALERTS.read_scope.value,
    )


def open_room(
    session: Session, vault: Vault, actor: Actor, alert_id: str, members: list[str], *, now: datetime
) -> CrisisRoom:
    alert = get_owned(session, ALERTS, actor.agency_id, alert_id, lock=True)
    if alert.status != "active":
        raise Conflict(f"a crisis room opens on an active alert; this one is {alert.status}")
    if session.scalar(
        select(CrisisRoom.id).where(CrisisRoom.alert_id == alert.id, CrisisRoom.status == OPEN)
    ):
        raise Conflict("this alert has an open crisis room already")
    room_id = uuid7()
    _, wrapped = vault.new_data_key(f"crisis_rooms|{room_id}")
    room = CrisisRoom(
        id=room_id,
        alert_id=alert.id,
        owner_id=actor.agency_id,
        members=_check_invited(session, members, actor.agency_id),
        status=OPEN,
        data_key=wrapped,
        opened_at=now,
    )
    session.add(room)
    session.flush()
    _grant_sight(session, room)
    _announce(session, room, "opened", now)
    return room


def invite(session: Session, actor: Actor, room_id: str, members: list[str], *, now: datetime) -> CrisisRoom:
    room = find_room(session, room_id, actor.agency_id, lock=True)
    if room.owner_id != actor.agency_id:
        raise Forbidden("only the alert's owner invites to its crisis room")
    if room.status != OPEN:
        raise Conflict("the room is closed")
    room.members = _check_invited(session, [*room.members, *members], room.owner_id)
    _grant_sight(session, room)
    _announce(session, room, "invited", now, members=room.members)
    return room


def add_entry(
    session: Session, vault: Vault, actor: Actor, room_id: str, kind: str, text: str, *, now: datetime
) -> tuple[CrisisEntry, str]:
    room = find_room(session, room_id, actor.agency_id)
    if room.status != OPEN:
        raise Conflict("the room is closed: its timeline is final")
    entry_id = uuid7()
    entry = CrisisEntry(
        id=entry_id,
        room_id=room.id,
        kind=kind,
        author_id=actor.agency_id,
        actor=actor.name,
        text=sealer(vault, room).seal_text(text, table="crisis_entries", row=entry_id, field="text"),
        at=now,
    )
    session.add(entry)
    session.flush()
    _announce(session, room, "entry", now, entry_id=entry_id, kind=kind)
    return entry, text


def timeline(
    session: Session, vault: Vault, agency_id: str, room_id: str
) -> tuple[CrisisRoom, list[tuple[CrisisEntry, str]]]:
    room = find_room(session, room_id, agency_id)
    secrets = sealer(vault, room)
    entries = session.scalars(
        select(CrisisEntry).where(CrisisEntry.room_id == room.id).order_by(CrisisEntry.at, CrisisEntry.id)
    )
    return room, [
        (e, secrets.open_text(e.text, table="crisis_entries", row=e.id, field="text")) for e in entries
    ]


def rooms_of(session: Session, agency_id: str) -> list[CrisisRoom]:
    rooms = session.scalars(select(CrisisRoom).order_by(CrisisRoom.opened_at.desc()))
    return [room for room in rooms if agency_id in _members(room)]


def concessions(vault: Vault, room: CrisisRoom) -> dict[str, Any] | None:
    if room.concessions is None:
        return None
    text = sealer(vault, room).open_text(
        room.concessions, table="crisis_rooms", row="concessions", field="concessions"
    )
    found: dict[str, Any] = json.loads(text)
    return found


def close_room(
    session: Session,
    vault: Vault,
    actor: Actor,
    room_id: str,
    outcome: CrisisOutcome,
    made: dict[str, Any],
    *,
    now: datetime,
) -> CrisisRoom:
    """Close with an outcome, which the alert takes (its lifecycle permitting: 409 otherwise), and the
    concessions made."""
    room = find_room(session, room_id, actor.agency_id, lock=True)
    if room.owner_id != actor.agency_id:
        raise Forbidden("only the alert's owner closes its crisis room")
    if room.status != OPEN:
        raise Conflict("the room is closed already")
    alert = get_owned(session, ALERTS, actor.agency_id, room.alert_id, lock=True)
    if alert.status != outcome.value and not change_by_agreement(
        session, alert, outcome.value, {}, actor, vault, now=now
    ):
        raise Conflict(f"the alert is {alert.status}: it can not become {outcome.value}")
    room.status = CLOSED
    room.outcome = outcome.value
    room.closed_at = now
    text = json.dumps(made, separators=(",", ":"), default=str)
    room.concessions = sealer(vault, room).seal_text(
        text, table="crisis_rooms", row="concessions", field="concessions"
    )
    room.ransom_paid = bool(made.get("ransom_paid"))
    _grant_sight(session, room)
    _announce(session, room, "closed", now, outcome=outcome.value)
    return room
