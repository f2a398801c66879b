"""The records of a joint case: linked in by any reader of the case who sees them, shared with the case's
participants only by their owner's recorded consent (case_sight.py keeps those grants), unlinked by who
linked them, their owner or the case's owner; and typed links between them, with the linker's
confidence."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, load_only

from app.errors import Forbidden, NotFound
from app.models import CaseRecord, Record, RecordLink
from app.schemas.records import Confidence, LinkType
from app.services.analysis.cases import announce, open_for_change
from app.services.audit.context import note_records
from app.services.records.case_sight import refresh_case_grants
from app.services.records.links import add_link
from app.services.records.store import Actor
from app.services.records.visibility import visible_to


def _visible_record(session: Session, agency_id: str, record_id: str) -> Record:
    record = session.scalars(select(Record).where(Record.id == record_id, visible_to(agency_id))).first()
    if record is None:
        raise NotFound(f"no record {record_id}")
    return record


def add_record(
    session: Session, actor: Actor, case_id: str, record_id: str, *, share: bool, now: datetime
) -> CaseRecord:
    """Link a record the caller sees into the case; with `share`, its owner also consents that the
    participants see it."""
    case = open_for_change(session, case_id, actor.agency_id)
    record = _visible_record(session, actor.agency_id, record_id)
    if share and record.owner_id != actor.agency_id:
        raise Forbidden("only the record's owner consents to share it with the case's participants")
    linked = session.get(CaseRecord, (case.id, record.id))
    if linked is None:
        linked = CaseRecord(
            case_id=case.id, record_id=record.id, added_by=actor.agency_id, actor=actor.name, added_at=now
        )
        session.add(linked)
    if share:
        _consent(linked, actor, now)
    session.flush()
    refresh_case_grants(session, [record.id])
    case.updated_at = now
    announce(session, case, "record_added", now, record_id=record.id, shared=linked.shared)
    return linked


def _consent(linked: CaseRecord, actor: Actor, now: datetime) -> None:
    if not linked.shared:
        linked.shared, linked.consented_by, linked.consented_at = True, actor.name, now


def set_consent(
    session: Session, actor: Actor, case_id: str, record_id: str, *, share: bool, now: datetime
) -> CaseRecord:
    """The record's owner consents that the case's participants see it, or withdraws that consent."""
    case = open_for_change(session, case_id, actor.agency_id)
    linked = _linked_visible(session, case.id, actor.agency_id, record_id)
    if session.scalar(select(Record.owner_id).where(Record.id == record_id)) != actor.agency_id:
        raise Forbidden("only the record's owner consents to share it with the case's participants")
    if share:
        _consent(linked, actor, now)
    else:
        linked.shared, linked.consented_by, linked.consented_at = False, None, None
    refresh_case_grants(session, [record_id])
    case.updated_at = now
    announce(session, case, "shared" if share else "unshared", now, record_id=record_id)
    return linked


def _linked_visible(session: Session, case_id: str, agency_id: str, record_id: str) -> CaseRecord:
    linked = session.get(CaseRecord, (case_id, record_id))
    if linked is None:
        raise NotFound(f"no record {record_id} in this case")
    _visible_record(session, agency_id, record_id)
    return linked


def remove_record(session: Session, actor: Actor, case_id: str, record_id: str, *, now: datetime) -> None:
    """Unlinked by the agency that linked it, the record's owner, or the case's owner."""
    case = open_for_change(session, case_id, actor.agency_id)
    linked = _linked_visible(session, case.id, actor.agency_id, record_id)
    owner = session.scalar(select(Record.owner_id).where(Record.id == record_id))
    if actor.agency_id not in (linked.added_by, owner, case.owner_id):
        raise Forbidden("only who linked the record, its owner or the case's owner unlinks it")
    session.delete(linked)
    refresh_case_grants(session, [record_id])
    case.updated_at = now
    announce(session, case, "record_removed", now, record_id=record_id)


def visible_case_records(session: Session, agency_id: str, case_id: str) -> list[tuple[CaseRecord, Record]]:
    """The case's records the agency sees now, oldest link first (noted in the request's audit entry)."""
    query = (
        select(CaseRecord, Record)
        .join(Record, Record.id == CaseRecord.record_id)
        .where(CaseRecord.case_id == case_id, visible_to(agency_id))
        .order_by(CaseRecord.added_at, CaseRecord.record_id)
        # Columns only: a case lists hundreds of records, and none of their bodies is needed here.
        .options(defer(Record.body, raiseload=True), defer(Record.rules, raiseload=True))
    )
    found = [(linked, record) for linked, record in session.execute(query).all()]
    note_records(record.id for _linked, record in found)
    return found


# What a graph node needs of a record: its columns, never its body.
_NODE_COLUMNS = (
    Record.id,
    Record.kind,
    Record.owner_id,
    Record.status,
    Record.category,
    Record.country,
    Record.occurred_at,
    Record.data_key,
)


def visible_records_of_case(session: Session, agency_id: str, case_id: str) -> list[Record]:
    """The case's records the agency sees, oldest link first, with their columns only (for the graph)."""
    query = (
        select(Record)
        .join(CaseRecord, CaseRecord.record_id == Record.id)
        .where(CaseRecord.case_id == case_id, visible_to(agency_id))
        .order_by(CaseRecord.added_at, CaseRecord.record_id)
        .options(load_only(*_NODE_COLUMNS, raiseload=True))
    )
    found = list(session.scalars(query))
    note_records(record.id for record in found)
    return found


def link_records(
    session: Session,
    actor: Actor,
    case_id: str,
    source_id: str,
    target_id: str,
    link_type: LinkType,
    confidence: Confidence,
    *,
    now: datetime,
) -> RecordLink:
    """A typed link between two records of the case, both seen by its author."""
    case = open_for_change(session, case_id, actor.agency_id)
    for record_id in (source_id, target_id):
        _linked_visible(session, case.id, actor.agency_id, record_id)
    source = _visible_record(session, actor.agency_id, source_id)
    link = add_link(
        session,
        actor.link_author,
        source,
        target_id,
        link_type,
        now=now,
        confidence=confidence.value,
        case_id=case.id,
    )
    case.updated_at = now
    announce(session, case, "linked", now, link_id=link.id)
    return link
