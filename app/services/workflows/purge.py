"""Purging a record: its data key is destroyed (crypto-shredding) and every copy of its content goes
with it: the body and rules, every revision, contributions, the sealed texts of notices and requests,
its blind-index rows and links, and any stored idempotent answer that returned it. What stays is the
metadata an audit needs: id, kind, owner, dates, who received it, who asked what when."""

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.models import AccessRequest, Contribution, Record, RecordRevision, RetentionExtension, ShareRequest
from app.services import idempotency
from app.services.events.outbox import emit_purge
from app.services.matching.indexing import unindex
from app.services.records import notices
from app.services.records.consents import ACCESS_REQUESTS, SHARE_REQUESTS
from app.services.records.kinds import KindSpec
from app.services.records.links import unlink_all
from app.services.records.store import Actor, get_owned
from app.services.workflows.engine import forget_notes

PURGED = "purged"


def purge_record(session: Session, kind: KindSpec, actor: Actor, record_id: str, *, now: datetime) -> Record:
    record = get_owned(session, kind, actor.agency_id, record_id, lock=True)
    record.data_key = None
    record.body = {}
    record.rules = {}
    record.withdrawal_reason = None
    record.category = record.country = None
    record.urgency_rank = None
    record.occurred_at = None
    record.status = PURGED
    record.purged_at = record.updated_at = now
    record.version += 1
    session.execute(delete(RecordRevision).where(RecordRevision.record_id == record.id))
    session.execute(delete(Contribution).where(Contribution.record_id == record.id))
    # Who kept it longer, and when, stays; why (sealed under the destroyed key) goes.
    session.execute(
        update(RetentionExtension).where(RetentionExtension.record_id == record.id).values(reason=None)
    )
    for workflow, model in ((SHARE_REQUESTS, ShareRequest), (ACCESS_REQUESTS, AccessRequest)):
        item_ids = list(session.scalars(select(model.id).where(model.record_id == record.id)))
        forget_notes(session, workflow, item_ids)
    notices.forget_messages(session, record.id)
    unindex(session, record.id)
    unlink_all(session, record.id)
    idempotency.forget_resource(session, record.id)
    emit_purge(session, record, now=now)
    session.flush()
    return record
