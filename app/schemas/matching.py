"""Hit/no-hit queries, their answers, hits reported to owners, and access requests."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from app.schemas.common import InputModel, ShortText
from app.schemas.leads import Iban, Wallet
from app.schemas.records import ConsentRequestRead, RecordKind
from app.schemas.suspects import PhoneNumber

MAX_CRITERIA = 50


class MatchRequest(InputModel):
    names: Annotated[list[ShortText], Field(max_length=20)] = Field(
        default_factory=list,
        description='Full names; "FAMILY, Given" marks the family name where you know it (compared part '
        'with part: a different family name is never a hit), and "FAMILY, Given, Patronymic" a patronymic '
        "as well (left out of the other name, it costs little)",
    )
    dates_of_birth: Annotated[list[date], Field(max_length=20)] = Field(default_factory=list)
    documents: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 /-]{2,40}$")]], Field(max_length=20)
    ] = Field(default_factory=list)
    accounts: Annotated[list[Iban], Field(max_length=20)] = Field(default_factory=list)
    wallets: Annotated[list[Wallet], Field(max_length=20)] = Field(default_factory=list)
    phones: Annotated[list[PhoneNumber], Field(max_length=20)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _some_but_not_too_many(self) -> "MatchRequest":
        total = self.criteria_count()
        if total == 0:
            raise ValueError("give at least one name, date of birth, document, account, wallet or phone")
        if total > MAX_CRITERIA:
            raise ValueError(f"at most {MAX_CRITERIA} criteria in one query")
        return self

    def criteria_count(self) -> int:
        counts = [len(self.names), len(self.dates_of_birth), len(self.documents)]
        counts += [len(self.accounts), len(self.wallets), len(self.phones)]
        return sum(counts)


Strength = Literal["exact", "strong", "possible"]


class MatchReference(BaseModel):
    """A record the caller may see."""

    record_id: str
    kind: RecordKind
    owner: str
    score: float
    strength: Strength
    matched_on: list[str]
    reasons: list[str] = Field(
        default_factory=list,
        description='What matched how, e.g. "name: family same, given variant", "date_of_birth: near"',
    )


class MatchHit(BaseModel):
    """A record the caller may not see, whose owner made it discoverable: no content, only who to ask."""

    hit_id: str
    owner: str
    kind: RecordKind
    strength: Strength
    reasons: list[str] = Field(default_factory=list, description="What of your query matched, and how")


class MatchResponse(BaseModel):
    query_id: str
    references: list[MatchReference]
    hits: list[MatchHit]
    remaining_budget: int = Field(
        description="Units left in the hourly budget after this query (each value tested costs one)"
    )
    truncated: bool = Field(
        default=False,
        description="More records matched than one answer carries (references and hits together, the best "
        "first): narrow the query with a date of birth or an identifier",
    )


class HitRead(BaseModel):
    """The owner's view of a hit on one of its records."""

    id: str
    record_id: str
    querier: str
    strength: Strength
    matched_on: list[str]
    querier_can_see: bool
    created_at: datetime


class HitList(BaseModel):
    items: list[HitRead]


class AccessRequestCreate(InputModel):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class AccessWithdrawal(InputModel):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class AccessDecision(InputModel):
    grant: bool
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class AccessRequestRead(ConsentRequestRead):
    hit_id: str
    record_id: str | None = Field(description="Shown to the owner, and to the requester once granted")
    owner: str


class AccessRequestList(BaseModel):
    items: list[AccessRequestRead]
