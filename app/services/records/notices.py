"""Withdrawal and correction notices reach every agency that saw a record; each acknowledges receipt,
and the owner sees who has and who has not."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CTE, ColumnElement, Connection, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.ids import uuid7
from app.models import Notice, NoticeReceipt, Record, RecordView
from app.schemas.events import EventType
from app.services.events.outbox import emit
from app.services.records.kinds import spec_of
from app.services.sql_lists import among, listed_texts
from app.services.vault import RecordSecrets, Vault, secrets_for

PURGED_TEXT = "[purged: the record's data key is destroyed]"


# Which records an agency has seen (record_views): those disclosed to it in a record view that it does not
# own. They are noted with the request's audit entry (audit.log.append_on), which is what records that they
# were disclosed: on PostgreSQL in the entry's own statement, so a read of another agency's record pays no
# round trip for it; the entry commits durably before the answer leaves, so the views are noted by then.


def note_seen_on(connection: Connection, agency_id: str, record_ids: Sequence[str], at: datetime) -> None:
    """Note the views in the connection's transaction (SQLite): read first, as most views are repeats,
    so a list usually writes nothing but its entry."""
    seen = set(connection.scalars(_SEEN, {"agency_id": agency_id, "record_ids": list(record_ids)}))
    rows = [
        {"record_id": record_id, "agency_id": agency_id, "first_seen_at": at}
        for record_id in record_ids
        if record_id not in seen
    ]
    if rows:
        connection.execute(_NOTE, rows)


def noting_unseen(agency_id: ColumnElement[str], at: ColumnElement[datetime]) -> CTE:
    """A CTE (PostgreSQL) inserting a view by `agency_id` at `at` of each record in the list parameter
    `seen` (sql_lists.listed_texts) it has not seen before: a data-modifying CTE runs whether or not the
    statement reads it."""
    listed = listed_texts("seen").table_valued("record_id").render_derived("listed")
    already = (
        select(RecordView.record_id)
        .where(RecordView.record_id == listed.c.record_id, RecordView.agency_id == agency_id)
        .exists()
    )
    insert = postgresql_insert(RecordView).from_select(
        ["record_id", "agency_id", "first_seen_at"], select(listed.c.record_id, agency_id, at).where(~already)
    )
    return insert.on_conflict_do_nothing().cte("noted")  # on conflict: another request noted it first


# Built once: every read of another agency's records runs them.
_SEEN = select(RecordView.record_id).where(
    RecordView.agency_id == bindparam("agency_id"), among(False, RecordView.record_id, "record_ids")
)
_NOTE = sqlite_insert(RecordView).on_conflict_do_nothing()


def notify_recipients(
    session: Session, record: Record, kind: str, message: str, secrets: RecordSecrets, *, now: datetime
) -> Notice | None:
    recipients = session.scalars(select(RecordView.agency_id).where(RecordView.record_id == record.id)).all()
    if not recipients:
        return None
    notice_id = uuid7()
    sealed = secrets.seal_text(message[:1000], table="notices", row=notice_id, field="message")
    notice = Notice(
        id=notice_id, record_id=record.id, kind=kind, version=record.version, message=sealed, created_at=now
    )
    session.add(notice)
    session.flush()
    session.add_all(NoticeReceipt(notice_id=notice.id, agency_id=agency) for agency in sorted(recipients))
    data = {"notice_id": notice.id, "kind": kind, "version": record.version}
    scope = spec_of(record.kind).read_scope.value
    emit(session, recipients, EventType.NOTICE_ISSUED, now=now, data=data, record_id=record.id, scope=scope)
    return notice


@dataclass(frozen=True)
class PendingNotice:
    notice: Notice
    record_kind: str
    acknowledged_at: datetime | None


def notices_for(session: Session, agency_id: str, kind: str, *, pending_only: bool) -> list[PendingNotice]:
    query = (
        select(Notice, NoticeReceipt.acknowledged_at, Record.kind)
        .join(NoticeReceipt, NoticeReceipt.notice_id == Notice.id)
        .join(Record, Record.id == Notice.record_id)
        .where(NoticeReceipt.agency_id == agency_id, Record.kind == kind)
        .order_by(Notice.created_at, Notice.id)
    )
    if pending_only:
        query = query.where(NoticeReceipt.acknowledged_at.is_(None))
    return [
        PendingNotice(notice, record_kind, acked) for notice, acked, record_kind in session.execute(query)
    ]


def acknowledge(
    session: Session, agency_id: str, kind: str, notice_id: str, actor: str, *, now: datetime
) -> NoticeReceipt:
    receipt = session.scalars(
        select(NoticeReceipt)
        .join(Notice, Notice.id == NoticeReceipt.notice_id)
        .join(Record, Record.id == Notice.record_id)
        .where(
            NoticeReceipt.notice_id == notice_id, NoticeReceipt.agency_id == agency_id, Record.kind == kind
        )
    ).first()
    if receipt is None:
        raise NotFound(f"no notice {notice_id} addressed to you")
    if receipt.acknowledged_at is None:
        receipt.acknowledged_at = now
        receipt.acknowledged_by = actor
        notice = session.get(Notice, notice_id)
        record = session.get(Record, notice.record_id) if notice else None
        if record is not None:
            data = {"notice_id": notice_id, "agency": agency_id, "acknowledged_at": now.isoformat()}
            scope = spec_of(record.kind).read_scope.value
            emit(
                session,
                [record.owner_id],
                EventType.NOTICE_ACKNOWLEDGED,
                now=now,
                data=data,
                record_id=record.id,
                scope=scope,
            )
        session.flush()
    return receipt


def receipts_of(session: Session, record_id: str) -> list[tuple[Notice, list[NoticeReceipt]]]:
    """The owner's view: every notice of the record with each recipient's receipt."""
    notices = session.scalars(
        select(Notice).where(Notice.record_id == record_id).order_by(Notice.created_at)
    ).all()
    receipts = session.scalars(
        select(NoticeReceipt)
        .where(NoticeReceipt.notice_id.in_([notice.id for notice in notices]))
        .order_by(NoticeReceipt.agency_id)
    ).all()
    return [(notice, [r for r in receipts if r.notice_id == notice.id]) for notice in notices]


def notice_message(session: Session, notice: Notice, vault: Vault) -> str:
    record = session.get(Record, notice.record_id)
    if notice.message is None or record is None or record.data_key is None:
        return PURGED_TEXT
    secrets = secrets_for(vault, record.id, record.data_key)
    return secrets.open_text(notice.message, table="notices", row=notice.id, field="message")


def forget_messages(session: Session, record_id: str) -> None:
    """Drop the sealed texts of a purged record's notices; who was told what kind of notice, and who
    acknowledged it when, stays."""
    session.execute(update(Notice).where(Notice.record_id == record_id).values(message=None))


def get_notice(session: Session, notice_id: str) -> Notice:
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(f"no notice {notice_id}")
    return notice
