"""Service views to wire dictionaries, for the routers (no rule of who may read what lives here: the
services decided that)."""

from typing import Any

from app.services.records.consents import RequestView
from app.services.records.contributions import ContributionView


def transitions(view: RequestView) -> list[dict[str, Any]]:
    return [
        {
            "name": step.entry.name,
            "from_state": step.entry.from_state,
            "to_state": step.entry.to_state,
            "party": step.entry.party,
            "agency": step.entry.agency_id,
            "actor": step.entry.actor,
            "note": step.note,
            "at": step.entry.at,
        }
        for step in view.steps
    ]


def consent_request(view: RequestView) -> dict[str, Any]:
    """What share and access requests have in common."""
    item = view.item
    return {
        "id": item.id,
        "owner": item.owner_id,
        "requester": item.requester_id,
        "reason": view.reason,
        "status": item.state,
        "decision_reason": view.decision_reason,
        "due_at": item.due_at,
        "overdue": view.overdue,
        "created_at": item.created_at,
        "decided_at": view.decided_at,
        "transitions": transitions(view),
    }


def contribution(view: ContributionView) -> dict[str, Any]:
    item = view.contribution
    return {
        "id": item.id,
        "record_id": item.record_id,
        "author": item.author_id,
        "actor": item.actor,
        "kind": item.kind,
        "text": view.text,
        "created_at": item.created_at,
    }
