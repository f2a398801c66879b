"""Onward sharing (the Egmont third-party rule, enforced by the system): a recipient asks the owner's
consent to pass a record on to a third agency; the owner grants or refuses within the kind's follow-up
deadline, and may revoke a consent later.

A recipient learns nothing of the record's audience by asking: the answer is the same whether or not
the third agency sees the record already (granting is then a no-op)."""

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.errors import NotFound, ValidationFailed
from app.ids import uuid7
from app.models import Agency, Record, ShareRequest
from app.schemas.records import ConsentState
from app.services.records.consents import (
    SHARE_REQUESTS,
    RequestView,
    announce_request,
    grant_consent,
    move_request,
    request_views,
    revoke_consent,
)
from app.services.records.kinds import KindSpec
from app.services.records.store import Actor, get_owned, get_visible
from app.services.records.visibility import PRIVATE_PARTNER, visible_to
from app.services.vault import Vault, secrets_for
from app.services.workflows.engine import SYSTEM, Mover, Party, apply, open_item

ADVANCE_GRANT = "granted in advance: the owner allows onward sharing"


def ask(
    session: Session,
    kind: KindSpec,
    actor: Actor,
    record_id: str,
    target_id: str,
    reason: str,
    vault: Vault,
    *,
    now: datetime,
) -> RequestView:
    record = get_visible(session, kind, actor.agency_id, record_id)
    if record.owner_id == actor.agency_id:
        raise ValidationFailed("the owner shares its own record by changing its distribution")
    target = session.get(Agency, target_id)
    if target_id in (actor.agency_id, record.owner_id) or target is None or target.kind == PRIVATE_PARTNER:
        raise ValidationFailed(f"target: {target_id} is not a third agency that may receive records")
    secrets = secrets_for(vault, record.id, record.data_key)
    request = ShareRequest(
        id=uuid7(),
        record_id=record.id,
        owner_id=record.owner_id,
        requester_id=actor.agency_id,
        target_id=target_id,
    )
    mover = Mover(Party.REQUESTER, actor.agency_id, actor.name)
    deadline = now + kind.follow_up_deadline(record)
    open_item(session, SHARE_REQUESTS, request, mover, reason, secrets, now=now, due_at=deadline)
    announce_request(session, SHARE_REQUESTS, request, now=now, opened=True)
    if not record.rules.get("restrictions", {}).get("no_onward_sharing", True):
        # The owner allowed onward sharing up front: the system grants at once, and still records it.
        apply(session, SHARE_REQUESTS, request, "grant", SYSTEM, ADVANCE_GRANT, secrets, now=now)
        grant_consent(session, record, target_id, now)
        announce_request(session, SHARE_REQUESTS, request, now=now, opened=False)
    session.flush()
    return request_views(session, SHARE_REQUESTS, [request], vault, now)[0]


def listed(
    session: Session, kind: KindSpec, agency_id: str, record_id: str, vault: Vault, now: datetime
) -> list[RequestView]:
    """The owner sees every request on its record; a requester its own."""
    record = get_visible(session, kind, agency_id, record_id)
    query = select(ShareRequest).where(ShareRequest.record_id == record.id).order_by(ShareRequest.created_at)
    if record.owner_id != agency_id:
        query = query.where(ShareRequest.requester_id == agency_id)
    return request_views(session, SHARE_REQUESTS, list(session.scalars(query)), vault, now)


def listed_for_agency(
    session: Session, kind: KindSpec, agency_id: str, vault: Vault, now: datetime, *, pending: bool
) -> list[RequestView]:
    """Requests on the agency's records of a kind, or made by it, oldest first: what waits on the owner
    to decide across all its records (with `pending`, only those not decided yet)."""
    query = (
        select(ShareRequest)
        .join(Record, Record.id == ShareRequest.record_id)
        .where(
            Record.kind == kind.kind.value,
            Record.purged_at.is_(None),
            # A requester sees its requests only on records it may still see, as on the record's own list.
            or_(
                ShareRequest.owner_id == agency_id,
                and_(ShareRequest.requester_id == agency_id, visible_to(agency_id)),
            ),
        )
        .order_by(ShareRequest.created_at)
    )
    if pending:
        query = query.where(ShareRequest.state == ConsentState.PENDING.value)
    return request_views(session, SHARE_REQUESTS, list(session.scalars(query)), vault, now)


def _request(session: Session, record_id: str, request_id: str, agency_id: str) -> ShareRequest:
    request = session.scalars(
        select(ShareRequest)
        .where(ShareRequest.id == request_id, ShareRequest.record_id == record_id)
        .with_for_update()
    ).first()
    if request is None or agency_id not in (request.owner_id, request.requester_id):
        raise NotFound(f"no share request {request_id}")
    return request


def _move(
    session: Session,
    kind: KindSpec,
    actor: Actor,
    record_id: str,
    request_id: str,
    name: str,
    reason: str,
    vault: Vault,
    now: datetime,
) -> RequestView:
    record = get_visible(session, kind, actor.agency_id, record_id)
    request = _request(session, record.id, request_id, actor.agency_id)
    mover = (actor.agency_id, actor.name)
    return move_request(session, SHARE_REQUESTS, request, record, mover, name, reason, vault, now)


def decide(
    session: Session,
    kind: KindSpec,
    actor: Actor,
    record_id: str,
    request_id: str,
    grant: bool,
    reason: str,
    vault: Vault,
    *,
    now: datetime,
) -> RequestView:
    """The owner grants (the target sees the record from now on) or refuses."""
    name = "grant" if grant else "refuse"
    return _move(session, kind, actor, record_id, request_id, name, reason, vault, now)


def withdraw(
    session: Session,
    kind: KindSpec,
    actor: Actor,
    record_id: str,
    request_id: str,
    reason: str,
    vault: Vault,
    *,
    now: datetime,
) -> RequestView:
    """The requester takes its pending request back."""
    return _move(session, kind, actor, record_id, request_id, "withdraw", reason, vault, now)


def revoke(
    session: Session,
    kind: KindSpec,
    actor: Actor,
    record_id: str,
    agency_id: str,
    reason: str,
    vault: Vault,
    *,
    now: datetime,
) -> bool:
    """The owner withdraws its consent from `agency_id` (however it was given)."""
    record = get_owned(session, kind, actor.agency_id, record_id, lock=True)
    secrets = secrets_for(vault, record.id, record.data_key)
    mover = Mover(Party.OWNER, actor.agency_id, actor.name)
    return revoke_consent(session, record, agency_id, mover, reason, secrets, now)
