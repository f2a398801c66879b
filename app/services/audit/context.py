"""Which records the current request touched, for its audit entry.

The secure channel opens a set for each authenticated request; the places every record passes through on
its way out or in (disclosure, the feed, matching, the ORM flush of a changed record) add to it. The set
is shared by reference, so additions made in the worker threads that run a route are seen by the
channel. Outside a request (the scheduler, the CLI) nothing is noted.
"""

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.models import Record
from app.services.audit.log import EntryDraft
from app.services.identity.authentication import Caller

_AUDIT: ContextVar["RequestAudit | None"] = ContextVar("kix_audit", default=None)


@contextmanager
def noting(audit: "RequestAudit") -> Iterator[None]:
    """Note the records touched (and seen) inside the block into `audit`."""
    token = _AUDIT.set(audit)
    try:
        yield
    finally:
        _AUDIT.reset(token)


def note_records(record_ids: Iterable[str | None]) -> None:
    audit = _AUDIT.get()
    if audit is not None:
        audit.touched.update(record_id for record_id in record_ids if record_id)


def note_seen(records: Iterable[Record]) -> None:
    """Records shown to the caller in a record view: those its agency does not own are noted as seen by it
    (for withdrawal and correction notices), with the request's entry, if the request succeeds."""
    audit = _AUDIT.get()
    if audit is not None:
        audit.seen.update(record.id for record in records if record.owner_id != audit.caller.agency_id)


@event.listens_for(Session, "before_flush")
def _note_changed_records(session: Session, _context: object, _instances: object) -> None:
    """Records a request creates, changes or deletes are touched by it, whichever service did it."""
    if _AUDIT.get() is not None:
        changed = (*session.new, *session.dirty, *session.deleted)
        note_records(obj.id for obj in changed if isinstance(obj, Record))


@dataclass
class RequestAudit:
    """An authenticated request's audit entry in the making: who, what, and the records it touched.
    `written` once an entry is committed (with the request's own changes), so it is not written twice."""

    at: datetime
    caller: Caller
    method: str
    request_id: str
    signature_sha256: str
    touched: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    written: bool = False

    def draft(self, route: str, status: int) -> EntryDraft:
        return EntryDraft(
            at=self.at,
            agency_id=self.caller.agency_id,
            kid=self.caller.kid,
            actor=self.caller.actor,
            method=self.method,
            route=route,
            status=status,
            records=frozenset(self.touched),
            request_id=self.request_id,
            signature_sha256=self.signature_sha256,
            # An answer that failed disclosed nothing.
            seen=frozenset(self.seen) if status < 400 else frozenset(),
        )


NOT_ROUTED = "(not routed)"


def route_template(scope: Mapping[str, Any]) -> str:
    """The route's path template (`/v1/alerts/{record_id}`), never the path itself: a path no route took
    (or a request refused before routing) could carry anything a client typed, so it is not kept."""
    template = getattr(scope.get("route"), "path", None)
    return template if isinstance(template, str) else NOT_ROUTED


def success_status(scope: Mapping[str, Any]) -> int:
    """The status a route answers when it succeeds (its declared status code, else 200)."""
    code = getattr(scope.get("route"), "status_code", None)
    return code if isinstance(code, int) else 200
