"""Suspect records: who is wanted or known, under which names and documents."""

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from app.schemas.common import CountryCode, InputModel, PageInfo, ShortText, e164
from app.schemas.records import LinkList, RecordEnvelope, SharingRules, SharingRulesUpdate


class SuspectStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Script(StrEnum):
    """ISO 15924 script of a name as written."""

    LATIN = "Latn"
    CYRILLIC = "Cyrl"
    ARABIC = "Arab"
    GREEK = "Grek"
    HEBREW = "Hebr"
    HAN = "Hani"
    HANGUL = "Hang"
    JAPANESE = "Jpan"  # kanji with kana
    DEVANAGARI = "Deva"
    GEORGIAN = "Geor"
    ARMENIAN = "Armn"
    THAI = "Thai"
    OTHER = "Zyyy"


class DocumentKind(StrEnum):
    PASSPORT = "passport"
    NATIONAL_ID = "national_id"
    DRIVING_LICENCE = "driving_licence"
    RESIDENCE_PERMIT = "residence_permit"
    OTHER = "other"


class ExtraditionStatus(StrEnum):
    NONE = "none"
    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"
    SURRENDERED = "surrendered"


def _past_date(day: date) -> date:
    if day > datetime.now(UTC).date():
        raise ValueError("can not be in the future")
    return day


PastDate = Annotated[date, AfterValidator(_past_date)]


PhoneNumber = Annotated[
    str,
    StringConstraints(max_length=32),
    AfterValidator(e164),
    Field(description="International format, +..."),
]


class Name(InputModel):
    full_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    script: Script = Script.LATIN
    alias: bool = False
    family_name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        default=None,
        description="The family name as written in full_name, where known: names are then compared part "
        "with part (a different family name is never a hit). Otherwise it is inferred.",
    )
    patronymic: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        default=None,
        description="The patronymic as written in full_name (Ivanovich, Petrovna, bin Khalid), where known, "
        "with family_name: it is never taken for the family name, and a name that leaves it out loses "
        "less than for any other part. Otherwise East Slavic and Arabic patronymics are inferred.",
    )

    @model_validator(mode="after")
    def _parts_are_parts_of_the_name(self) -> "Name":
        if self.family_name is not None and self.family_name not in self.full_name:
            raise ValueError("family_name must be written as it is in full_name")
        if self.patronymic is not None:
            if self.family_name is None:
                raise ValueError("patronymic needs family_name: the rest of full_name is then the given name")
            rest = self.full_name.replace(self.family_name, " ", 1)
            if self.patronymic not in rest:
                raise ValueError("patronymic must be written as it is in full_name, apart from family_name")
        return self


class IdentityDocument(InputModel):
    kind: DocumentKind
    number: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 /-]{1,39}$")]
    issuing_country: CountryCode


class Warrant(InputModel):
    issued_by: ShortText
    reference: ShortText
    issued_on: PastDate
    extradition: ExtraditionStatus = ExtraditionStatus.NONE


class OutcomeKind(StrEnum):
    CHARGED = "charged"
    CONVICTED = "convicted"
    ACQUITTED = "acquitted"
    EXTRADITED = "extradited"
    SURRENDERED = "surrendered"


class ProsecutionOutcome(InputModel):
    """Where the case against the person stands: what trends report on prosecutions and extraditions."""

    kind: OutcomeKind
    on: PastDate
    jurisdiction: CountryCode
    reference: ShortText | None = None


class SuspectCreate(InputModel):
    names: Annotated[list[Name], Field(min_length=1, max_length=20)]
    date_of_birth: PastDate | None = None
    nationalities: Annotated[list[CountryCode], Field(max_length=10)] = Field(default_factory=list)
    documents: Annotated[list[IdentityDocument], Field(max_length=20)] = Field(default_factory=list)
    group_affiliation: ShortText | None = None
    phones: Annotated[list[PhoneNumber], Field(max_length=20)] = Field(default_factory=list)
    warrants: Annotated[list[Warrant], Field(max_length=20)] = Field(default_factory=list)
    outcomes: Annotated[list[ProsecutionOutcome], Field(max_length=20)] = Field(default_factory=list)
    links: LinkList = Field(default_factory=list)
    rules: SharingRules


class SuspectUpdate(InputModel):
    status: SuspectStatus | None = None
    names: Annotated[list[Name], Field(min_length=1, max_length=20)] | None = None
    date_of_birth: PastDate | None = None
    nationalities: Annotated[list[CountryCode], Field(max_length=10)] | None = None
    documents: Annotated[list[IdentityDocument], Field(max_length=20)] | None = None
    group_affiliation: ShortText | None = None
    phones: Annotated[list[PhoneNumber], Field(max_length=20)] | None = None
    warrants: Annotated[list[Warrant], Field(max_length=20)] | None = None
    outcomes: Annotated[list[ProsecutionOutcome], Field(max_length=20)] | None = None
    links: LinkList | None = None
    rules: SharingRulesUpdate | None = None


class SuspectRead(RecordEnvelope):
    status: SuspectStatus
    names: list[dict[str, Any]]
    date_of_birth: date | None
    nationalities: list[str]
    documents: list[dict[str, Any]]
    group_affiliation: str | None
    phones: list[str] = Field(default_factory=list)
    warrants: list[dict[str, Any]]
    outcomes: list[dict[str, Any]] = Field(default_factory=list)


class SuspectPage(BaseModel):
    items: list[SuspectRead]
    page: PageInfo
