"""A private partner's leads, as its FIU takes them in: received, under analysis, closed. The partner
reads the status of its own submissions; the FIU sets it."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from app.errors import Forbidden, NotFound
from app.models import LeadIntake
from app.schemas.events import EventType
from app.services.events.outbox import emit
from app.services.records.kinds import LEADS
from app.services.records.store import get_visible


class IntakeStatus(StrEnum):
    RECEIVED = "received"
    UNDER_ANALYSIS = "under_analysis"
    CLOSED = "closed"


def intake_of(session: Session, agency_id: str, record_id: str) -> LeadIntake:
    """The intake of a partner's lead, for the partner or its FIU (404 for anyone else, or a lead no
    partner submitted)."""
    record = get_visible(session, LEADS, agency_id, record_id)
    intake = session.get(LeadIntake, record.id)
    if intake is None or agency_id not in (record.owner_id, intake.fiu_id):
        raise NotFound(f"no submission {record_id}")
    return intake


def set_intake(
    session: Session, agency_id: str, record_id: str, status: IntakeStatus, now: datetime
) -> LeadIntake:
    intake = intake_of(session, agency_id, record_id)
    if agency_id != intake.fiu_id:
        raise Forbidden("the FIU the lead was submitted to sets its status")
    intake.status = status.value
    intake.updated_at = now
    owner = get_visible(session, LEADS, agency_id, record_id).owner_id
    data = {"status": status.value, "fiu": intake.fiu_id}
    scope = LEADS.read_scope.value
    emit(
        session, [owner], EventType.LEAD_INTAKE_CHANGED, now=now, data=data, record_id=record_id, scope=scope
    )
    session.flush()
    return intake
