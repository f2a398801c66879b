"""Kidnapping alerts: shared while a victim may still be held."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, computed_field

from app.schemas.alert_categories import AlertCategory
from app.schemas.classification import ClassificationRead, classification_read
from app.schemas.common import CountryCode, InputModel, PageInfo, ShortText, Slug
from app.schemas.records import (
    Currency,
    FreeText,
    LinkList,
    PastMoment,
    RecordEnvelope,
    SharingRules,
    SharingRulesUpdate,
)


class AlertStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    RESCUED = "rescued"
    ESCAPED = "escaped"
    DECEASED = "deceased"
    UNRESOLVED = "unresolved"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Urgency(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


# Higher is more urgent, so "most urgent, then newest" is one descending order an index serves as is.
URGENCY_RANK = {Urgency.CRITICAL: 3, Urgency.HIGH: 2, Urgency.MEDIUM: 1, Urgency.LOW: 0}


class RansomChannel(StrEnum):
    CASH = "cash"
    BANK_TRANSFER = "bank_transfer"
    CRYPTO = "crypto"
    MONEY_TRANSFER = "money_transfer"
    HAWALA = "hawala"
    OTHER = "other"


NationalCode = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, strip_whitespace=True),
    Field(description="The owner's own offence code under its national law (e.g. a penal code article)"),
]


class Coordinates(InputModel):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


class Place(InputModel):
    country: CountryCode
    region: ShortText | None = None
    locality: ShortText | None = None
    coordinates: Coordinates | None = None


class Victim(InputModel):
    """Minimal on purpose: only what partners need to recognise the victim."""

    name: ShortText | None = None
    sex: Literal["female", "male", "other", "unknown"] = "unknown"
    age: Annotated[int, Field(ge=0, le=120)] | None = None
    nationality: CountryCode | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None


class Ransom(InputModel):
    amount: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
    currency: Currency
    channel: RansomChannel


class AlertCreate(InputModel):
    category: AlertCategory
    status: Literal[AlertStatus.ACTIVE, AlertStatus.UNRESOLVED] = AlertStatus.ACTIVE
    urgency: Urgency
    occurred_at: PastMoment
    place: Place
    victim: Victim | None = None
    victim_recipients: Annotated[list[Slug], Field(max_length=100)] = Field(
        default_factory=list,
        description="Agencies (besides the owner) allowed the victim block, with victims:read",
    )
    ransom: Ransom | None = None
    modus_operandi: FreeText = ""
    national_offence_code: NationalCode | None = None
    links: LinkList = Field(default_factory=list)
    rules: SharingRules


class AlertUpdate(InputModel):
    category: AlertCategory | None = None
    status: AlertStatus | None = None
    urgency: Urgency | None = None
    occurred_at: PastMoment | None = None
    place: Place | None = None
    victim: Victim | None = None
    victim_recipients: Annotated[list[Slug], Field(max_length=100)] | None = None
    ransom: Ransom | None = None
    modus_operandi: FreeText | None = None
    national_offence_code: NationalCode | None = None
    links: LinkList | None = None
    rules: SharingRulesUpdate | None = None


class AlertRead(RecordEnvelope):
    category: AlertCategory
    status: AlertStatus
    urgency: Urgency
    occurred_at: datetime
    place: dict[str, Any]
    victim: dict[str, Any] | None
    victim_withheld: bool = Field(description="True when there is a victim block the caller may not read")
    victim_recipients: list[str] | None = Field(description="Shown to the owner only")
    ransom: dict[str, Any] | None
    modus_operandi: str
    national_offence_code: str | None = None

    @computed_field(description="The category's class in UNODC's ICCS, so counts mean the same everywhere")
    def classification(self) -> ClassificationRead:
        return classification_read(self.category)


class AlertPage(BaseModel):
    items: list[AlertRead]
    page: PageInfo
