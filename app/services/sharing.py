"""What recipients do with a record they see: add contributions for the owner, and ask the owner's
consent to pass it on (the Egmont third-party rule, enforced by the system rather than by a label)."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, NotFound, ValidationFailed
from app.ids import uuid7
from app.models import Agency, Contribution, Record, RecordGrant, ShareRequest
from app.models.base import utcnow
from app.services.kinds import KindSpec
from app.services.records import Actor, get_owned, get_visible
from app.services.vault import RecordSecrets, Vault, secrets_for
from app.services.visibility import CONSENT_GRANT, visible_to


@dataclass(frozen=True)
class ContributionView:
    contribution: Contribution
    text: str


@dataclass(frozen=True)
class ShareRequestView:
    request: ShareRequest
    reason: str
    decision_reason: str | None


def add_contribution(
    session: Session, kind: KindSpec, actor: Actor, record_id: str, note_kind: str, text: str, vault: Vault
) -> ContributionView:
    record = get_visible(session, kind, actor.agency_id, record_id)
    if record.withdrawn_at is not None:
        raise Conflict("the record has been withdrawn")
    secrets = secrets_for(vault, record.id, record.data_key)
    contribution_id = uuid7()
    contribution = Contribution(
        id=contribution_id,
        record_id=record.id,
        author_id=actor.agency_id,
        actor=actor.name,
        kind=note_kind,
        text=secrets.seal_text(text, table="contributions", row=contribution_id, field="text"),
    )
    session.add(contribution)
    session.flush()
    return ContributionView(contribution, text)


def contributions(
    session: Session, kind: KindSpec, agency_id: str, record_id: str, vault: Vault
) -> list[ContributionView]:
    """The owner sees every contribution; any other agency only its own."""
    record = get_visible(session, kind, agency_id, record_id)
    query = select(Contribution).where(Contribution.record_id == record.id).order_by(Contribution.created_at)
    if record.owner_id != agency_id:
        query = query.where(Contribution.author_id == agency_id)
    secrets = secrets_for(vault, record.id, record.data_key)
    return [
        ContributionView(c, secrets.open_text(c.text, table="contributions", row=c.id, field="text"))
        for c in session.scalars(query)
    ]


def _view(request: ShareRequest, secrets: RecordSecrets) -> ShareRequestView:
    def open_(token: str | None, field: str) -> str | None:
        if token is None:
            return None
        return secrets.open_text(token, table="share_requests", row=request.id, field=field)

    return ShareRequestView(
        request, open_(request.reason, "reason") or "", open_(request.decision_reason, "decision")
    )


def _sees(session: Session, agency_id: str, record_id: str) -> bool:
    return session.scalar(select(Record.id).where(Record.id == record_id, visible_to(agency_id))) is not None


def request_onward_sharing(
    session: Session, kind: KindSpec, actor: Actor, record_id: str, target_id: str, reason: str, vault: Vault
) -> ShareRequestView:
    record = get_visible(session, kind, actor.agency_id, record_id)
    if record.owner_id == actor.agency_id:
        raise ValidationFailed("the owner shares its own record by changing its distribution")
    if session.get(Agency, target_id) is None:
        raise ValidationFailed(f"target: no agency {target_id}")
    if _sees(session, target_id, record.id):
        raise Conflict(f"{target_id} can already see this record")
    secrets = secrets_for(vault, record.id, record.data_key)
    request_id = uuid7()
    request = ShareRequest(
        id=request_id,
        record_id=record.id,
        requester_id=actor.agency_id,
        target_id=target_id,
        reason=secrets.seal_text(reason, table="share_requests", row=request_id, field="reason"),
    )
    session.add(request)
    if not record.rules.get("restrictions", {}).get("no_onward_sharing", True):
        # The owner allowed onward sharing up front: the system grants at once, and still records it.
        _grant(session, record, request, "granted in advance: the owner allows onward sharing", secrets)
    session.flush()
    return _view(request, secrets)


def _grant(
    session: Session, record: Record, request: ShareRequest, reason: str, secrets: RecordSecrets
) -> None:
    request.status = "granted"
    request.decision_reason = secrets.seal_text(
        reason, table="share_requests", row=request.id, field="decision"
    )
    request.decided_at = utcnow()
    if session.get(RecordGrant, (record.id, CONSENT_GRANT, request.target_id)) is None:
        session.add(
            RecordGrant(record_id=record.id, grantee_type=CONSENT_GRANT, grantee_id=request.target_id)
        )


def share_requests(
    session: Session, kind: KindSpec, agency_id: str, record_id: str, vault: Vault
) -> list[ShareRequestView]:
    """The owner sees every request on its record; a requester sees its own."""
    record = get_visible(session, kind, agency_id, record_id)
    query = select(ShareRequest).where(ShareRequest.record_id == record.id).order_by(ShareRequest.created_at)
    if record.owner_id != agency_id:
        query = query.where(ShareRequest.requester_id == agency_id)
    secrets = secrets_for(vault, record.id, record.data_key)
    return [_view(request, secrets) for request in session.scalars(query)]


def decide_onward_sharing(
    session: Session,
    kind: KindSpec,
    actor: Actor,
    record_id: str,
    request_id: str,
    grant: bool,
    reason: str,
    vault: Vault,
) -> ShareRequestView:
    record = get_owned(session, kind, actor.agency_id, record_id)
    secrets = secrets_for(vault, record.id, record.data_key)
    request = session.scalars(
        select(ShareRequest).where(ShareRequest.id == request_id, ShareRequest.record_id == record.id)
    ).first()
    if request is None:
        raise NotFound(f"no share request {request_id}")
    if request.status != "pending":
        raise Conflict(f"the request was already {request.status}")
    if grant:
        _grant(session, record, request, reason, secrets)
    else:
        request.status = "refused"
        request.decision_reason = secrets.seal_text(
            reason, table="share_requests", row=request.id, field="decision"
        )
        request.decided_at = utcnow()
    session.flush()
    return _view(request, secrets)
