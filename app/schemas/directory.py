"""The directory of competent authorities, and victim and family assistance services."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, EmailStr, Field, StringConstraints

from app.schemas.agencies import AgencyKind, Phone
from app.schemas.common import CountryCode, InputModel, ShortText
from app.schemas.cooperation import RequestKind

Language = Annotated[
    str, StringConstraints(pattern=r"^[a-z]{2}$"), Field(description="ISO 639-1", examples=["fr"])
]
Languages = Annotated[list[Language], Field(max_length=30)]


class CentralAuthorityFor(StrEnum):
    MUTUAL_LEGAL_ASSISTANCE = "mutual_legal_assistance"
    EXTRADITION = "extradition"


class DirectoryContact(InputModel):
    """The 24/7 contact point for requests."""

    phone: Phone
    secure_email: EmailStr
    hours: ShortText = Field(description='e.g. "24/7" or "Mon-Fri 08:00-18:00 CET, on call otherwise"')
    languages: Languages = Field(default_factory=list)


class DirectoryEntryUpdate(InputModel):
    accepts: Annotated[list[RequestKind], Field(max_length=len(RequestKind))]
    languages: Languages
    legal_bases: Annotated[list[ShortText], Field(max_length=50)] = Field(
        default_factory=list, description="Conventions and treaties the agency acts under"
    )
    central_authority_for: Annotated[list[CentralAuthorityFor], Field(max_length=2)] = Field(
        default_factory=list
    )
    contact: DirectoryContact
    notes: Annotated[str, StringConstraints(max_length=2000)] = ""


class DirectoryEntryRead(BaseModel):
    agency: str
    name: str
    country: str
    kind: AgencyKind
    accepts: list[RequestKind] = Field(description="Empty when the agency has not published its entry")
    languages: list[str]
    legal_bases: list[str]
    central_authority_for: list[CentralAuthorityFor]
    contact: dict[str, object] | None
    notes: str
    updated_at: datetime | None


class DirectoryList(BaseModel):
    items: list[DirectoryEntryRead]


class ServiceKind(StrEnum):
    PSYCHOLOGICAL = "psychological"
    LEGAL = "legal"
    FINANCIAL = "financial"
    REPATRIATION = "repatriation"
    FAMILY_LIAISON = "family_liaison"


class ServiceContact(InputModel):
    phone: Phone
    email: EmailStr | None = None
    address: Annotated[str, StringConstraints(max_length=300)] | None = None
    hours: ShortText | None = None


class VictimServiceCreate(InputModel):
    country: CountryCode
    name: ShortText
    kinds: Annotated[list[ServiceKind], Field(min_length=1, max_length=len(ServiceKind))]
    contact: ServiceContact
    languages: Languages


class VictimServiceRead(BaseModel):
    id: str
    country: str
    name: str
    kinds: list[ServiceKind]
    contact: dict[str, object]
    languages: list[str]
    updated_at: datetime


class VictimServiceList(BaseModel):
    items: list[VictimServiceRead]
