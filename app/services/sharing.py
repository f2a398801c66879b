"""What recipients do with a record they see: add contributions for the owner, and ask the owner's
consent to pass it on (the Egmont third-party rule, enforced by the system rather than by a label)."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, NotFound, ValidationFailed
from app.ids import uuid7
from app.models import Agency, Contribution, Record, RecordGrant, ShareRequest
from app.models.base import utcnow
from app.services.kinds import KindSpec
from app.services.records import Actor, get_owned, get_visible
from app.services.visibility import CONSENT_GRANT, visible_to


def add_contribution(
    session: Session, kind: KindSpec, actor: Actor, record_id: str, note_kind: str, text: str
) -> Contribution:
    record = get_visible(session, kind, actor.agency_id, record_id)
    if record.withdrawn_at is not None:
        raise Conflict("the record has been withdrawn")
    contribution = Contribution(
        id=uuid7(),
        record_id=record.id,
        author_id=actor.agency_id,
        actor=actor.name,
        kind=note_kind,
        text=text,
    )
    session.add(contribution)
    session.flush()
    return contribution


def contributions(session: Session, kind: KindSpec, agency_id: str, record_id: str) -> Sequence[Contribution]:
    """The owner sees every contribution; any other agency only its own."""
    record = get_visible(session, kind, agency_id, record_id)
    query = select(Contribution).where(Contribution.record_id == record.id).order_by(Contribution.created_at)
    if record.owner_id != agency_id:
        query = query.where(Contribution.author_id == agency_id)
    return session.scalars(query).all()


def _sees(session: Session, agency_id: str, record_id: str) -> bool:
    return session.scalar(select(Record.id).where(Record.id == record_id, visible_to(agency_id))) is not None


def request_onward_sharing(
    session: Session, kind: KindSpec, actor: Actor, record_id: str, target_id: str, reason: str
) -> ShareRequest:
    record = get_visible(session, kind, actor.agency_id, record_id)
    if record.owner_id == actor.agency_id:
        raise ValidationFailed("the owner shares its own record by changing its distribution")
    if session.get(Agency, target_id) is None:
        raise ValidationFailed(f"target: no agency {target_id}")
    if _sees(session, target_id, record.id):
        raise Conflict(f"{target_id} can already see this record")
    request = ShareRequest(
        id=uuid7(), record_id=record.id, requester_id=actor.agency_id, target_id=target_id, reason=reason
    )
    session.add(request)
    if not record.rules.get("restrictions", {}).get("no_onward_sharing", True):
        # The owner allowed onward sharing up front: the system grants at once, and still records it.
        _grant(session, record, request, "granted in advance: the owner allows onward sharing")
    session.flush()
    return request


def _grant(session: Session, record: Record, request: ShareRequest, reason: str) -> None:
    request.status = "granted"
    request.decision_reason = reason
    request.decided_at = utcnow()
    if session.get(RecordGrant, (record.id, CONSENT_GRANT, request.target_id)) is None:
        session.add(
            RecordGrant(record_id=record.id, grantee_type=CONSENT_GRANT, grantee_id=request.target_id)
        )


def share_requests(
    session: Session, kind: KindSpec, agency_id: str, record_id: str
) -> Sequence[ShareRequest]:
    """The owner sees every request on its record; a requester sees its own."""
    record = get_visible(session, kind, agency_id, record_id)
    query = select(ShareRequest).where(ShareRequest.record_id == record.id).order_by(ShareRequest.created_at)
    if record.owner_id != agency_id:
        query = query.where(ShareRequest.requester_id == agency_id)
    return session.scalars(query).all()


def decide_onward_sharing(
    session: Session, kind: KindSpec, actor: Actor, record_id: str, request_id: str, grant: bool, reason: str
) -> ShareRequest:
    record = get_owned(session, kind, actor.agency_id, record_id)
    request = session.scalars(
        select(ShareRequest).where(ShareRequest.id == request_id, ShareRequest.record_id == record.id)
    ).first()
    if request is None:
        raise NotFound(f"no share request {request_id}")
    if request.status != "pending":
        raise Conflict(f"the request was already {request.status}")
    request.status = "granted" if grant else "refused"
    request.decision_reason = reason
    request.decided_at = utcnow()
    if grant and session.get(RecordGrant, (record.id, CONSENT_GRANT, request.target_id)) is None:
        session.add(
            RecordGrant(record_id=record.id, grantee_type=CONSENT_GRANT, grantee_id=request.target_id)
        )
    session.flush()
    return request
