"""Proceeds-tracing leads: assets to trace, freeze, confiscate and return."""

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from app.schemas.common import CountryCode, InputModel, PageInfo, ShortText
from app.schemas.records import Currency, LinkList, RecordEnvelope, SharingRules, SharingRulesUpdate


class AssetKind(StrEnum):
    BANK_ACCOUNT = "bank_account"
    CRYPTO_WALLET = "crypto_wallet"
    REAL_ESTATE = "real_estate"
    VEHICLE = "vehicle"
    COMPANY = "company"
    MONEY_TRANSFER = "money_transfer"
    CASH = "cash"


class LeadStatus(StrEnum):
    TRACED = "traced"
    FROZEN = "frozen"
    CONFISCATED = "confiscated"
    RETURNED = "returned"
    RELEASED = "released"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Chain(StrEnum):
    BITCOIN = "bitcoin"
    ETHEREUM = "ethereum"
    TRON = "tron"
    LITECOIN = "litecoin"
    MONERO = "monero"
    SOLANA = "solana"
    OTHER = "other"


def _iban(value: str) -> str:
    try:
        return str(IBAN(value).compact)
    except SchwiftyException as exc:
        raise ValueError(f"not a valid IBAN: {exc}") from exc


def _bic(value: str) -> str:
    try:
        return str(BIC(value).compact)
    except SchwiftyException as exc:
        raise ValueError(f"not a valid BIC: {exc}") from exc


Iban = Annotated[str, StringConstraints(max_length=42), AfterValidator(_iban)]
Bic = Annotated[str, StringConstraints(max_length=11), AfterValidator(_bic)]


class Wallet(InputModel):
    address: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9:_-]{10,128}$")]
    chain: Chain


class LeadIdentifiers(InputModel):
    iban: Iban | None = None
    bic: Bic | None = None
    wallet: Wallet | None = None
    registry_ref: ShortText | None = Field(
        default=None, description="Land, vehicle or company registry reference"
    )


class LeadCreate(InputModel):
    asset_kind: AssetKind
    identifiers: LeadIdentifiers = Field(default_factory=LeadIdentifiers)
    amount: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
    currency: Currency
    jurisdiction: CountryCode
    status: LeadStatus = LeadStatus.TRACED
    freeze_expires_on: date | None = Field(default=None, description="When the freeze order lapses")
    links: LinkList = Field(default_factory=list)
    rules: SharingRules

    @model_validator(mode="after")
    def _identifiers_fit_the_asset(self) -> "LeadCreate":
        if self.asset_kind is AssetKind.BANK_ACCOUNT and self.identifiers.iban is None:
            raise ValueError("a bank_account lead needs identifiers.iban")
        if self.asset_kind is AssetKind.CRYPTO_WALLET and self.identifiers.wallet is None:
            raise ValueError("a crypto_wallet lead needs identifiers.wallet")
        if self.status is LeadStatus.WITHDRAWN:
            raise ValueError("a lead is withdrawn through the withdraw operation")
        return self


class LeadUpdate(InputModel):
    identifiers: LeadIdentifiers | None = None
    amount: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)] | None = None
    currency: Currency | None = None
    jurisdiction: CountryCode | None = None
    status: LeadStatus | None = None
    freeze_expires_on: date | None = None
    links: LinkList | None = None
    rules: SharingRulesUpdate | None = None


class LeadRead(RecordEnvelope):
    asset_kind: AssetKind
    identifiers: dict[str, Any]
    amount: Decimal
    currency: str
    jurisdiction: str
    status: LeadStatus
    freeze_expires_on: date | None


class LeadPage(BaseModel):
    items: list[LeadRead]
    page: PageInfo
