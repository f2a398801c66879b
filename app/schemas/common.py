"""Types used across the wire format: scopes, country codes, slugs, problems, pages."""

import functools
from enum import StrEnum
from typing import Annotated, Any, get_args, get_origin

import phonenumbers
import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic.fields import FieldInfo


class Scope(StrEnum):
    ALERTS_READ = "alerts:read"
    ALERTS_WRITE = "alerts:write"
    SUSPECTS_READ = "suspects:read"
    SUSPECTS_WRITE = "suspects:write"
    LEADS_READ = "leads:read"
    LEADS_WRITE = "leads:write"
    VICTIMS_READ = "victims:read"
    MATCHES_QUERY = "matches:query"
    REQUESTS_READ = "requests:read"
    REQUESTS_WRITE = "requests:write"
    STATS_READ = "stats:read"
    CASES_READ = "cases:read"
    CASES_WRITE = "cases:write"
    PRACTICES_READ = "practices:read"
    PRACTICES_WRITE = "practices:write"
    AUDIT_READ = "audit:read"
    ADMIN = "admin"


# ISO 3166-1 alpha-2, plus "EU", exceptionally reserved for the European Union (for EU bodies).
_COUNTRY_CODES = frozenset(country.alpha_2 for country in pycountry.countries) | {"EU"}


def _check_country(code: str) -> str:
    if code not in _COUNTRY_CODES:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


CountryCode = Annotated[
    str,
    StringConstraints(min_length=2, max_length=2, pattern=r"^[A-Z]{2}$"),
    AfterValidator(_check_country),
    Field(description="ISO 3166-1 alpha-2 code, upper case (EU for European Union bodies)", examples=["DE"]),
]

Slug = Annotated[
    str,
    StringConstraints(min_length=2, max_length=64, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$"),
    Field(description="Lower-case letters, digits and inner hyphens", examples=["de-bka"]),
]


def e164(number: str, region: str | None = None) -> str:
    """A phone number in E.164 form ("+4930123456"), or ValueError."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError("not a possible phone number")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]

ScopeList = Annotated[list[Scope], Field(max_length=len(Scope))]


def unique_scopes(scopes: list[Scope]) -> list[Scope]:
    """Deduplicate and sort, so that stored scope lists compare equal whatever order they came in."""
    return sorted(set(scopes), key=lambda scope: scope.value)


class InputModel(BaseModel):
    """Base of every request body: unknown fields are refused (no mass assignment). Text is checked as
    the schema says: its maxLength against the string as sent, whitespace included; then it is stripped,
    and the stripped text must meet minLength (the schema's `\\S` pattern: not only whitespace)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra=lambda schema: _not_only_whitespace(schema),
    )

    @field_validator("*", mode="before")
    @classmethod
    def _within_max_length_as_sent(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and info.field_name is not None:
            limit = _declared_max_length(cls, info.field_name)
            if limit is not None and len(value) > limit:
                raise ValueError(f"at most {limit} characters, whitespace included")
        return value


def _not_only_whitespace(schema: Any) -> None:
    """Give each required-text property of a body's schema the pattern `\\S`: its text is stripped before
    minLength is checked, so whitespace alone is refused, and the schema says so."""
    if isinstance(schema, list):
        for item in schema:
            _not_only_whitespace(item)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and schema.get("minLength", 0) >= 1:
        if not {"pattern", "enum", "const", "format"} & schema.keys():
            schema["pattern"] = r"\S"
    for value in schema.values():
        _not_only_whitespace(value)


@functools.cache  # per model and field: validation asks for every field of every body
def _declared_max_length(model: type[BaseModel], field_name: str) -> int | None:
    return _max_length(model.model_fields[field_name])


def _max_length(field: FieldInfo) -> int | None:
    """The maxLength a text field declares: on the field, or on the Annotated text type of its union."""
    limits = [item.max_length for item in field.metadata if getattr(item, "max_length", None) is not None]
    for member in get_args(field.annotation) or (field.annotation,):
        if get_origin(member) is Annotated:
            limits += [item.max_length for item in member.__metadata__ if getattr(item, "max_length", None)]
    return min(limits) if limits else None


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="Stable URI naming the problem (see components.schemas.ProblemType)")
    title: str
    status: int
    detail: str = ""
    instance: str | None = None
    errors: list[dict[str, Any]] | None = Field(default=None, description="Field errors for 422")


class PageInfo(BaseModel):
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page"
    )
