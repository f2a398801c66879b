"""Retention on the wire: an owner's extension of a record's review date, and the record's retention."""

from datetime import date, datetime

from pydantic import BaseModel, Field

from app.schemas.common import InputModel
from app.schemas.records import FutureDate


class RetentionExtend(InputModel):
    review_by: FutureDate = Field(
        description="The new review date: later than the current one, within the kind's cap"
    )
    reason: str = Field(
        min_length=10, max_length=1000, description="Why the record must be kept longer (recorded)"
    )


class RetentionExtension(BaseModel):
    previous: date
    review_by: date
    reason: str | None = Field(description="Null once the record is purged")
    agency: str
    actor: str
    at: datetime


class RetentionRead(BaseModel):
    record_id: str
    review_by: date
    hidden_at: datetime | None = Field(description="When it disappeared from every other agency's view")
    extensions: list[RetentionExtension]
