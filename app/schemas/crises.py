"""Crisis rooms on the wire."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from app.schemas.common import InputModel, Slug
from app.schemas.records import Currency, RecordId


class CrisisOutcome(StrEnum):
    RELEASED = "released"
    RESCUED = "rescued"
    ESCAPED = "escaped"
    DECEASED = "deceased"
    UNRESOLVED = "unresolved"


class EntryKind(StrEnum):
    PROOF_OF_LIFE = "proof_of_life"
    KIDNAPPER_CONTACT = "kidnapper_contact"
    RANSOM_DEMAND = "ransom_demand"
    RANSOM_CHANGE = "ransom_change"
    SIGHTING = "sighting"
    DECISION = "decision"
    NOTE = "note"


Members = Annotated[list[Slug], Field(max_length=50)]


class CrisisCreate(InputModel):
    alert: RecordId = Field(description="An active alert of yours")
    members: Members = Field(default_factory=list, description="Agencies invited into the room")


class CrisisInvite(InputModel):
    members: Annotated[list[Slug], Field(min_length=1, max_length=50)]


class EntryCreate(InputModel):
    kind: EntryKind
    text: Annotated[str, StringConstraints(min_length=1, max_length=8000)]


class Concessions(InputModel):
    """What was conceded to the kidnappers: recorded because states undertake to deny them substantive
    concessions, and trends count them."""

    ransom_paid: bool
    amount: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)] | None = None
    currency: Currency | None = None
    other: Annotated[str, StringConstraints(max_length=2000)] | None = None

    @model_validator(mode="after")
    def _amount_with_currency(self) -> "Concessions":
        if (self.amount is None) != (self.currency is None):
            raise ValueError("amount and currency go together")
        if self.amount and not self.ransom_paid:
            raise ValueError("an amount is paid only with ransom_paid")
        return self


class CrisisClose(InputModel):
    outcome: CrisisOutcome
    concessions: Concessions


class EntryRead(BaseModel):
    id: str
    kind: EntryKind
    author: str
    actor: str
    text: str
    at: datetime


class CrisisRead(BaseModel):
    id: str
    alert: str
    owner: str
    members: list[str]
    status: Literal["open", "closed"]
    outcome: CrisisOutcome | None
    concessions: dict[str, Any] | None
    opened_at: datetime
    closed_at: datetime | None
    entries: list[EntryRead] = Field(default_factory=list, description="The timeline, oldest first")


class CrisisList(BaseModel):
    items: list[CrisisRead]
