"""Cooperation requests between agencies: information, mutual legal assistance, extradition, provisional
arrest, freezing, confiscation, asset return and urgent assistance."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from app.schemas.alerts import Urgency
from app.schemas.common import InputModel, PageInfo, ShortText, Slug
from app.schemas.records import Currency, RecordId, TransitionRead

LongText = Annotated[str, StringConstraints(min_length=1, max_length=8000)]
Note = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class RequestKind(StrEnum):
    INFORMATION = "information"
    MUTUAL_LEGAL_ASSISTANCE = "mutual_legal_assistance"
    EXTRADITION = "extradition"
    PROVISIONAL_ARREST = "provisional_arrest"
    FREEZING = "freezing"
    CONFISCATION = "confiscation"
    ASSET_RETURN = "asset_return"
    URGENT_ASSISTANCE = "urgent_assistance"


class RequestState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    INFORMATION_REQUESTED = "information_requested"
    EXECUTED = "executed"
    PARTIALLY_EXECUTED = "partially_executed"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class RequestAction(StrEnum):
    SUBMIT = "submit"
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    REQUEST_INFORMATION = "request_information"
    PROVIDE_INFORMATION = "provide_information"
    EXECUTE = "execute"
    EXECUTE_PARTIALLY = "execute_partially"
    REFUSE = "refuse"
    WITHDRAW = "withdraw"


class LegalBasisKind(StrEnum):
    CONVENTION = "convention"  # e.g. UNTOC, the 1979 Hostages Convention
    BILATERAL_TREATY = "bilateral_treaty"
    REGIONAL_INSTRUMENT = "regional_instrument"  # e.g. a European Investigation Order, the EAW
    RECIPROCITY = "reciprocity"
    DOMESTIC_LAW = "domestic_law"


class JurisdictionGround(StrEnum):
    """For extradition: on what ground the requesting state claims jurisdiction."""

    TERRITORIALITY = "territoriality"
    ACTIVE_NATIONALITY = "active_nationality"
    PASSIVE_PERSONALITY = "passive_personality"
    PROTECTIVE = "protective"
    UNIVERSALITY = "universality"


class RefusalGround(StrEnum):
    """Grounds for refusal, after UNTOC art. 16 and 18(21) and the EIO Directive art. 11."""

    DUAL_CRIMINALITY_ABSENT = "dual_criminality_absent"
    POLITICAL_OFFENCE = "political_offence"
    NE_BIS_IN_IDEM = "ne_bis_in_idem"
    DEATH_PENALTY_OR_TORTURE_RISK = "death_penalty_or_torture_risk"
    DISCRIMINATORY_PROSECUTION = "discriminatory_prosecution"
    SOVEREIGNTY_SECURITY_PUBLIC_ORDER = "sovereignty_security_public_order"
    IMMUNITY_OR_PRIVILEGE = "immunity_or_privilege"
    NATIONALITY_BAR = "nationality_bar"
    LAPSE_OF_TIME = "lapse_of_time"
    INSUFFICIENT_INFORMATION = "insufficient_information"
    DOMESTIC_PROCEEDINGS_PREJUDICED = "domestic_proceedings_prejudiced"
    OTHER = "other"


class LegalBasis(InputModel):
    kind: LegalBasisKind
    instrument: ShortText = Field(description="e.g. UNTOC, a named bilateral treaty, or the domestic act")
    article: Annotated[str, StringConstraints(max_length=50)] | None = Field(
        default=None, description="e.g. 16 (extradition) or 18 (mutual legal assistance)"
    )
    jurisdiction_ground: JurisdictionGround | None = Field(
        default=None, description="Extradition and provisional arrest: the ground of jurisdiction asserted"
    )


class Warrant(InputModel):
    issued_by: ShortText
    reference: ShortText
    issued_on: date


class ExtraditionDetails(InputModel):
    person: RecordId = Field(description="The suspect record of the person sought (yours)")
    warrant: Warrant
    offence: LongText
    dual_criminality: LongText = Field(description="Why the conduct is an offence in both states")


class AssetOrder(InputModel):
    """Freezing and confiscation: what is to be frozen or confiscated, under which order."""

    leads: Annotated[list[RecordId], Field(min_length=1, max_length=50)] = Field(
        description="Proceeds-tracing leads of yours describing the assets"
    )
    amount: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
    currency: Currency
    order_reference: ShortText
    order_expires_on: date | None = Field(default=None, description="When a freezing order lapses")


class Return(InputModel):
    amount: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
    currency: Currency
    to: ShortText = Field(description="Who receives it: a victim, a state, a fund")


class AssetReturnDetails(InputModel):
    leads: Annotated[list[RecordId], Field(min_length=1, max_length=50)]
    returns: Annotated[list[Return], Field(min_length=1, max_length=50)]


class Attachment(InputModel):
    """Structured data carried with a request (sealed at rest like the rest of it)."""

    name: ShortText
    media_type: Annotated[str, StringConstraints(pattern=r"^[a-z]+/[a-z0-9.+-]+$", max_length=100)]
    content: dict[str, Any] | list[Any] | str


class RequestCreate(InputModel):
    kind: RequestKind
    addressee: Slug
    copied: Annotated[list[Slug], Field(max_length=20)] = Field(
        default_factory=list, description="Agencies that may read the request (not act on it)"
    )
    legal_basis: LegalBasis
    urgency: Urgency = Urgency.MEDIUM
    requested_by: date | None = Field(default=None, description="When the requester needs it done")
    summary: LongText = Field(description="The facts, the offence, and what is asked")
    linked_records: Annotated[list[RecordId], Field(max_length=50)] = Field(
        default_factory=list,
        description="Records of yours the addressee (and copied agencies) may read while the request is open",
    )
    extradition: ExtraditionDetails | None = None
    asset_order: AssetOrder | None = None
    asset_return: AssetReturnDetails | None = None
    attachments: Annotated[list[Attachment], Field(max_length=20)] = Field(default_factory=list)
    crisis: RecordId | None = Field(default=None, description="The crisis room this request is raised from")
    submit: bool = Field(default=True, description="Submit at once; false keeps a draft")

    @model_validator(mode="after")
    def _details_fit_the_kind(self) -> "RequestCreate":
        needs = {
            RequestKind.EXTRADITION: "extradition",
            RequestKind.PROVISIONAL_ARREST: "extradition",
            RequestKind.FREEZING: "asset_order",
            RequestKind.CONFISCATION: "asset_order",
            RequestKind.ASSET_RETURN: "asset_return",
        }
        wanted = needs.get(self.kind)
        for field in ("extradition", "asset_order", "asset_return"):
            present = getattr(self, field) is not None
            if field == wanted and not present:
                raise ValueError(f"a {self.kind.value} request needs {field}")
            if field != wanted and present:
                raise ValueError(f"{field} does not belong in a {self.kind.value} request")
        if wanted == "extradition" and self.legal_basis.jurisdiction_ground is None:
            raise ValueError(
                "legal_basis.jurisdiction_ground is needed for extradition and provisional arrest"
            )
        return self


class RequestTransition(InputModel):
    action: RequestAction
    note: Note | None = Field(default=None, description="Why; required to refuse or ask for information")
    grounds: Annotated[list[RefusalGround], Field(max_length=len(RefusalGround))] = Field(
        default_factory=list, description="Refuse: the grounds, from the fixed list"
    )
    attachments: Annotated[list[Attachment], Field(max_length=20)] = Field(
        default_factory=list, description="Provide information or execute: what is sent back"
    )


class RequestRead(BaseModel):
    id: str
    kind: RequestKind
    state: RequestState
    requester: str
    addressee: str
    copied: list[str]
    legal_basis: dict[str, Any]
    urgency: Urgency
    requested_by: date | None
    summary: str
    linked_records: list[str]
    details: dict[str, Any] | None = Field(description="The kind's own fields (extradition, asset order...)")
    attachments: list[dict[str, Any]]
    crisis: str | None
    refusal_grounds: list[RefusalGround]
    due_at: datetime | None = Field(description="When the party expected to act must have acted")
    waiting_on: str | None = Field(description="The agency expected to act next, if any")
    overdue: bool
    allowed_actions: list[RequestAction] = Field(description="What the caller may do now")
    created_at: datetime
    updated_at: datetime
    transitions: list[TransitionRead]


class RequestPage(BaseModel):
    items: list[RequestRead]
    page: PageInfo


RequestRole = Literal["requester", "addressee", "copied"]
