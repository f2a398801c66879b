"""Reading the audit log: entries as documents, who may prove what, and the administrators' query."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.crypto.encoding import b64url_encode
from app.errors import NotFound, ValidationFailed
from app.models import AuditEntry, AuditEntryRecord, Event, Record, WebhookDelivery
from app.services.audit import tree
from app.services.audit.log import latest_head


def entry_document(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at,
        "agency": entry.agency_id,
        "kid": entry.kid,
        "actor": entry.actor,
        "method": entry.method,
        "route": entry.route,
        "status": entry.status,
        "records": entry.records,
        "request_id": entry.request_id,
        "signature_sha256": entry.signature_sha256,
    }


def _about(session: Session, entry: AuditEntry, agency_id: str) -> bool:
    """Whether the entry is about the agency: its own request, or one that touched a record it owns."""
    if entry.agency_id == agency_id:
        return True
    if not entry.records:
        return False
    owned = select(Record.id).where(Record.id.in_(entry.records), Record.owner_id == agency_id).limit(1)
    return session.execute(owned).first() is not None


def inclusion(session: Session, agency_id: str, seq: int) -> dict[str, Any]:
    """The proof that entry `seq` is in the latest signed tree; 404 unless the entry is about the
    caller (entries about others are not theirs to see, even as hashes)."""
    head = latest_head(session)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.seq == seq)).first()
    if (
        head is None
        or entry is None
        or entry.leaf is None
        or seq >= head.size
        or not _about(session, entry, agency_id)
    ):
        raise NotFound(f"no audit entry {seq} about {agency_id} in the signed tree")
    return {
        "entry": entry_document(entry),
        "leaf_hash": b64url_encode(entry.leaf),
        "tree_head": head.document(),
        "proof": [b64url_encode(digest) for digest in tree.inclusion_proof(session, seq, head.size)],
    }


def consistency(session: Session, first: int, second: int) -> dict[str, Any]:
    head = latest_head(session)
    size = head.size if head else 0
    if not 0 <= first <= second <= size:
        raise ValidationFailed(f"sizes must satisfy 0 <= from <= to <= {size} (the latest signed tree)")
    proof = tree.consistency_proof(session, first, second)
    return {"first": first, "second": second, "proof": [b64url_encode(digest) for digest in proof]}


def access_log(session: Session, record_id: str) -> list[dict[str, Any]]:
    """Who touched a record, oldest first: each audit entry naming it (reads, lists, matches, changes,
    feed pages that carried it), and each webhook delivery of an event about it (sent, not asked for)."""
    ids = select(AuditEntryRecord.entry_id).where(AuditEntryRecord.record_id == record_id)
    entries = session.scalars(select(AuditEntry).where(AuditEntry.id.in_(ids)).order_by(AuditEntry.id))
    items = [
        {
            "at": entry.at,
            "agency": entry.agency_id,
            "actor": entry.actor,
            "method": entry.method,
            "route": entry.route,
            "status": entry.status,
            "seq": entry.seq,
        }
        for entry in entries
    ]
    sent = session.execute(
        select(WebhookDelivery.delivered_at, WebhookDelivery.last_status, Event.agency_id, Event.type)
        .join(Event, Event.id == WebhookDelivery.event_row)
        .where(Event.record_id == record_id, WebhookDelivery.state == "delivered")
    )
    for delivered_at, status, agency_id, event_type in sent:
        route = f"webhook {event_type}"
        items.append(
            {
                "at": delivered_at,
                "agency": agency_id,
                "actor": "kix",
                "method": "POST",
                "route": route,
                "status": status or 200,
                "seq": None,
            }
        )
    return sorted(items, key=lambda item: item["at"])


@dataclass(frozen=True)
class EntryFilters:
    agency: str | None = None
    actor: str | None = None
    route: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def query(session: Session, filters: EntryFilters, after: int, limit: int) -> list[AuditEntry]:
    """Entries matching every filter given, in the order written, after entry id `after`."""
    statement = select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id).limit(limit)
    if filters.agency is not None:
        statement = statement.where(AuditEntry.agency_id == filters.agency)
    if filters.actor is not None:
        statement = statement.where(AuditEntry.actor == filters.actor)
    if filters.route is not None:
        statement = statement.where(AuditEntry.route == filters.route)
    if filters.since is not None:
        statement = statement.where(AuditEntry.at >= filters.since)
    if filters.until is not None:
        statement = statement.where(AuditEntry.at < filters.until)
    return list(session.scalars(statement))
