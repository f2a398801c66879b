"""After a hit on a record it may not see, the querying agency asks the owner for access; the owner
grants (the requester joins the record's distribution) or refuses, within a deadline: 48 hours, or 12 for
a critical or high-urgency alert (as SIRENE and Prum follow-ups do). Overdue requests are flagged to both."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.errors import Conflict, Forbidden, NotFound
from app.ids import uuid7
from app.models import AccessRequest, Hit, Record, RecordGrant
from app.models.base import utcnow
from app.services.notices import PURGED_TEXT
from app.services.vault import Vault, secrets_for
from app.services.visibility import CONSENT_GRANT

DEFAULT_DEADLINE = timedelta(hours=48)
URGENT_DEADLINE = timedelta(hours=12)


@dataclass(frozen=True)
class AccessRequestView:
    request: AccessRequest
    reason: str
    decision_reason: str | None
    overdue: bool
    show_record: bool


def _deadline(record: Record) -> timedelta:
    urgent = record.kind == "alert" and record.urgency_rank is not None and record.urgency_rank >= 2
    return URGENT_DEADLINE if urgent else DEFAULT_DEADLINE


def _view(
    request: AccessRequest, record: Record, vault: Vault, agency_id: str, now: datetime
) -> AccessRequestView:
    def open_(token: str | None, field: str) -> str | None:
        if token is None:
            return None
        if record.data_key is None:  # purged since: the texts went with its data key
            return PURGED_TEXT
        secrets = secrets_for(vault, record.id, record.data_key)
        return secrets.open_text(token, table="access_requests", row=request.id, field=field)

    return AccessRequestView(
        request=request,
        reason=open_(request.reason, "reason") or "",
        decision_reason=open_(request.decision_reason, "decision"),
        overdue=request.status == "pending" and request.due_at < now,
        show_record=agency_id == request.owner_id or request.status == "granted",
    )


def request_access(
    session: Session, vault: Vault, agency_id: str, hit_id: str, reason: str
) -> AccessRequestView:
    hit = session.get(Hit, hit_id)
    if hit is None or hit.querier_id != agency_id:
        raise NotFound(f"no hit {hit_id} of yours")
    if hit.visible:
        raise Conflict("you can already see this record")
    if session.scalar(select(AccessRequest.id).where(AccessRequest.hit_id == hit_id)) is not None:
        raise Conflict("access was already requested for this hit")
    record = session.get(Record, hit.record_id)
    if record is None or record.data_key is None:
        raise NotFound("the record is gone")
    now = utcnow()
    request_id = uuid7()
    secrets = secrets_for(vault, record.id, record.data_key)
    request = AccessRequest(
        id=request_id,
        hit_id=hit.id,
        record_id=record.id,
        owner_id=record.owner_id,
        requester_id=agency_id,
        reason=secrets.seal_text(reason, table="access_requests", row=request_id, field="reason"),
        due_at=now + _deadline(record),
        created_at=now,
    )
    session.add(request)
    session.flush()
    return _view(request, record, vault, agency_id, now)


def access_requests(session: Session, vault: Vault, agency_id: str) -> list[AccessRequestView]:
    """Requests the agency made or must decide, oldest first."""
    rows = session.execute(
        select(AccessRequest, Record)
        .join(Record, Record.id == AccessRequest.record_id)
        .where(or_(AccessRequest.owner_id == agency_id, AccessRequest.requester_id == agency_id))
        .order_by(AccessRequest.created_at)
    ).all()
    now = utcnow()
    return [_view(request, record, vault, agency_id, now) for request, record in rows]


def decide_access(
    session: Session, vault: Vault, agency_id: str, request_id: str, grant: bool, reason: str
) -> AccessRequestView:
    request = session.get(AccessRequest, request_id)
    if request is None or agency_id not in (request.owner_id, request.requester_id):
        raise NotFound(f"no access request {request_id}")
    if request.owner_id != agency_id:
        raise Forbidden("only the record's owner decides")
    if request.status != "pending":
        raise Conflict(f"the request was already {request.status}")
    record = session.get(Record, request.record_id)
    if record is None:
        raise NotFound("the record is gone")
    secrets = secrets_for(vault, record.id, record.data_key)
    request.status = "granted" if grant else "refused"
    request.decision_reason = secrets.seal_text(
        reason, table="access_requests", row=request.id, field="decision"
    )
    request.decided_at = utcnow()
    if grant and session.get(RecordGrant, (record.id, CONSENT_GRANT, request.requester_id)) is None:
        session.add(
            RecordGrant(record_id=record.id, grantee_type=CONSENT_GRANT, grantee_id=request.requester_id)
        )
    session.flush()
    return _view(request, record, vault, agency_id, utcnow())


def hits_on_records_of(session: Session, owner_id: str) -> list[Hit]:
    return list(
        session.scalars(
            select(Hit).where(Hit.owner_id == owner_id).order_by(Hit.created_at.desc()).limit(500)
        )
    )
