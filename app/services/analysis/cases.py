"""Joint cases: an agency opens a case, invites participant agencies (who accept or decline), and links into
it the alerts, suspects and leads it works on with them.

The one disclosure rule holds: linking a record into a case never widens who sees it. Participants see a
linked record only as they would anyway, unless its owner consents, recorded on the link (who and when),
that the case's participants see it; they then see it while they remain participants of the open case
(case_sight.py keeps those grants). A case's title and summary are sealed under the case's own data key.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.ids import uuid7
from app.models import Agency, CaseParticipant, JointCase
from app.schemas.cases import CaseStatus, ParticipantStatus
from app.schemas.common import Scope
from app.schemas.events import EventType
from app.services.events.outbox import emit
from app.services.records.case_sight import refresh_case_grants, shared_records_of
from app.services.records.store import Actor
from app.services.records.visibility import PRIVATE_PARTNER
from app.services.vault import RecordSecrets, Vault

OWNER, PARTICIPANT, INVITED = "owner", "participant", "invited"
ACCEPTED, INVITED_STATUS = ParticipantStatus.ACCEPTED.value, ParticipantStatus.INVITED.value


@dataclass(frozen=True)
class CaseAccess:
    case: JointCase
    role: str  # owner, participant or invited


def sealer(vault: Vault, case: JointCase) -> RecordSecrets:
    return RecordSecrets(vault, vault.data_key(case.data_key, f"joint_cases|{case.id}"), case.id)


def title_and_summary(vault: Vault, case: JointCase) -> tuple[str, str]:
    secrets = sealer(vault, case)
    return (
        secrets.open_text(case.title, table="joint_cases", row=case.id, field="title"),
        secrets.open_text(case.summary, table="joint_cases", row=case.id, field="summary"),
    )


def _role(session: Session, case: JointCase, agency_id: str) -> str | None:
    if case.owner_id == agency_id:
        return OWNER  # no need to ask
    status = session.scalar(
        select(CaseParticipant.status).where(
            CaseParticipant.case_id == case.id, CaseParticipant.agency_id == agency_id
        )
    )
    return _role_of(case, agency_id, status)


def _role_of(case: JointCase, agency_id: str, participant_status: str | None) -> str | None:
    if case.owner_id == agency_id:
        return OWNER
    return {ACCEPTED: PARTICIPANT, INVITED_STATUS: INVITED}.get(participant_status or "")


def find_case(
    session: Session, case_id: str, agency_id: str, *, invitees: bool = False, lock: bool = False
) -> CaseAccess:
    """A case the agency reads (its owner or an accepted participant; with `invitees`, also an agency
    invited and yet to answer); 404 for anyone else, as for a case that does not exist."""
    query = select(JointCase).where(JointCase.id == case_id)
    case = session.scalars(query.with_for_update() if lock else query).first()
    role = _role(session, case, agency_id) if case is not None else None
    if case is None or role is None or (role == INVITED and not invitees):
        raise NotFound(f"no case {case_id}")
    return CaseAccess(case, role)


def open_for_change(session: Session, case_id: str, agency_id: str, *, owner: bool = False) -> JointCase:
    access = find_case(session, case_id, agency_id, lock=True)
    if owner and access.role != OWNER:
        raise Forbidden("only the case's owner does this")
    if access.case.status != CaseStatus.OPEN.value:
        raise Conflict("the case is closed")
    return access.case


def participants(session: Session, case_id: str) -> list[CaseParticipant]:
    query = (
        select(CaseParticipant).where(CaseParticipant.case_id == case_id).order_by(CaseParticipant.agency_id)
    )
    return list(session.scalars(query))


def announce(session: Session, case: JointCase, change: str, now: datetime, **data: Any) -> None:
    """Tell the owner, the participants and those invited (ids and states only)."""
    told = {case.owner_id} | {
        p.agency_id for p in participants(session, case.id) if p.status in (ACCEPTED, INVITED_STATUS)
    }
    details = {"case_id": case.id, "change": change, "status": case.status} | data
    emit(session, told, EventType.CASE_CHANGED, now=now, data=details, scope=Scope.CASES_READ.value)


def _check_invitable(session: Session, agency_ids: Sequence[str], owner_id: str) -> list[str]:
    wanted = sorted(set(agency_ids) - {owner_id})
    found = set(
        session.scalars(
            select(Agency.id).where(
                Agency.id.in_(wanted), Agency.status == "active", Agency.kind != PRIVATE_PARTNER
            )
        )
    )
    missing = [agency for agency in wanted if agency not in found]
    if missing:
        raise ValidationFailed(f"invite: no agency {missing[0]} that can take part in a case")
    return wanted


def open_case(
    session: Session,
    vault: Vault,
    actor: Actor,
    title: str,
    summary: str,
    invite: list[str],
    *,
    now: datetime,
) -> JointCase:
    case_id = uuid7()
    _, wrapped = vault.new_data_key(f"joint_cases|{case_id}")
    case = JointCase(
        id=case_id,
        owner_id=actor.agency_id,
        status=CaseStatus.OPEN.value,
        title="",
        summary="",
        data_key=wrapped,
        actor=actor.name,
        created_at=now,
        updated_at=now,
    )
    secrets = sealer(vault, case)
    case.title = secrets.seal_text(title, table="joint_cases", row=case_id, field="title")
    case.summary = secrets.seal_text(summary, table="joint_cases", row=case_id, field="summary")
    session.add(case)
    session.flush()
    _invite(session, case, actor, _check_invitable(session, invite, actor.agency_id), now)
    announce(session, case, "opened", now)
    return case


def _invite(session: Session, case: JointCase, actor: Actor, agency_ids: list[str], now: datetime) -> None:
    existing = {p.agency_id: p for p in participants(session, case.id)}
    for agency_id in agency_ids:
        participant = existing.get(agency_id)
        if participant is None:
            session.add(
                CaseParticipant(
                    case_id=case.id,
                    agency_id=agency_id,
                    status=INVITED_STATUS,
                    invited_by=actor.name,
                    invited_at=now,
                )
            )
        elif participant.status != ACCEPTED:  # asked again after declining, leaving or removal
            participant.status, participant.invited_by, participant.invited_at = (
                INVITED_STATUS,
                actor.name,
                now,
            )
            participant.answered_at = participant.answered_by = None
    session.flush()


def invite(
    session: Session, actor: Actor, case_id: str, agency_ids: list[str], *, now: datetime
) -> JointCase:
    case = open_for_change(session, case_id, actor.agency_id, owner=True)
    wanted = _check_invitable(session, agency_ids, case.owner_id)
    _invite(session, case, actor, wanted, now)
    case.updated_at = now
    announce(session, case, "invited", now, agencies=wanted)
    return case


def _participant(session: Session, case_id: str, agency_id: str) -> CaseParticipant | None:
    return session.get(CaseParticipant, (case_id, agency_id))


def answer(session: Session, actor: Actor, case_id: str, *, accept: bool, now: datetime) -> JointCase:
    """An invited agency accepts (and from now on sees what is shared into the case) or declines."""
    access = find_case(session, case_id, actor.agency_id, invitees=True, lock=True)
    participant = _participant(session, case_id, actor.agency_id)
    if participant is None or participant.status != INVITED_STATUS:
        raise Conflict("there is no invitation of yours to answer")
    if access.case.status != CaseStatus.OPEN.value:
        raise Conflict("the case is closed")
    participant.status = ACCEPTED if accept else ParticipantStatus.DECLINED.value
    participant.answered_at, participant.answered_by = now, actor.name
    refresh_case_grants(session, shared_records_of(session, case_id))
    announce(session, access.case, "accepted" if accept else "declined", now, agency=actor.agency_id)
    return access.case


def _end_participation(
    session: Session, case: JointCase, agency_id: str, status: str, actor: Actor, now: datetime
) -> None:
    participant = _participant(session, case.id, agency_id)
    if participant is None or participant.status not in (ACCEPTED, INVITED_STATUS):
        raise NotFound(f"no participant {agency_id} in this case")
    participant.status = status
    participant.answered_at, participant.answered_by = now, actor.name
    refresh_case_grants(session, shared_records_of(session, case.id))
    announce(session, case, status, now, agency=agency_id)


def leave(session: Session, actor: Actor, case_id: str, *, now: datetime) -> None:
    access = find_case(session, case_id, actor.agency_id, invitees=True, lock=True)
    if access.role == OWNER:
        raise Conflict("the case's owner can not leave it: close it instead")
    _end_participation(session, access.case, actor.agency_id, ParticipantStatus.LEFT.value, actor, now)


def remove_participant(
    session: Session, actor: Actor, case_id: str, agency_id: str, *, now: datetime
) -> JointCase:
    case = open_for_change(session, case_id, actor.agency_id, owner=True)
    _end_participation(session, case, agency_id, ParticipantStatus.REMOVED.value, actor, now)
    return case


def close_case(session: Session, actor: Actor, case_id: str, *, now: datetime) -> JointCase:
    """Closed, the case is final: no more links, and what was shared into it is no longer seen through it."""
    case = open_for_change(session, case_id, actor.agency_id, owner=True)
    case.status, case.closed_at, case.updated_at = CaseStatus.CLOSED.value, now, now
    refresh_case_grants(session, shared_records_of(session, case.id))
    announce(session, case, "closed", now)
    return case


def cases_of(
    session: Session,
    agency_id: str,
    *,
    status: str | None,
    after: list[Any] | None,
    limit: int,
) -> list[tuple[JointCase, str]]:
    """Cases the agency owns, takes part in or is invited to, newest first, with its role in each."""
    role_of = select(CaseParticipant.status).where(
        CaseParticipant.case_id == JointCase.id, CaseParticipant.agency_id == agency_id
    )
    mine = or_(
        JointCase.owner_id == agency_id,
        role_of.where(CaseParticipant.status.in_((ACCEPTED, INVITED_STATUS))).exists(),
    )
    # The agency's participation is read in the same query, not once per case.
    query = select(JointCase, role_of.scalar_subquery()).where(mine)
    if status is not None:
        query = query.where(JointCase.status == status)
    if after is not None:
        created, last_id = datetime.fromisoformat(after[0]), after[1]
        query = query.where(
            or_(JointCase.created_at < created, and_(JointCase.created_at == created, JointCase.id < last_id))
        )
    rows = session.execute(query.order_by(JointCase.created_at.desc(), JointCase.id.desc()).limit(limit))
    return [(case, _role_of(case, agency_id, participation) or INVITED) for case, participation in rows]
