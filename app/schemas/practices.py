"""Proven and promising practices on the wire. A note carries no person: its schema has no field for one,
and unknown fields are refused."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from app.schemas.common import CountryCode, InputModel, PageInfo
from app.schemas.records import RecordId


class Theme(StrEnum):
    """The handbook's themes."""

    PREVENTION = "prevention"  # aimed at potential victims
    DISBANDING_GROUPS = "disbanding_groups"
    PRIVATE_SECTOR_ALLIANCES = "private_sector_alliances"
    CRISIS_RESPONSE = "crisis_response"  # and crisis management
    LEGISLATION = "legislation"
    VICTIM_SUPPORT = "victim_support"
    NATIONAL_AUTHORITIES = "national_authorities"
    REPORTING = "reporting"
    RESCUE = "rescue"
    INFORMATION_SYSTEMS = "information_systems"
    PROSECUTIONS = "prosecutions"


def _not_future(day: date) -> date:
    if day > date.today():
        raise ValueError("can not be in the future")
    return day


Title = Annotated[str, StringConstraints(min_length=3, max_length=200)]
Themes = Annotated[list[Theme], Field(min_length=1, max_length=6)]
Summary = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Lessons = Annotated[str, StringConstraints(min_length=1, max_length=8000)]
Cases = Annotated[list[RecordId], Field(max_length=10, description="Closed joint cases it draws on")]


class PracticeCreate(InputModel):
    title: Title
    country: CountryCode = Field(description="Where the practice was applied")
    themes: Themes
    summary: Summary
    lessons: Lessons
    published_on: Annotated[date, AfterValidator(_not_future)] | None = Field(
        default=None, description="Default: today"
    )
    cases: Cases = Field(default_factory=list)


class PracticeUpdate(InputModel):
    title: Title | None = None
    country: CountryCode | None = None
    themes: Themes | None = None
    summary: Summary | None = None
    lessons: Lessons | None = None
    cases: Cases | None = None


class CommentCreate(InputModel):
    text: Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class CommentRead(BaseModel):
    id: str
    author: str
    actor: str
    text: str
    created_at: datetime


class PracticeRead(BaseModel):
    id: str
    author: str
    actor: str
    country: str
    title: str
    themes: list[Theme]
    summary: str
    lessons: str
    published_on: date
    cases: list[str]
    version: int
    etag: str
    created_at: datetime
    updated_at: datetime
    comments: list[CommentRead] = Field(default_factory=list, description="Oldest first (in a single read)")


class PracticePage(BaseModel):
    items: list[PracticeRead]
    page: PageInfo
