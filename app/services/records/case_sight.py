"""Who sees a record because its owner shared it into a joint case: the accepted participants (and the
owner) of each open case it is shared in, while they remain so. Kept as grants (like crisis rooms), so the
one visibility predicate needs no new branch; recomputed for a record whenever anything that decides it
changes (a consent given or withdrawn, a participant joining or leaving, a case closing)."""

from collections.abc import Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.models import CaseParticipant, CaseRecord, JointCase, Record, RecordGrant
from app.services.records.visibility import CASE_GRANT

OPEN = "open"
ACCEPTED = "accepted"


def refresh_case_grants(session: Session, record_ids: Iterable[str]) -> None:
    ids = sorted(set(record_ids))
    if not ids:
        return
    session.flush()
    session.execute(
        delete(RecordGrant).where(RecordGrant.record_id.in_(ids), RecordGrant.grantee_type == CASE_GRANT)
    )
    shared = (
        select(CaseRecord.record_id, CaseRecord.case_id, Record.owner_id)
        .join(JointCase, JointCase.id == CaseRecord.case_id)
        .join(Record, Record.id == CaseRecord.record_id)
        .where(CaseRecord.record_id.in_(ids), CaseRecord.shared.is_(True), JointCase.status == OPEN)
    )
    rows = session.execute(shared).all()
    case_ids = {case_id for _record, case_id, _owner in rows}
    readers: dict[str, set[str]] = {case_id: set() for case_id in case_ids}
    if case_ids:
        for case_id, owner_id in session.execute(
            select(JointCase.id, JointCase.owner_id).where(JointCase.id.in_(case_ids))
        ):
            readers[case_id].add(owner_id)
        for case_id, agency_id in session.execute(
            select(CaseParticipant.case_id, CaseParticipant.agency_id).where(
                CaseParticipant.case_id.in_(case_ids), CaseParticipant.status == ACCEPTED
            )
        ):
            readers[case_id].add(agency_id)
    grants = {
        (record_id, agency_id)
        for record_id, case_id, owner_id in rows
        for agency_id in readers[case_id]
        if agency_id != owner_id
    }
    session.add_all(
        RecordGrant(record_id=record_id, grantee_type=CASE_GRANT, grantee_id=agency_id)
        for record_id, agency_id in sorted(grants)
    )
    session.flush()


def shared_records_of(session: Session, case_id: str) -> list[str]:
    query = select(CaseRecord.record_id).where(CaseRecord.case_id == case_id, CaseRecord.shared.is_(True))
    return list(session.scalars(query))


def withdraw_case_consents(session: Session, record_id: str) -> None:
    """The record became its owner's alone: every case consent on it lapses (recorded as withdrawn)."""
    session.execute(
        update(CaseRecord)
        .where(CaseRecord.record_id == record_id, CaseRecord.shared.is_(True))
        .values(shared=False, consented_by=None, consented_at=None)
    )
    refresh_case_grants(session, [record_id])
