"""What every shared record carries: the owner's handling and sharing rules, and the common envelope."""

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import pycountry
from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from app.schemas.common import InputModel, Slug


class RecordKind(StrEnum):
    ALERT = "alert"
    SUSPECT = "suspect"
    LEAD = "lead"


class Tlp(StrEnum):
    """Traffic Light Protocol 2.0."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"


class HitAction(StrEnum):
    """What the owner asks a recipient to do when it comes across the subject."""

    CONTACT_OWNER_IMMEDIATELY = "contact_owner_immediately"
    REPORT_WHEREABOUTS = "report_whereabouts"
    DISCREET_CHECK = "discreet_check"
    ARREST_FOR_EXTRADITION = "arrest_for_extradition"
    FREEZE_ASSETS = "freeze_assets"
    NO_ACTION = "no_action"


class DistributionMode(StrEnum):
    OWNER_ONLY = "owner_only"
    AGENCIES = "agencies"
    GROUPS = "groups"
    ALL_MEMBERS = "all_members"


class Evaluation(InputModel):
    """Admiralty scale: reliability of the source (A-F) and credibility of the information (1-6)."""

    source: Literal["A", "B", "C", "D", "E", "F"]
    information: Annotated[int, Field(ge=1, le=6)]


class Restrictions(InputModel):
    no_onward_sharing: bool = True
    no_judicial_use_without_consent: bool = True


class Distribution(InputModel):
    mode: DistributionMode
    agencies: Annotated[list[Slug], Field(max_length=500)] = Field(default_factory=list)
    groups: Annotated[list[Slug], Field(max_length=100)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _lists_match_mode(self) -> "Distribution":
        if self.mode is DistributionMode.AGENCIES and not self.agencies:
            raise ValueError("mode 'agencies' needs at least one agency")
        if self.mode is DistributionMode.GROUPS and not self.groups:
            raise ValueError("mode 'groups' needs at least one group")
        if self.mode in (DistributionMode.OWNER_ONLY, DistributionMode.ALL_MEMBERS) and (
            self.agencies or self.groups
        ):
            raise ValueError(f"mode {self.mode.value!r} takes no agency or group list")
        return self


def _future(day: date) -> date:
    if day <= datetime.now(UTC).date():
        raise ValueError("must be a date in the future")
    return day


def _not_future(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("needs a UTC offset (RFC 3339)")
    if moment > datetime.now(UTC):
        raise ValueError("can not be in the future")
    return moment


def _currency(code: str) -> str:
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return code


FutureDate = Annotated[date, AfterValidator(_future)]
PastMoment = Annotated[datetime, AfterValidator(_not_future)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(_currency)]
CaseRef = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
FreeText = Annotated[str, StringConstraints(max_length=4000)]
RecordId = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]
LinkList = Annotated[list[RecordId], Field(max_length=100)]


class SharingRules(InputModel):
    """The owner's rules. Every record carries them; only the owner changes them."""

    case_ref: CaseRef = Field(description="The owner's own case reference")
    evaluation: Evaluation
    action_on_hit: HitAction
    handling: Tlp
    distribution: Distribution
    restrictions: Restrictions = Field(default_factory=Restrictions)
    discoverable: bool = Field(description="May appear as a hit (no content) to agencies that can not see it")
    review_by: FutureDate | None = Field(
        default=None, description="Default: by kind (alerts 1 year, others 3)"
    )
    statistics: bool = Field(
        default=True,
        description="May be counted in trends (counts only, small cells suppressed, never the content)",
    )


class SharingRulesUpdate(InputModel):
    case_ref: CaseRef | None = None
    evaluation: Evaluation | None = None
    action_on_hit: HitAction | None = None
    handling: Tlp | None = None
    distribution: Distribution | None = None
    restrictions: Restrictions | None = None
    discoverable: bool | None = None
    review_by: FutureDate | None = None
    statistics: bool | None = None


class DistributionRead(BaseModel):
    mode: DistributionMode
    agencies: list[str] | None = Field(
        description="Shown to the owner only: recipients do not see each other"
    )
    groups: list[str] | None = None
    consented: list[str] | None = Field(default=None, description="Agencies added by the owner's consent")


class SharingRulesRead(BaseModel):
    case_ref: str
    evaluation: dict[str, Any]
    action_on_hit: HitAction
    handling: Tlp
    distribution: DistributionRead
    restrictions: dict[str, bool]
    discoverable: bool
    review_by: date
    statistics: bool = True


class LinkType(StrEnum):
    """What a link between two records says."""

    RELATED = "related"
    SAME_PERSON = "same_person"
    SAME_PHONE = "same_phone"
    SAME_ACCOUNT = "same_account"
    SAME_WALLET = "same_wallet"
    ASSOCIATE_OF = "associate_of"
    PAID_TO = "paid_to"
    USED_VEHICLE = "used_vehicle"
    PROCEEDS_OF = "proceeds_of"
    SUSPECT_IN = "suspect_in"


class Confidence(StrEnum):
    """How sure the analyst who made a link is."""

    CONFIRMED = "confirmed"
    PROBABLE = "probable"
    POSSIBLE = "possible"


class LinkCreate(InputModel):
    target: RecordId = Field(description="The other record (any kind you may see)")
    type: LinkType = LinkType.RELATED
    confidence: Confidence | None = None


class LinkRead(BaseModel):
    id: str
    record_id: str = Field(description="The record this link is listed from")
    other: str = Field(description="The record at the other end")
    type: LinkType
    author: str = Field(description="The agency that made the link")
    actor: str
    created_at: datetime
    confidence: Confidence | None = None
    case: str | None = Field(default=None, description="The joint case it was made in, if any")


class RecordLinkList(BaseModel):
    items: list[LinkRead]


class LinkRemoved(BaseModel):
    id: str
    removed: Literal[True] = True


class RecordEnvelope(BaseModel):
    """Server-set fields of every record (never taken from a request body)."""

    id: str
    kind: RecordKind
    owner: str
    version: int
    etag: str
    created_at: datetime
    updated_at: datetime
    withdrawn_at: datetime | None
    withdrawal_reason: str | None = None
    rules: SharingRulesRead
    links: list[str] = Field(description="Linked records the caller may see (typed: .../links)")
    revoked_consents: list[str] | None = Field(
        default=None,
        description="Owner only, in the answer to an update: agencies whose consented access the new "
        "distribution no longer covers, revoked by it",
    )


class RevisionRead(BaseModel):
    version: int
    changed_at: datetime
    changed_by: str
    status: str
    body: dict[str, Any]


class RevisionList(BaseModel):
    items: list[RevisionRead]


class WithdrawRequest(InputModel):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


# A count is exact up to this many; past it, it says "more than" (counting the million rows an agency may
# see costs a second; stopping at ten thousand, tens of milliseconds).
COUNT_CAP = 10_000


class CountRead(BaseModel):
    count: int = Field(description=f"Exact up to {COUNT_CAP:,}; with `capped`, there are more than that")
    capped: bool = Field(description="True when the count stopped at its cap: there are more records")


class ContributionKind(StrEnum):
    NOTE = "note"
    SIGHTING = "sighting"
    HIT_REPORT = "hit_report"


class ContributionCreate(InputModel):
    kind: ContributionKind
    text: Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class ContributionRead(BaseModel):
    id: str
    record_id: str
    author: str
    actor: str
    kind: ContributionKind
    text: str
    created_at: datetime


class ContributionList(BaseModel):
    items: list[ContributionRead]


class ConsentState(StrEnum):
    """States of a request for the owner's consent (onward sharing, access after a hit)."""

    PENDING = "pending"
    GRANTED = "granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    REVOKED = "revoked"


class TransitionRead(BaseModel):
    """One step of a workflow item: who moved it, when, from which state to which, and why."""

    name: str
    from_state: str | None
    to_state: str
    party: Literal["requester", "owner", "system"]
    agency: str | None = Field(description="Null when KIX itself acted (a rule applied, a deadline)")
    actor: str
    note: str | None
    at: datetime


class ConsentRevoke(InputModel):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class ConsentRevokeRead(BaseModel):
    record_id: str
    agency: str
    revoked: bool = Field(description="False when the agency held no consent")


class ShareRequestCreate(InputModel):
    target: Slug = Field(description="The agency the record would be passed on to")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class ShareWithdrawal(InputModel):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class ShareDecision(InputModel):
    grant: bool
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class ConsentRequestRead(BaseModel):
    """What share and access requests have in common."""

    id: str
    requester: str
    reason: str
    status: ConsentState
    decision_reason: str | None
    due_at: datetime | None = Field(description="The owner's deadline, while the request waits for it")
    overdue: bool
    created_at: datetime
    decided_at: datetime | None
    transitions: list[TransitionRead] = Field(description="Every step: who, when, from and to, and why")


class ShareRequestRead(ConsentRequestRead):
    record_id: str
    target: str


class ShareRequestList(BaseModel):
    items: list[ShareRequestRead]


class NoticeRead(BaseModel):
    id: str
    record_id: str
    kind: Literal["withdrawal", "correction"]
    version: int
    message: str
    created_at: datetime
    acknowledged_at: datetime | None = None


class NoticeList(BaseModel):
    items: list[NoticeRead]


class ReceiptRead(BaseModel):
    agency: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class NoticeWithReceipts(NoticeRead):
    receipts: list[ReceiptRead]
    unacknowledged: list[str] = Field(description="Recipients that have not acknowledged yet")


class NoticeReceiptsList(BaseModel):
    items: list[NoticeWithReceipts]


class PurgeRead(BaseModel):
    id: str
    status: Literal["purged"]
    purged_at: datetime
