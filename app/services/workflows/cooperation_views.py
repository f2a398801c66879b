"""Reading cooperation requests: one as its parties see it (its texts opened, its history, what the
caller may do now), and lists of those the caller is party to."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, cast, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from app.models import CooperationRequest
from app.schemas.cooperation import RequestState
from app.services.workflows.cooperation import WORKFLOW, content_of, party_of, sealer, waiting_on
from app.services.workflows.engine import history, open_note, overdue


def view(
    session: Session, vault: Any, agency_id: str, request: CooperationRequest, now: datetime
) -> dict[str, Any]:
    content = content_of(vault, request)
    party = party_of(request, agency_id)
    secrets = sealer(vault, request)
    steps = history(session, WORKFLOW, [request.id])[request.id]
    return {
        "id": request.id,
        "kind": request.kind,
        "state": request.state,
        "requester": request.requester_id,
        "addressee": request.addressee_id,
        "copied": request.copied,
        "legal_basis": request.legal_basis,
        "urgency": request.urgency,
        "requested_by": request.requested_by,
        "summary": content["summary"],
        "linked_records": request.linked_records,
        "details": content["details"],
        "attachments": content["attachments"],
        "crisis": request.crisis_id,
        "refusal_grounds": request.refusal_grounds,
        "due_at": request.due_at,
        "waiting_on": waiting_on(request),
        "overdue": overdue(WORKFLOW, request, now),
        "allowed_actions": WORKFLOW.allowed(request.state, party) if party else [],
        "created_at": request.created_at,
        "updated_at": request.updated_at,
        "transitions": [
            {
                "name": step.name,
                "from_state": step.from_state,
                "to_state": step.to_state,
                "party": step.party,
                "agency": step.agency_id,
                "actor": step.actor,
                "note": open_note(WORKFLOW, step, secrets),
                "at": step.at,
            }
            for step in steps
        ],
    }


def _party_to(agency_id: str, role: str | None) -> Any:
    submitted = CooperationRequest.state != RequestState.DRAFT.value
    # Agency ids are slugs (lower-case letters, digits, hyphens): matching the quoted id in the JSON list's
    # text is exact, on SQLite and PostgreSQL alike.
    copied = and_(submitted, cast(CooperationRequest.copied, String).like(f'%"{agency_id}"%'))
    roles = {
        "requester": CooperationRequest.requester_id == agency_id,
        "addressee": and_(submitted, CooperationRequest.addressee_id == agency_id),
        "copied": copied,
    }
    return roles[role] if role else or_(*roles.values())


def listed(
    session: Session,
    agency_id: str,
    *,
    role: str | None,
    state: str | None,
    kind: str | None,
    crisis: str | None,
    after: list[Any] | None,
    limit: int,
) -> Sequence[CooperationRequest]:
    """Requests the agency is party to, newest first (keyset pagination on created_at, id)."""
    query = (
        select(CooperationRequest)
        .where(_party_to(agency_id, role))
        .order_by(CooperationRequest.created_at.desc(), CooperationRequest.id.desc())
        .limit(limit)
    )
    for column, value in (
        (CooperationRequest.state, state),
        (CooperationRequest.kind, kind),
        (CooperationRequest.crisis_id, crisis),
    ):
        if value is not None:
            query = query.where(column == value)
    if after is not None:
        position = tuple_(literal(datetime.fromisoformat(after[0])), literal(after[1]))
        query = query.where(tuple_(CooperationRequest.created_at, CooperationRequest.id) < position)
    return session.scalars(query).all()
