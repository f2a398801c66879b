"""After a hit on a record it may not see, the querying agency asks the owner for access; the owner
grants (the requester sees the record from then on, by consent) or refuses, within the kind's follow-up
deadline (12 hours for a critical or high-urgency alert, as SIRENE and Prum follow-ups are, 48
otherwise). Overdue requests are flagged to both parties."""

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.errors import Conflict, NotFound
from app.ids import uuid7
from app.models import AccessRequest, Hit, Record
from app.services.records.consents import (
    ACCESS_REQUESTS,
    RequestView,
    announce_request,
    move_request,
    request_views,
)
from app.services.records.kinds import spec_of
from app.services.records.store import Actor
from app.services.vault import Vault, secrets_for
from app.services.workflows.engine import Mover, Party, open_item


def ask(
    session: Session, vault: Vault, actor: Actor, hit_id: str, reason: str, *, now: datetime
) -> RequestView:
    hit = session.get(Hit, hit_id)
    if hit is None or hit.querier_id != actor.agency_id:
        raise NotFound(f"no hit {hit_id} of yours")
    if hit.visible:
        raise Conflict("you can already see this record")
    if session.scalar(select(AccessRequest.id).where(AccessRequest.hit_id == hit_id)) is not None:
        raise Conflict("access was already requested for this hit")
    record = session.get(Record, hit.record_id)
    if record is None or record.purged_at is not None:
        raise NotFound("the record is gone")
    request = AccessRequest(
        id=uuid7(),
        hit_id=hit.id,
        record_id=record.id,
        owner_id=record.owner_id,
        requester_id=actor.agency_id,
    )
    secrets = secrets_for(vault, record.id, record.data_key)
    mover = Mover(Party.REQUESTER, actor.agency_id, actor.name)
    due = now + spec_of(record.kind).follow_up_deadline(record)
    open_item(session, ACCESS_REQUESTS, request, mover, reason, secrets, now=now, due_at=due)
    announce_request(session, ACCESS_REQUESTS, request, now=now, opened=True)
    session.flush()
    return request_views(session, ACCESS_REQUESTS, [request], vault, now)[0]


def listed(session: Session, vault: Vault, agency_id: str, now: datetime) -> list[RequestView]:
    """Requests the agency made or must decide, oldest first."""
    requests = session.scalars(
        select(AccessRequest)
        .where(or_(AccessRequest.owner_id == agency_id, AccessRequest.requester_id == agency_id))
        .order_by(AccessRequest.created_at)
    )
    return request_views(session, ACCESS_REQUESTS, list(requests), vault, now)


def _move(
    session: Session, vault: Vault, actor: Actor, request_id: str, name: str, reason: str, now: datetime
) -> RequestView:
    request = session.scalars(
        select(AccessRequest).where(AccessRequest.id == request_id).with_for_update()
    ).first()
    if request is None or actor.agency_id not in (request.owner_id, request.requester_id):
        raise NotFound(f"no access request {request_id}")
    record = session.get(Record, request.record_id)
    if record is None or record.purged_at is not None:
        raise NotFound("the record is gone")
    mover = (actor.agency_id, actor.name)
    return move_request(session, ACCESS_REQUESTS, request, record, mover, name, reason, vault, now)


def decide(
    session: Session, vault: Vault, actor: Actor, request_id: str, grant: bool, reason: str, *, now: datetime
) -> RequestView:
    return _move(session, vault, actor, request_id, "grant" if grant else "refuse", reason, now)


def withdraw(
    session: Session, vault: Vault, actor: Actor, request_id: str, reason: str, *, now: datetime
) -> RequestView:
    return _move(session, vault, actor, request_id, "withdraw", reason, now)


def hits_on_records_of(session: Session, owner_id: str) -> list[Hit]:
    return list(
        session.scalars(
            select(Hit).where(Hit.owner_id == owner_id).order_by(Hit.created_at.desc()).limit(500)
        )
    )
