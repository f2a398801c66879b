"""Agencies, their keys and sharing groups, as the admin API sends and receives them."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, EmailStr, Field, StringConstraints, field_validator, model_validator

from app.schemas.common import (
    CountryCode,
    InputModel,
    PageInfo,
    Scope,
    ScopeList,
    ShortText,
    Slug,
    unique_scopes,
)


class AgencyKind(StrEnum):
    POLICE = "police"
    PROSECUTOR = "prosecutor"
    FIU = "fiu"
    CENTRAL_AUTHORITY = "central_authority"
    JUDICIARY = "judiciary"
    OPERATOR = "operator"
    PRIVATE_PARTNER = "private_partner"  # a bank, payment or crypto-asset provider, telecom, insurer


# A private partner submits leads to its FIU and reads its own submissions back: nothing more.
PARTNER_SCOPES = frozenset({Scope.LEADS_READ, Scope.LEADS_WRITE})


class AgencyStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


Phone = Annotated[
    str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$"), Field(description="E.164", examples=["+4961155"])
]


class ContactPoint(InputModel):
    """The 24/7 contact point partners call when a hit needs a human now."""

    name: ShortText
    phone: Phone
    email: EmailStr


class AgencyCreate(InputModel):
    id: Slug
    country: CountryCode
    name: ShortText
    kind: AgencyKind
    scopes: ScopeList = Field(description="The most any of the agency's keys may be granted")
    contact: ContactPoint
    jurisdictions: Annotated[list[CountryCode], Field(max_length=300)] = Field(default_factory=list)
    designated_fiu: Slug | None = Field(
        default=None, description="Private partners only: the financial intelligence unit they report to"
    )

    @field_validator("scopes")
    @classmethod
    def _dedupe(cls, scopes: list[Scope]) -> list[Scope]:
        return unique_scopes(scopes)

    @model_validator(mode="after")
    def _admin_only_for_operators(self) -> "AgencyCreate":
        if Scope.ADMIN in self.scopes and self.kind is not AgencyKind.OPERATOR:
            raise ValueError("only an operator agency may hold the admin scope")
        partner = self.kind is AgencyKind.PRIVATE_PARTNER
        if partner and (self.designated_fiu is None or not set(self.scopes) <= PARTNER_SCOPES):
            raise ValueError(
                "a private partner needs a designated_fiu, and holds no scope but leads:read/write"
            )
        if not partner and self.designated_fiu is not None:
            raise ValueError("only a private partner has a designated_fiu")
        return self


class AgencyRead(BaseModel):
    id: str
    country: str
    name: str
    kind: AgencyKind
    status: AgencyStatus
    scopes: list[Scope]
    contact: dict[str, str]
    jurisdictions: list[str]
    designated_fiu: str | None = None
    created_at: datetime
    updated_at: datetime


class AgencyPage(BaseModel):
    items: list[AgencyRead]
    page: PageInfo


OkpJwk = Annotated[dict[str, Any], Field(description="Public OKP JWK (RFC 8037)", max_length=10)]


class CredentialCreate(InputModel):
    """An agency's public keys, as `kix keys generate` prints them."""

    kid: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{7,63}$")]
    sign: OkpJwk = Field(description="Ed25519 public JWK used to verify the agency's request signatures")
    encrypt: OkpJwk = Field(description="X25519 public JWK that responses are encrypted to")
    scopes: ScopeList
    not_before: datetime | None = None
    expires_at: datetime | None = None

    @field_validator("scopes")
    @classmethod
    def _dedupe(cls, scopes: list[Scope]) -> list[Scope]:
        return unique_scopes(scopes)

    @field_validator("not_before", "expires_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps need a UTC offset (RFC 3339)")
        return value


class CredentialRead(BaseModel):
    kid: str
    agency_id: str
    sign: dict[str, str]
    encrypt: dict[str, str]
    scopes: list[Scope]
    not_before: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime


class CredentialList(BaseModel):
    items: list[CredentialRead]


class CredentialScopesUpdate(InputModel):
    scopes: ScopeList = Field(description="The new scopes; must be a subset of the current ones")

    @field_validator("scopes")
    @classmethod
    def _dedupe(cls, scopes: list[Scope]) -> list[Scope]:
        return unique_scopes(scopes)


class GroupCreate(InputModel):
    id: Slug
    name: ShortText
    description: Annotated[str, StringConstraints(max_length=1000)] = ""
    members: Annotated[list[Slug], Field(max_length=500)] = Field(default_factory=list)


class GroupRead(BaseModel):
    id: str
    name: str
    description: str
    members: list[str]
    created_at: datetime
    updated_at: datetime


class GroupList(BaseModel):
    items: list[GroupRead]


class WhoAmI(BaseModel):
    agency_id: str
    kid: str
    actor: str
    scopes: list[Scope]
