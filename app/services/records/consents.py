"""Access a record's owner gave by consent: to a third agency a recipient asked to pass the record on to
(share requests, the Egmont third-party rule), or to an agency that asked after a hit (access requests).

Both are requests on the workflow engine with the same states. A granted request gives its agency a
consent grant on the record; the owner may revoke it, and a change of distribution revokes the consents
it no longer covers (an onward share whose requester has lost the record; every consent when the record
becomes owner-only)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from app.models import (
    AccessRequest,
    Agency,
    GroupMember,
    Record,
    RecordGrant,
    ShareRequest,
    WorkflowTransition,
)
from app.schemas.common import Scope
from app.schemas.events import EventType
from app.schemas.records import ConsentState, DistributionMode
from app.services.events.outbox import emit, emit_record_event
from app.services.records.notices import PURGED_TEXT
from app.services.records.visibility import AGENCY_GRANT, CONSENT_GRANT, GROUP_GRANT, visible_to
from app.services.vault import Vault, secrets_for
from app.services.workflows.engine import (
    SYSTEM,
    Mover,
    Party,
    Sealer,
    Workflow,
    apply,
    history,
    open_note,
    overdue,
    transition,
)


def _consent_workflow(table: str) -> Workflow:
    return Workflow(
        table=table,
        initial=ConsentState.PENDING.value,
        transitions={
            "grant": transition("pending", "granted", Party.OWNER, Party.SYSTEM),
            "refuse": transition("pending", "refused", Party.OWNER),
            "withdraw": transition("pending", "withdrawn", Party.REQUESTER),
            "revoke": transition("granted", "revoked", Party.OWNER, Party.SYSTEM),
        },
        waiting=frozenset({ConsentState.PENDING.value}),
    )


SHARE_REQUESTS = _consent_workflow("share_requests")
ACCESS_REQUESTS = _consent_workflow("access_requests")


@dataclass(frozen=True)
class Consent:
    """A granted request and the agency it let see the record."""

    workflow: Workflow
    item: ShareRequest | AccessRequest
    agency_id: str


def sees(session: Session, agency_id: str, record_id: str) -> bool:
    return session.scalar(select(Record.id).where(Record.id == record_id, visible_to(agency_id))) is not None


def consented_agency(item: ShareRequest | AccessRequest) -> str:
    """The agency a request would let see the record: a share's target, an access request's requester."""
    return item.target_id if isinstance(item, ShareRequest) else item.requester_id


def grant_consent(session: Session, record: Record, agency_id: str, now: datetime) -> None:
    """Let `agency_id` see the record by consent, unless it already does (then granting changes nothing),
    and tell it so with the record as it may now read it."""
    if not sees(session, agency_id, record.id):
        grant = RecordGrant(
            record_id=record.id, grantee_type=CONSENT_GRANT, grantee_id=agency_id, granted_at=now
        )
        session.add(grant)
        session.flush()
        emit_record_event(session, record, EventType.RECORD_SHARED, now=now, only=[agency_id])


def _granted(session: Session, record_id: str) -> list[Consent]:
    granted = ConsentState.GRANTED.value
    shares = session.scalars(
        select(ShareRequest).where(ShareRequest.record_id == record_id, ShareRequest.state == granted)
    )
    accesses = session.scalars(
        select(AccessRequest).where(AccessRequest.record_id == record_id, AccessRequest.state == granted)
    )
    return [Consent(SHARE_REQUESTS, item, consented_agency(item)) for item in shares] + [
        Consent(ACCESS_REQUESTS, item, consented_agency(item)) for item in accesses
    ]


def _drop_grants(session: Session, record_id: str, agency_ids: set[str]) -> None:
    session.execute(
        delete(RecordGrant).where(
            RecordGrant.record_id == record_id,
            RecordGrant.grantee_type == CONSENT_GRANT,
            RecordGrant.grantee_id.in_(agency_ids),
        )
    )


def announce_request(
    session: Session, workflow: Workflow, item: ShareRequest | AccessRequest, *, now: datetime, opened: bool
) -> None:
    """Tell both parties that a request was opened or moved (its state, not its texts)."""
    names = {
        (SHARE_REQUESTS.table, True): EventType.SHARE_REQUEST_OPENED,
        (SHARE_REQUESTS.table, False): EventType.SHARE_REQUEST_CHANGED,
        (ACCESS_REQUESTS.table, True): EventType.ACCESS_REQUEST_OPENED,
        (ACCESS_REQUESTS.table, False): EventType.ACCESS_REQUEST_CHANGED,
    }
    data = {
        "request_id": item.id,
        "state": item.state,
        "owner": item.owner_id,
        "requester": item.requester_id,
        "due_at": item.due_at.isoformat() if item.due_at else None,
    }
    if isinstance(item, ShareRequest):
        data["target"] = item.target_id
    else:
        data["hit_id"] = item.hit_id
    # The record is named only to whoever may know it: an access request's requester learns which
    # record it asked for once granted.
    record_id = item.record_id if isinstance(item, ShareRequest) or item.state == "granted" else None
    parties = {item.owner_id, item.requester_id}
    event_type = names[(workflow.table, opened)]
    emit(
        session, parties, event_type, now=now, data=data, record_id=record_id, scope=Scope.REQUESTS_READ.value
    )


def revoke_consent(
    session: Session, record: Record, agency_id: str, mover: Mover, reason: str, sealer: Sealer, now: datetime
) -> bool:
    """The owner withdraws its consent from `agency_id`: every request that granted it is revoked and
    the agency no longer sees the record through consent. False when it held none."""
    consents = [consent for consent in _granted(session, record.id) if consent.agency_id == agency_id]
    held = session.get(RecordGrant, (record.id, CONSENT_GRANT, agency_id)) is not None
    for consent in consents:
        apply(session, consent.workflow, consent.item, "revoke", mover, reason, sealer, now=now)
        announce_request(session, consent.workflow, consent.item, now=now, opened=False)
    _drop_grants(session, record.id, {agency_id})
    session.flush()
    return bool(consents) or held


def _covered_by_distribution(session: Session, record: Record) -> set[str] | None:
    """Agencies the record's distribution names (directly or through a group), with its owner; None
    when it goes to all members."""
    if record.distribution == DistributionMode.ALL_MEMBERS.value:
        return None
    direct = select(RecordGrant.grantee_id).where(
        RecordGrant.record_id == record.id, RecordGrant.grantee_type == AGENCY_GRANT
    )
    via_group = select(GroupMember.agency_id).where(
        exists().where(
            RecordGrant.record_id == record.id,
            RecordGrant.grantee_type == GROUP_GRANT,
            RecordGrant.grantee_id == GroupMember.group_id,
        )
    )
    return {record.owner_id} | set(session.scalars(direct)) | set(session.scalars(via_group))


def revoke_uncovered(session: Session, record: Record, sealer: Sealer, now: datetime) -> list[str]:
    """After the owner changed the distribution: revoke the consents it no longer covers. An owner-only
    record keeps none; otherwise an onward share stands while its requester still sees the record
    (through the distribution, an access the owner granted, or another share that stands). Returns the
    agencies that lost their consented access, sorted."""
    consents = _granted(session, record.id)
    if not consents:
        return []
    if record.distribution == DistributionMode.OWNER_ONLY.value:
        lapsed = consents
    else:
        covered = _covered_by_distribution(session, record)
        if covered is None:
            covered = set(session.scalars(select(Agency.id)))
        covered |= {c.agency_id for c in consents if c.workflow is ACCESS_REQUESTS}
        pending = [c for c in consents if c.workflow is SHARE_REQUESTS]
        changed = True
        while changed:  # a share stands on its requester's access, which may stand on another share
            changed = False
            for consent in list(pending):
                if consent.item.requester_id in covered:
                    covered.add(consent.agency_id)
                    pending.remove(consent)
                    changed = True
        lapsed = pending
    reason = "the owner's new distribution no longer covers this consent"
    for consent in lapsed:
        apply(session, consent.workflow, consent.item, "revoke", SYSTEM, reason, sealer, now=now)
        announce_request(session, consent.workflow, consent.item, now=now, opened=False)
    standing = {c.agency_id for c in consents if c not in lapsed}
    lost = {c.agency_id for c in lapsed} - standing
    _drop_grants(session, record.id, lost)
    session.flush()
    return sorted(lost)


@dataclass(frozen=True)
class Step:
    """One transition of a request, its note opened."""

    entry: WorkflowTransition
    note: str | None


@dataclass(frozen=True)
class RequestView:
    """A consent request as its parties read it."""

    item: ShareRequest | AccessRequest
    reason: str
    decision_reason: str | None
    decided_at: datetime | None
    overdue: bool
    steps: list[Step]


_DECISIONS = ("grant", "refuse")


def request_views(
    session: Session,
    workflow: Workflow,
    items: Sequence[ShareRequest | AccessRequest],
    vault: Vault,
    now: datetime,
) -> list[RequestView]:
    """Requests with their history; the notes of a purged record's requests are gone with it."""
    histories = history(session, workflow, [item.id for item in items])
    records = {
        record.id: record
        for record in session.scalars(select(Record).where(Record.id.in_({item.record_id for item in items})))
    }
    views = []
    for item in items:
        record = records[item.record_id]
        sealer = None if record.data_key is None else secrets_for(vault, record.id, record.data_key)
        steps = [
            Step(entry, PURGED_TEXT if sealer is None else open_note(workflow, entry, sealer))
            for entry in histories[item.id]
        ]
        decisions = [step for step in steps if step.entry.name in _DECISIONS]
        views.append(
            RequestView(
                item=item,
                reason=(steps[0].note or "") if steps else "",
                decision_reason=decisions[-1].note if decisions else None,
                decided_at=decisions[-1].entry.at if decisions else None,
                overdue=overdue(workflow, item, now),
                steps=steps,
            )
        )
    return views


def move_request(
    session: Session,
    workflow: Workflow,
    request: ShareRequest | AccessRequest,
    record: Record,
    mover: tuple[str, str],
    name: str,
    reason: str,
    vault: Vault,
    now: datetime,
) -> RequestView:
    """Move a request by `name` for `mover` (agency id, actor): the record's owner decides, the requester
    withdraws; a grant lets the consented agency see the record."""
    agency_id, actor = mover
    party = Party.OWNER if agency_id == record.owner_id else Party.REQUESTER
    secrets = secrets_for(vault, record.id, record.data_key)
    apply(session, workflow, request, name, Mover(party, agency_id, actor), reason, secrets, now=now)
    if name == "grant":
        grant_consent(session, record, consented_agency(request), now)
    announce_request(session, workflow, request, now=now, opened=False)
    session.flush()
    return request_views(session, workflow, [request], vault, now)[0]
