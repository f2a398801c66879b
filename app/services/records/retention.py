"""Retention, enforced: each record has a review-by date (by kind by default, set by its owner). Its owner
is warned in its feed 30 and 7 days ahead. Past the date and the grace period the record disappears from
every other agency's view (lists, reads, matches, events, links); past a further period it is purged
(crypto-shredded, every copy removed), leaving its audit metadata. An owner may keep it longer only with
a recorded reason, up to the kind's cap.

`run` is idempotent (each step records what it did on the record) and runs in the scheduler, or by hand
with `kix admin retention run [--dry-run]`.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import Database
from app.errors import ValidationFailed
from app.ids import uuid7
from app.models import Record, RetentionExtension
from app.schemas.events import EventType
from app.services.events.outbox import emit
from app.services.records.kinds import KindSpec, spec_of
from app.services.records.rules import check_review_by
from app.services.records.store import Actor, get_owned
from app.services.vault import Vault, secrets_for

WARNINGS = (30, 7)  # days ahead of the review date
RETENTION_ACTOR = "kix-retention"


def extend(
    session: Session,
    kind: KindSpec,
    actor: Actor,
    record_id: str,
    review_by: date,
    reason: str,
    vault: Vault,
    *,
    now: datetime,
) -> RetentionExtension:
    """The owner keeps the record until `review_by`, for `reason` (recorded, sealed); a hidden record
    is shown again to its audience."""
    record = get_owned(session, kind, actor.agency_id, record_id, lock=True)
    if review_by <= record.review_by:
        raise ValidationFailed(
            f"review_by: an extension goes past the current {record.review_by.isoformat()}"
        )
    check_review_by(kind, record.created_at, review_by)
    extension = RetentionExtension(
        id=uuid7(),
        record_id=record.id,
        previous=record.review_by,
        review_by=review_by,
        agency_id=actor.agency_id,
        actor=actor.name,
        at=now,
    )
    secrets = secrets_for(vault, record.id, record.data_key)
    extension.reason = secrets.seal_text(
        reason, table="retention_extensions", row=extension.id, field="reason"
    )
    session.add(extension)
    record.review_by = review_by
    record.rules = dict(record.rules, review_by=review_by.isoformat())
    record.retention_hidden_at = None
    record.retention_warned = None
    session.flush()
    return extension


def extensions(session: Session, record: Record, vault: Vault) -> list[dict[str, Any]]:
    secrets = secrets_for(vault, record.id, record.data_key)
    rows = session.scalars(
        select(RetentionExtension)
        .where(RetentionExtension.record_id == record.id)
        .order_by(RetentionExtension.at)
    )
    return [
        {
            "previous": row.previous,
            "review_by": row.review_by,
            "reason": secrets.open_text(row.reason, table="retention_extensions", row=row.id, field="reason")
            if row.reason
            else None,
            "agency": row.agency_id,
            "actor": row.actor,
            "at": row.at,
        }
        for row in rows
    ]


@dataclass
class Report:
    warned: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)

    @property
    def actions(self) -> int:
        return len(self.warned) + len(self.hidden) + len(self.purged)


def _warn(session: Session, report: Report, today: date, now: datetime) -> None:
    for days in sorted(WARNINGS):  # the nearer first: a record due for both gets only that one
        due = select(Record).where(
            Record.purged_at.is_(None),
            Record.retention_hidden_at.is_(None),
            Record.review_by <= today + timedelta(days=days),
            (Record.retention_warned.is_(None)) | (Record.retention_warned > days),
        )
        for record in session.scalars(due):
            data = {
                "what": "review_by",
                "kind": record.kind,
                "review_by": record.review_by.isoformat(),
                "days_left": (record.review_by - today).days,
            }
            scope = spec_of(record.kind).read_scope.value
            emit(
                session,
                [record.owner_id],
                EventType.DEADLINE_WARNING,
                now=now,
                data=data,
                record_id=record.id,
                scope=scope,
            )
            record.retention_warned = days
            report.warned.append(record.id)


def run(session: Session, settings: Settings, now: datetime) -> Report:
    """Warn, hide and purge what is due, in this transaction."""
    from app.services.workflows.purge import purge_record  # purge imports the record services too

    report = Report()
    today = now.date()
    _warn(session, report, today, now)
    hide_before = today - timedelta(days=settings.retention_grace_days)
    for record in session.scalars(
        select(Record).where(
            Record.purged_at.is_(None), Record.retention_hidden_at.is_(None), Record.review_by < hide_before
        )
    ):
        record.retention_hidden_at = now
        report.hidden.append(record.id)
    purge_before = hide_before - timedelta(days=settings.retention_purge_after_days)
    due = session.execute(
        select(Record.id, Record.kind, Record.owner_id).where(
            Record.purged_at.is_(None), Record.review_by < purge_before
        )
    ).all()
    for record_id, kind, owner_id in due:
        purge_record(session, spec_of(kind), Actor(owner_id, RETENTION_ACTOR), record_id, now=now)
        report.purged.append(record_id)
    session.flush()
    return report


def run_job(db: Database, settings: Settings, now: datetime, *, dry_run: bool = False) -> Report:
    """`run` in a transaction of its own; with `dry_run`, what it would do, then rolled back."""
    if not dry_run:
        with db.transaction() as session:
            return run(session, settings, now)
    with db.write_sessions() as session:
        try:
            return run(session, settings, now)
        finally:
            session.rollback()
