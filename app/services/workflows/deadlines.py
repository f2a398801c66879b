"""Deadline warnings, run by the scheduler: requests whose deadline approaches (a quarter of their time
left, a day at most) and requests past it, told to every party once each; and freezing orders about to
lapse, told to the lead's owner 14 days and 48 hours ahead."""

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AccessRequest, CooperationRequest, LapseWarning, Record, ShareRequest
from app.schemas.common import Scope
from app.schemas.events import EventType
from app.services.events.outbox import emit
from app.services.records.consents import ACCESS_REQUESTS, SHARE_REQUESTS
from app.services.records.kinds import LEADS
from app.services.workflows import cooperation
from app.services.workflows.engine import Workflow, mark_due_soon, mark_overdue

LAPSE_THRESHOLDS = (("14d", timedelta(days=14)), ("48h", timedelta(hours=48)))
Item = ShareRequest | AccessRequest | CooperationRequest
WORKFLOWS: tuple[tuple[Workflow, type[Any]], ...] = (
    (SHARE_REQUESTS, ShareRequest),
    (ACCESS_REQUESTS, AccessRequest),
    (cooperation.WORKFLOW, CooperationRequest),
)


def _warn_before(item: Any) -> timedelta:
    """A quarter of the time the party had, a day at most."""
    started = item.updated_at or item.created_at
    return min(timedelta(days=1), (item.due_at - started) / 4)


def _parties(item: Item) -> tuple[set[str], str]:
    if isinstance(item, CooperationRequest):
        return {item.requester_id, item.addressee_id, *item.copied}, cooperation.waiting_on(item) or ""
    return {item.owner_id, item.requester_id}, item.owner_id


def warn_deadlines(session: Session, now: datetime) -> int:
    warned = 0
    for workflow, model in WORKFLOWS:
        for warning, items in (
            ("due_soon", mark_due_soon(session, workflow, model, now, _warn_before)),
            ("overdue", mark_overdue(session, workflow, model, now)),
        ):
            for item in items:
                parties, waiting_on = _parties(item)
                data = {
                    "warning": warning,
                    "request": workflow.table,
                    "request_id": item.id,
                    "due_at": item.due_at.isoformat() if item.due_at else None,
                    "waiting_on": waiting_on,
                }
                emit(
                    session,
                    parties,
                    EventType.DEADLINE_WARNING,
                    now=now,
                    data=data,
                    scope=Scope.REQUESTS_READ.value,
                )
                warned += 1
    return warned


def warn_freeze_lapses(session: Session, now: datetime) -> int:
    """Tell each frozen lead's owner, once per threshold, that its freezing order lapses soon."""
    expiry = Record.body["freeze_expires_on"].as_string()
    horizon = (now + LAPSE_THRESHOLDS[0][1]).date().isoformat()
    frozen = session.execute(
        select(Record.id, Record.owner_id, expiry).where(
            Record.kind == LEADS.kind.value, Record.status == "frozen", expiry.is_not(None), expiry <= horizon
        )
    ).all()
    sent = 0
    for record_id, owner_id, expires_text in frozen:
        expires_on = date.fromisoformat(expires_text)
        lapse = datetime.combine(expires_on, datetime.min.time(), tzinfo=now.tzinfo)
        for threshold, ahead in LAPSE_THRESHOLDS:
            already = session.get(LapseWarning, (record_id, expires_on, threshold)) is not None
            if already or now < lapse - ahead:
                continue
            session.add(
                LapseWarning(record_id=record_id, expires_on=expires_on, threshold=threshold, sent_at=now)
            )
            data = {"expires_on": expires_on.isoformat(), "threshold": threshold}
            emit(
                session,
                [owner_id],
                EventType.FREEZE_LAPSING,
                now=now,
                data=data,
                record_id=record_id,
                scope=LEADS.read_scope.value,
            )
            sent += 1
    session.flush()
    return sent
