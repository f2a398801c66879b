"""Cooperation requests between agencies, on the workflow engine: draft -> submitted -> acknowledged ->
in_progress -> executed | partially_executed | refused | withdrawn, with information_requested <->
in_progress when the addressee needs more. Only the two parties and the agencies copied see a request;
copied agencies never act on it.

While a request is open, its addressee and copied agencies see the records it names that the requester
owns (a request grant, through the one visibility rule). Executing a freezing, confiscation or asset
return request moves the requester's leads on (traced -> frozen with the order's expiry, frozen ->
confiscated, confiscated -> returned)."""

import json
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.errors import BodyTooLarge, NotFound, ValidationFailed
from app.ids import uuid7
from app.models import Agency, CooperationRequest, Record, RecordGrant
from app.schemas.alerts import Urgency
from app.schemas.common import Scope
from app.schemas.cooperation import RequestAction, RequestCreate, RequestKind, RequestState, RequestTransition
from app.schemas.events import EventType
from app.services.directory.entries import check_accepts
from app.services.events.outbox import emit
from app.services.records.kinds import LEADS, SUSPECTS
from app.services.records.store import Actor, change_by_agreement
from app.services.records.visibility import PRIVATE_PARTNER, REQUEST_GRANT, visible_to
from app.services.vault import RecordSecrets, Vault
from app.services.workflows.crises import check_room_member
from app.services.workflows.engine import Mover, Party, Workflow, apply, open_item, transition

ASK, DECIDE, READ = Party.REQUESTER, Party.OWNER, Party.OBSERVER
WORKFLOW = Workflow(
    table="cooperation_requests",
    initial=RequestState.DRAFT.value,
    transitions={
        "submit": transition("draft", "submitted", ASK),
        "acknowledge": transition("submitted", "acknowledged", DECIDE),
        "start": transition("acknowledged", "in_progress", DECIDE),
        "request_information": transition("acknowledged in_progress", "information_requested", DECIDE),
        "provide_information": transition("information_requested", "in_progress", ASK),
        "execute": transition("in_progress", "executed", DECIDE),
        "execute_partially": transition("in_progress", "partially_executed", DECIDE),
        "refuse": transition("submitted acknowledged in_progress information_requested", "refused", DECIDE),
        "withdraw": transition(
            "draft submitted acknowledged in_progress information_requested", "withdrawn", ASK
        ),
    },
    waiting=frozenset({"submitted", "acknowledged", "in_progress", "information_requested"}),
)
OPEN = WORKFLOW.waiting  # while a request is in these, its addressee sees the records it names
# How long the addressee has to acknowledge, by kind; a critical or high urgency shortens it.
ACKNOWLEDGE_WITHIN = {
    RequestKind.URGENT_ASSISTANCE: timedelta(hours=1),
    RequestKind.PROVISIONAL_ARREST: timedelta(hours=24),
    RequestKind.FREEZING: timedelta(hours=24),
}
DEFAULT_ACKNOWLEDGE_WITHIN = timedelta(days=5)
URGENCY_CAP = {Urgency.CRITICAL: timedelta(hours=4), Urgency.HIGH: timedelta(hours=24)}
ANSWER_WITHIN = timedelta(days=5)  # for the requester, when the addressee asks for more information
# What executing a request does to the requester's leads: (from status, to status).
LEAD_OUTCOMES = {
    RequestKind.FREEZING: ("traced", "frozen"),
    RequestKind.CONFISCATION: ("frozen", "confiscated"),
    RequestKind.ASSET_RETURN: ("confiscated", "returned"),
}
MAX_ATTACHMENT_BYTES = 256 * 1024


def acknowledge_within(kind: RequestKind, urgency: Urgency) -> timedelta:
    base = ACKNOWLEDGE_WITHIN.get(kind, DEFAULT_ACKNOWLEDGE_WITHIN)
    return min(base, URGENCY_CAP.get(urgency, base))


def sealer(vault: Vault, request: CooperationRequest) -> RecordSecrets:
    """The request's own data key (its texts and notes are sealed under it)."""
    return RecordSecrets(
        vault, vault.data_key(request.data_key, f"cooperation_requests|{request.id}"), request.id
    )


def content_of(vault: Vault, request: CooperationRequest) -> dict[str, Any]:
    text = sealer(vault, request).open_text(
        request.content, table=WORKFLOW.table, row="content", field="content"
    )
    content: dict[str, Any] = json.loads(text)
    return content


def _seal_content(vault: Vault, request: CooperationRequest, content: dict[str, Any]) -> None:
    text = json.dumps(content, separators=(",", ":"), default=str)
    request.content = sealer(vault, request).seal_text(
        text, table=WORKFLOW.table, row="content", field="content"
    )


def _check_attachments(attachments: list[dict[str, Any]]) -> None:
    size = len(json.dumps(attachments, default=str).encode())
    if size > MAX_ATTACHMENT_BYTES:
        raise BodyTooLarge(f"attachments are {size} bytes; at most {MAX_ATTACHMENT_BYTES} in one request")


def _seen_by(
    session: Session, agency_id: str, record_ids: list[str], kind: str | None = None
) -> dict[str, Record]:
    query = select(Record).where(Record.id.in_(record_ids), visible_to(agency_id))
    if kind is not None:
        query = query.where(Record.kind == kind)
    return {record.id: record for record in session.scalars(query)}


def _check_records(session: Session, requester: str, data: RequestCreate) -> list[str]:
    """The records the request names, checked; returns those the requester owns (the addressee will
    see them while the request is open)."""
    own = _seen_by(session, requester, data.linked_records)
    foreign = [rid for rid in data.linked_records if rid not in own or own[rid].owner_id != requester]
    if foreign:
        raise ValidationFailed(
            f"linked_records: {foreign[0]} is not a record of yours (ask its owner to share it)"
        )
    named = list(data.linked_records)
    if data.extradition is not None:
        person = _seen_by(session, requester, [data.extradition.person], SUSPECTS.kind.value)
        if not person:
            raise ValidationFailed("extradition.person: not a suspect record you may see")
        named.append(data.extradition.person)
    leads = (
        data.asset_order.leads if data.asset_order else data.asset_return.leads if data.asset_return else []
    )
    if leads:
        seen = _seen_by(session, requester, leads, LEADS.kind.value)
        missing = [lead for lead in leads if lead not in seen]
        if missing:
            raise ValidationFailed(f"{missing[0]} is not a proceeds-tracing lead you may see")
        named += leads
    owned = {
        record.id for record in _seen_by(session, requester, named).values() if record.owner_id == requester
    }
    return sorted(owned)


def _check_parties(session: Session, requester: str, data: RequestCreate) -> None:
    parties = [data.addressee, *data.copied]
    query = select(Agency.id, Agency.kind).where(Agency.id.in_(parties), Agency.status == "active")
    active: dict[str, str] = {agency_id: kind for agency_id, kind in session.execute(query)}
    unknown = [agency for agency in parties if agency not in active]
    if unknown:
        raise ValidationFailed(f"no active agency {unknown[0]}")
    partners = [agency for agency in parties if active[agency] == PRIVATE_PARTNER]
    if partners:  # a party sees the records a request names: partners receive nothing
        raise ValidationFailed(f"{partners[0]} is a private partner, which receives no requests")
    if requester in parties or data.addressee in data.copied:
        raise ValidationFailed("the requester, the addressee and the copied agencies must all differ")
    check_accepts(session, data.addressee, data.kind)


def create(
    session: Session, vault: Vault, actor: Actor, data: RequestCreate, *, now: datetime
) -> CooperationRequest:
    _check_parties(session, actor.agency_id, data)
    granted = _check_records(session, actor.agency_id, data)
    if data.crisis is not None:
        check_room_member(session, data.crisis, actor.agency_id)
    attachments = [attachment.model_dump(mode="json") for attachment in data.attachments]
    _check_attachments(attachments)
    request_id = uuid7()
    _, wrapped = vault.new_data_key(f"cooperation_requests|{request_id}")
    request = CooperationRequest(
        id=request_id,
        kind=data.kind.value,
        requester_id=actor.agency_id,
        addressee_id=data.addressee,
        copied=sorted(set(data.copied)),
        urgency=data.urgency.value,
        requested_by=data.requested_by,
        legal_basis=data.legal_basis.model_dump(mode="json"),
        linked_records=granted,
        refusal_grounds=[],
        crisis_id=data.crisis,
        content="",
        data_key=wrapped,
    )
    details = data.extradition or data.asset_order or data.asset_return
    content = {
        "summary": data.summary,
        "details": details.model_dump(mode="json") if details else None,
        "attachments": attachments,
    }
    _seal_content(vault, request, content)
    mover = Mover(Party.REQUESTER, actor.agency_id, actor.name)
    open_item(session, WORKFLOW, request, mover, "opened", sealer(vault, request), now=now, due_at=None)
    if data.submit:
        move(session, vault, actor, request, RequestTransition(action=RequestAction.SUBMIT), now=now)
    return request


def find(session: Session, agency_id: str, request_id: str, *, lock: bool = False) -> CooperationRequest:
    """A request the agency may see: its requester always; the addressee and copied agencies once it is
    submitted. 404 otherwise."""
    query = select(CooperationRequest).where(CooperationRequest.id == request_id)
    request = session.scalars(query.with_for_update() if lock else query).first()
    if request is None or party_of(request, agency_id) is None:
        raise NotFound(f"no request {request_id}")
    return request


def party_of(request: CooperationRequest, agency_id: str) -> Party | None:
    if agency_id == request.requester_id:
        return Party.REQUESTER
    if request.state == RequestState.DRAFT.value:
        return None
    if agency_id == request.addressee_id:
        return Party.OWNER
    return Party.OBSERVER if agency_id in request.copied else None


def waiting_on(request: CooperationRequest) -> str | None:
    if request.state == RequestState.INFORMATION_REQUESTED.value:
        return request.requester_id
    return request.addressee_id if request.state in OPEN else None


def _due_at(request: CooperationRequest, action: RequestAction, now: datetime) -> datetime | None:
    kind, urgency = RequestKind(request.kind), Urgency(request.urgency)
    if action is RequestAction.SUBMIT:
        return now + acknowledge_within(kind, urgency)
    if action is RequestAction.REQUEST_INFORMATION:
        return now + ANSWER_WITHIN
    if request.requested_by is not None:  # then the addressee works to the requester's date
        return datetime.combine(request.requested_by, time.max, tzinfo=now.tzinfo)
    return None


def _check_transition(action: RequestAction, data: RequestTransition) -> None:
    if action is RequestAction.REFUSE and not (data.grounds and data.note):
        raise ValidationFailed("refusing needs at least one ground from the list, and a note")
    if action is RequestAction.REQUEST_INFORMATION and not data.note:
        raise ValidationFailed("say what information is needed (note)")


def move(
    session: Session,
    vault: Vault,
    actor: Actor,
    request: CooperationRequest,
    data: RequestTransition,
    *,
    now: datetime,
) -> CooperationRequest:
    """Apply one action by `actor` (the engine refuses the wrong party, 403, or state, 409)."""
    party = party_of(request, actor.agency_id)
    if party is None:
        raise NotFound(f"no request {request.id}")
    _check_transition(data.action, data)
    mover = Mover(party, actor.agency_id, actor.name)
    secrets = sealer(vault, request)
    apply(
        session,
        WORKFLOW,
        request,
        data.action.value,
        mover,
        data.note,
        secrets,
        now=now,
        due_at=_due_at(request, data.action, now),
    )
    if data.action is RequestAction.REFUSE:
        request.refusal_grounds = sorted({ground.value for ground in data.grounds})
    if data.attachments:
        content = content_of(vault, request)
        content["attachments"] += [
            item.model_dump(mode="json") | {"from": actor.agency_id} for item in data.attachments
        ]
        _check_attachments(content["attachments"])
        _seal_content(vault, request, content)
    _set_grants(session, request)
    if data.action in (RequestAction.EXECUTE, RequestAction.EXECUTE_PARTIALLY):
        _apply_outcome(session, vault, actor, request, now)
    announce(session, request, data.action.value, now=now)
    session.flush()
    return request


def _set_grants(session: Session, request: CooperationRequest) -> None:
    """The addressee and copied agencies see the requester's records the request names while it is
    open; a grant another open request still justifies stays."""
    agencies = [request.addressee_id, *request.copied]
    session.execute(
        delete(RecordGrant).where(
            RecordGrant.record_id.in_(request.linked_records),
            RecordGrant.grantee_type == REQUEST_GRANT,
            RecordGrant.grantee_id.in_(agencies),
        )
    )
    still_open = session.scalars(
        select(CooperationRequest).where(
            CooperationRequest.state.in_(OPEN), CooperationRequest.requester_id == request.requester_id
        )
    )
    wanted = {
        (record_id, agency)
        for other in still_open
        for record_id in other.linked_records
        if record_id in request.linked_records
        for agency in [other.addressee_id, *other.copied]
        if agency in agencies
    }
    session.add_all(
        RecordGrant(record_id=r, grantee_type=REQUEST_GRANT, grantee_id=a) for r, a in sorted(wanted)
    )
    session.flush()


def _apply_outcome(
    session: Session, vault: Vault, actor: Actor, request: CooperationRequest, now: datetime
) -> None:
    outcome = LEAD_OUTCOMES.get(RequestKind(request.kind))
    if outcome is None:
        return
    details = content_of(vault, request)["details"] or {}
    changes: dict[str, Any] = {}
    if request.kind == RequestKind.FREEZING.value and details.get("order_expires_on"):
        changes["freeze_expires_on"] = details["order_expires_on"]
    on_behalf = Actor(request.requester_id, f"request {request.id} executed by {actor.agency_id}")
    for lead_id in details.get("leads", []):
        lead = session.get(Record, lead_id)
        if lead is not None and lead.owner_id == request.requester_id and lead.status == outcome[0]:
            change_by_agreement(session, lead, outcome[1], changes, on_behalf, vault, now=now)


def announce(session: Session, request: CooperationRequest, action: str, *, now: datetime) -> None:
    parties = {request.requester_id} | (
        set() if request.state == "draft" else {request.addressee_id, *request.copied}
    )
    data = {
        "request_id": request.id,
        "kind": request.kind,
        "action": action,
        "state": request.state,
        "waiting_on": waiting_on(request),
        "due_at": request.due_at.isoformat() if request.due_at else None,
    }
    emit(
        session,
        parties,
        EventType.COOPERATION_REQUEST_CHANGED,
        now=now,
        data=data,
        scope=Scope.REQUESTS_READ.value,
    )
