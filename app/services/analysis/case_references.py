"""Cooperation requests and crisis rooms linked into a joint case. Like records, they are linked only by an
agency that sees them, and the case shows each only to those who see it anyway: a request's parties, a
room's members. In the graph they are nodes joined to the records of the case they concern."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Forbidden, NotFound
from app.models import CaseReference, CooperationRequest
from app.services.analysis.cases import announce, open_for_change
from app.services.records.store import Actor
from app.services.workflows import cooperation, crises

REQUEST, CRISIS = "request", "crisis"


@dataclass(frozen=True)
class Referenced:
    """A request or room as the case shows it: what it is, and the records it concerns."""

    reference: CaseReference
    label: str
    owner: str
    status: str
    concerns: list[str]
    created_at: datetime


@dataclass(frozen=True)
class _Found:
    label: str
    owner: str
    status: str
    concerns: list[str]
    created_at: datetime


def _request(session: Session, agency_id: str, ref_id: str) -> _Found | None:
    request = session.get(CooperationRequest, ref_id)
    if request is None or cooperation.party_of(request, agency_id) is None:
        return None
    label = f"{request.kind} {request.requester_id} to {request.addressee_id}"
    return _Found(
        label, request.requester_id, request.state, list(request.linked_records), request.created_at
    )


def _room(session: Session, agency_id: str, ref_id: str) -> _Found | None:
    try:
        room = crises.find_room(session, ref_id, agency_id)
    except NotFound:
        return None
    return _Found(
        f"crisis room of {room.owner_id}", room.owner_id, room.status, [room.alert_id], room.opened_at
    )


_FIND: dict[str, Callable[[Session, str, str], _Found | None]] = {REQUEST: _request, CRISIS: _room}


def seen(session: Session, agency_id: str, reference: CaseReference) -> Referenced | None:
    """The reference as the agency may see it, None if it may not (not a party, not a member)."""
    found = _FIND[reference.kind](session, agency_id, reference.ref_id)
    if found is None:
        return None
    return Referenced(reference, found.label, found.owner, found.status, found.concerns, found.created_at)


def add_reference(
    session: Session, actor: Actor, case_id: str, kind: str, ref_id: str, *, now: datetime
) -> Referenced:
    case = open_for_change(session, case_id, actor.agency_id)
    if _FIND[kind](session, actor.agency_id, ref_id) is None:
        raise NotFound(f"no {kind} {ref_id}")
    reference = session.get(CaseReference, (case.id, kind, ref_id))
    if reference is None:
        reference = CaseReference(
            case_id=case.id,
            kind=kind,
            ref_id=ref_id,
            added_by=actor.agency_id,
            actor=actor.name,
            added_at=now,
        )
        session.add(reference)
        session.flush()
        case.updated_at = now
        announce(session, case, "reference_added", now, kind=kind, ref_id=ref_id)
    found = seen(session, actor.agency_id, reference)
    if found is None:  # just checked above, in this transaction
        raise NotFound(f"no {kind} {ref_id}")
    return found


def remove_reference(
    session: Session, actor: Actor, case_id: str, kind: str, ref_id: str, *, now: datetime
) -> None:
    """By the agency that linked it or the case's owner, if it still sees it."""
    case = open_for_change(session, case_id, actor.agency_id)
    reference = session.get(CaseReference, (case.id, kind, ref_id))
    if reference is None or seen(session, actor.agency_id, reference) is None:
        raise NotFound(f"no {kind} {ref_id} in this case")
    if actor.agency_id not in (reference.added_by, case.owner_id):
        raise Forbidden("only who linked it or the case's owner unlinks it")
    session.delete(reference)
    case.updated_at = now
    announce(session, case, "reference_removed", now, kind=kind, ref_id=ref_id)


def visible_references(session: Session, agency_id: str, case_id: str) -> list[Referenced]:
    query = select(CaseReference).where(CaseReference.case_id == case_id)
    references = session.scalars(query.order_by(CaseReference.added_at, CaseReference.ref_id))
    return [found for reference in references if (found := seen(session, agency_id, reference)) is not None]
