"""Trends on the wire: what can be counted, by what, and the protected tables that come back."""

from enum import StrEnum

from pydantic import BaseModel, Field


class Measure(StrEnum):
    """What is counted. Alerts and their outcomes by the month the kidnapping occurred; prosecutions by
    the date of the outcome; assets by the month they first reached the state."""

    ALERTS = "alerts"
    RELEASED = "released"
    RESCUED = "rescued"
    ESCAPED = "escaped"
    DECEASED = "deceased"
    RANSOM_DEMANDED = "ransom_demanded"
    RANSOM_PAID = "ransom_paid"
    SUSPECTS_CHARGED = "suspects_charged"
    SUSPECTS_CONVICTED = "suspects_convicted"
    SUSPECTS_EXTRADITED = "suspects_extradited"
    ASSETS_FROZEN = "assets_frozen"
    ASSETS_CONFISCATED = "assets_confiscated"
    ASSETS_RETURNED = "assets_returned"


# Measures of an amount: only they can be counted by value band.
AMOUNT_MEASURES = frozenset(
    {
        Measure.RANSOM_DEMANDED,
        Measure.RANSOM_PAID,
        Measure.ASSETS_FROZEN,
        Measure.ASSETS_CONFISCATED,
        Measure.ASSETS_RETURNED,
    }
)


class Dimension(StrEnum):
    COUNTRY = "country"
    REGION = "region"  # "IT/Calabria": a region is named within its country
    CATEGORY = "category"  # alert category (ICCS-aligned), asset kind for assets
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    BAND = "band"  # euro-equivalent value band, for amounts


TIME_DIMENSIONS = frozenset({Dimension.MONTH, Dimension.QUARTER, Dimension.YEAR})


class IccsStep(BaseModel):
    code: str
    label: str


class IccsClassRead(BaseModel):
    code: str
    label: str
    path: list[IccsStep] = Field(description="From the ICCS section down to this class")


class ClassificationEntry(BaseModel):
    category: str = Field(description="The KIX alert category")
    iccs: IccsClassRead = Field(description="The ICCS class it is counted under")
    related: list[IccsClassRead] = Field(description="Other classes the act usually also involves")
    note: str = Field(description="How to apply it")


class Shown(BaseModel):
    key: str
    count: int | None = Field(description="Null when suppressed")
    shown: str = Field(
        description="The count, '<5' (fewer than five), or 'x' (hidden to protect a small cell)"
    )


class Cell(BaseModel):
    row: str
    column: str
    count: int | None
    shown: str


class TrendTable(BaseModel):
    measure: Measure
    rows_by: Dimension
    columns_by: Dimension | None = Field(description="Null for a one-dimensional table")
    rows: list[str]
    columns: list[str] = Field(description='["total"] for a one-dimensional table')
    cells: list[Cell]
    row_totals: list[Shown] = Field(description="Empty for a one-dimensional table")
    column_totals: list[Shown]
    total: Shown


class TrendsRead(BaseModel):
    since: str = Field(description="First month counted, YYYY-MM")
    until: str = Field(description="Last month counted, YYYY-MM")
    threshold: int = Field(description="Cells under this are suppressed, with complementary suppression")
    tables: list[TrendTable]
