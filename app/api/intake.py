"""/v1/leads/{id}/intake: a private partner's submission, as its FIU handles it."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from app.api.deps import DbSession, Now, require
from app.schemas.common import InputModel, Scope
from app.schemas.records import RecordId
from app.services.identity.authentication import Caller
from app.services.records.intake import IntakeStatus, intake_of, set_intake

router = APIRouter(prefix="/v1/leads", tags=["leads"])
Reader = Annotated[Caller, Depends(require(Scope.LEADS_READ))]
Writer = Annotated[Caller, Depends(require(Scope.LEADS_WRITE))]


class IntakeRead(BaseModel):
    record_id: str
    fiu: str
    status: IntakeStatus
    updated_at: datetime


class IntakeUpdate(InputModel):
    status: IntakeStatus


@router.get(
    "/{record_id}/intake", response_model=IntakeRead, summary="A private partner's submission: its status"
)
def read(record_id: RecordId, caller: Reader, session: DbSession) -> IntakeRead:
    intake = intake_of(session, caller.agency_id, record_id)
    return IntakeRead(
        record_id=intake.record_id,
        fiu=intake.fiu_id,
        status=IntakeStatus(intake.status),
        updated_at=intake.updated_at,
    )


@router.post("/{record_id}/intake", response_model=IntakeRead, summary="The FIU: set a submission's status")
def update(
    record_id: RecordId, body: IntakeUpdate, caller: Writer, session: DbSession, now: Now
) -> IntakeRead:
    intake = set_intake(session, caller.agency_id, record_id, body.status, now)
    return IntakeRead(
        record_id=intake.record_id,
        fiu=intake.fiu_id,
        status=IntakeStatus(intake.status),
        updated_at=intake.updated_at,
    )
