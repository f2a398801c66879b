"""Joint cases and their link graph on the wire."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.schemas.common import InputModel, PageInfo, Slug
from app.schemas.records import Confidence, FreeText, LinkType, RecordId, RecordKind


class ParticipantStatus(StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    LEFT = "left"
    REMOVED = "removed"


class ReferenceKind(StrEnum):
    REQUEST = "request"  # a cooperation request
    CRISIS = "crisis"  # a crisis room


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


Agencies = Annotated[list[Slug], Field(max_length=50)]


class CaseCreate(InputModel):
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    summary: FreeText = ""
    invite: Agencies = Field(default_factory=list, description="Agencies invited to take part")


class CaseInvite(InputModel):
    agencies: Annotated[list[Slug], Field(min_length=1, max_length=50)]


class CaseRecordAdd(InputModel):
    record: RecordId = Field(description="A record you may see (alert, suspect or lead)")
    share_with_participants: bool = Field(
        default=False,
        description="The record's owner only: consent (recorded) that the case's participants see it. "
        "Without it, linking never widens who sees the record.",
    )


class CaseLinkCreate(InputModel):
    source: RecordId
    target: RecordId
    type: LinkType
    confidence: Confidence


class CaseReferenceAdd(InputModel):
    kind: ReferenceKind
    id: RecordId = Field(description="A request you are a party to, or a crisis room you are in")


class CaseReferenceRead(BaseModel):
    kind: ReferenceKind
    id: str
    label: str
    owner: str = Field(description="The request's requester, or the room's owner")
    status: str
    concerns: list[str] = Field(description="The records it names")
    added_by: str
    added_at: datetime


class ParticipantRead(BaseModel):
    agency: str
    status: ParticipantStatus
    invited_by: str
    invited_at: datetime
    answered_at: datetime | None


class ParticipationRead(BaseModel):
    case: str
    agency: str
    status: ParticipantStatus


class CaseRecordRemoved(BaseModel):
    record: str
    removed: Literal[True] = True


class CaseReferenceRemoved(BaseModel):
    kind: ReferenceKind
    id: str
    removed: Literal[True] = True


class CaseRecordRead(BaseModel):
    record: str
    kind: RecordKind
    owner: str
    added_by: str
    added_at: datetime
    shared: bool = Field(description="Its owner consented that the participants see it")
    consented_by: str | None
    consented_at: datetime | None


class CaseRead(BaseModel):
    id: str
    owner: str
    status: CaseStatus
    title: str
    summary: str
    your_role: Literal["owner", "participant", "invited"]
    participants: list[ParticipantRead]
    records: list[CaseRecordRead] = Field(
        description="The linked records you may see (none while you are only invited)"
    )
    references: list[CaseReferenceRead] = Field(
        description="Linked requests and crisis rooms you are a party to or a member of"
    )
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class CaseSummary(BaseModel):
    id: str
    owner: str
    status: CaseStatus
    title: str
    your_role: Literal["owner", "participant", "invited"]
    created_at: datetime


class CasePage(BaseModel):
    items: list[CaseSummary]
    page: PageInfo


class GraphNode(BaseModel):
    id: str
    kind: RecordKind | ReferenceKind
    label: str = Field(description="A short label from your view of the record")
    owner: str
    status: str
    category: str | None
    country: str | None


class GraphEdge(BaseModel):
    id: str
    source: str
    target: str
    type: LinkType | Literal["concerns"] = Field(description="A typed link, or a request or room's record")
    author: str
    actor: str
    created_at: datetime
    confidence: Confidence | None


class SharedIdentifier(BaseModel):
    kind: Literal["name", "document", "phone", "iban", "wallet"]
    records: list[str] = Field(description="Records of the case holding the same value (by blind index)")


class CaseGraphRead(BaseModel):
    case: str
    title: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    shared_identifiers: list[SharedIdentifier]
